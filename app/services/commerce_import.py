"""The generic way in for order and event history (docs/commerce.md): the
bounded marshmallow schemas shared by the import API and the CLI, and the
readers of ``orders.csv`` / ``events.jsonl`` files that feed the same upsert
service in batches, reporting every rejected row with its line number.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from decimal import ROUND_HALF_UP, Decimal

import marshmallow as ma
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

# The API's datetime field (ISO 8601, Z assumed, naive UTC inside) and strict
# base: the CLI must accept exactly what the API accepts.
from ..api.schemas import Strict, UtcDateTime
from ..commerce import CustomerRef, EventData, OrderData, OrderLine
from . import ServiceError
from .commerce import SOURCE, upsert_events, upsert_orders
from .profiles import normalize_phone

MAX_ORDERS_PER_REQUEST = 200
MAX_EVENTS_PER_REQUEST = 500
MAX_LINES = 100
MAX_PROPERTIES_BYTES = 8 * 1024
MAX_PROPERTIES_DEPTH = 5
MAX_PROPERTIES_KEYS = 100
MAX_AMOUNT = 1_000_000_000
#: Items per upsert batch when importing a file.
BATCH = 200


class Text(fields.String):
    """A string without NUL characters (PostgreSQL cannot store them)."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in value:
            raise ma.ValidationError(_("NUL characters are not allowed."))
        return value


def _text(max_length, min_length=0, **kwargs):
    return Text(validate=validate.Length(min=min_length, max=max_length), **kwargs)


def _money_range(value):
    if not 0 <= value <= MAX_AMOUNT:
        raise ma.ValidationError(_("Must be between 0 and %(max)d.", max=MAX_AMOUNT))


def _amount(description="a decimal amount, rounded to 2 places (e.g. 12.50)", **kwargs):
    # A validator function, not validate.Range: apispec would write a Decimal
    # field's bounds as strings, which is not valid in the OpenAPI document.
    return fields.Decimal(
        places=2,
        rounding=ROUND_HALF_UP,
        validate=_money_range,
        metadata={"description": description, "minimum": 0, "maximum": MAX_AMOUNT},
        **kwargs,
    )


STATE = validate.Regexp(r"^[a-z][a-z_ -]{0,31}$", error=_l("Use up to 32 lower-case letters, spaces or _."))


def check_properties(value):
    """Bounded free-form JSON: size, nesting depth, keys per object, no NUL."""
    try:
        encoded = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        raise ma.ValidationError(_("Properties must be plain JSON."))
    if len(encoded.encode()) > MAX_PROPERTIES_BYTES:
        raise ma.ValidationError(_("Properties take at most %(n)d bytes of JSON.", n=MAX_PROPERTIES_BYTES))
    if "\\u0000" in encoded:
        raise ma.ValidationError(_("NUL characters are not allowed."))

    def walk(node, depth):
        if depth > MAX_PROPERTIES_DEPTH:
            raise ma.ValidationError(_("Properties nest at most %(n)d levels deep.", n=MAX_PROPERTIES_DEPTH))
        if isinstance(node, dict):
            if len(node) > MAX_PROPERTIES_KEYS:
                raise ma.ValidationError(_("An object in properties has at most %(n)d keys.", n=MAX_PROPERTIES_KEYS))
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            return
        for child in children:
            walk(child, depth + 1)

    walk(value, 1)


class CustomerIn(Strict):
    external_id = _text(255, 1, metadata={"description": "the platform's customer id"})
    email = fields.Email(validate=validate.Length(max=254))
    phone = _text(32, 1, metadata={"description": "any format; stored as E.164"})
    name = _text(200)
    verified = fields.Boolean(
        load_default=True,
        metadata={
            "description": "whether the platform proved the email and phone are this customer's; "
            "unverified ones never match another customer"
        },
    )

    @ma.validates("phone")
    def _phone(self, value, **kwargs):
        try:
            normalize_phone(value)
        except ServiceError as exc:
            raise ma.ValidationError(exc.message)

    @ma.validates_schema
    def _someone(self, data, **kwargs):
        if not (data.get("external_id") or data.get("email") or data.get("phone")):
            raise ma.ValidationError(_("Give the customer's id, email or phone."), "external_id")

    @ma.post_load
    def _make(self, data, **kwargs):
        return CustomerRef(**data)


class LineIn(Strict):
    external_id = _text(255, 1, required=True)
    title = _text(500, 1, required=True)
    sku = _text(100)
    variant = _text(255)
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=100_000))
    unit_price = _amount(required=True)
    total = _amount("the line total; default quantity x unit_price")

    @ma.post_load
    def _make(self, data, **kwargs):
        total = data.pop("total", None)
        if total is None:
            total = data["unit_price"] * data["quantity"]
        return OrderLine(total=total, **data)


class OrderIn(Strict):
    """One order. ``customer`` is optional when posted for a profile."""

    external_id = _text(255, 1, required=True, metadata={"description": "the platform's order id"})
    name = _text(64, metadata={"description": 'shown to agents, e.g. "#1001"'})
    customer = fields.Nested(CustomerIn)
    lines = fields.List(fields.Nested(LineIn), load_default=list, validate=validate.Length(max=MAX_LINES))
    subtotal = _amount(allow_none=True)
    total = _amount("default: the sum of the line totals")
    currency = fields.String(
        required=True, validate=validate.Regexp(r"^[A-Za-z]{3}$", error=_l("Use a three-letter currency code."))
    )
    status = fields.String(
        load_default="open", validate=STATE, metadata={"description": "open, cancelled, closed or your own word"}
    )
    financial_status = fields.String(allow_none=True, validate=STATE)
    fulfillment_status = fields.String(allow_none=True, validate=STATE)
    placed_at = UtcDateTime(required=True)
    cancelled_at = UtcDateTime(allow_none=True)
    updated_at = UtcDateTime(
        allow_none=True, metadata={"description": "when the platform last changed it; older updates are ignored"}
    )
    url = fields.Url(allow_none=True, schemes={"http", "https"}, require_tld=False, validate=validate.Length(max=2000))

    @ma.post_load
    def _make(self, data, **kwargs):
        if data.get("total") is None:
            data["total"] = sum((line.total for line in data["lines"]), Decimal("0"))
        data["currency"] = data["currency"].upper()
        data.setdefault("customer", None)
        return OrderData(**data)


class OrderItem(OrderIn):
    """An order of a bulk request: says who the customer is."""

    customer = fields.Nested(CustomerIn, required=True)


class EventIn(Strict):
    external_id = _text(255, 1, required=True, metadata={"description": "the platform's event id"})
    metric = _text(100, 1, required=True, metadata={"description": 'e.g. "Viewed Product"'})
    occurred_at = UtcDateTime(required=True)
    customer = fields.Nested(CustomerIn)
    properties = fields.Dict(keys=fields.String(validate=validate.Length(max=100)), load_default=dict)

    @ma.validates("properties")
    def _bounded(self, value, **kwargs):
        check_properties(value)

    @ma.post_load
    def _make(self, data, **kwargs):
        data.setdefault("customer", None)
        return EventData(**data)


class EventItem(EventIn):
    customer = fields.Nested(CustomerIn, required=True)


SOURCE_FIELD = validate.Regexp(SOURCE.pattern, error=_l("Use 1-64 lower-case letters, digits, dots, dashes or _."))


class _WithSource:
    """A body posted for a profile names its source; loads as ``(source, data)``."""

    source = fields.String(load_default="api", validate=SOURCE_FIELD)

    @ma.post_load
    def _make(self, data, **kwargs):
        source = data.pop("source")
        return source, super()._make(data)


class ProfileOrderIn(_WithSource, OrderIn):
    """An order posted for a profile; loads as ``(source, OrderData)``."""


class ProfileEventIn(_WithSource, EventIn):
    """An event posted for a profile; loads as ``(source, EventData)``."""


class BulkOrdersIn(Strict):
    source = fields.String(load_default="api", validate=SOURCE_FIELD)
    items = fields.List(
        fields.Nested(OrderItem), required=True, validate=validate.Length(min=1, max=MAX_ORDERS_PER_REQUEST)
    )


class BulkEventsIn(Strict):
    source = fields.String(load_default="api", validate=SOURCE_FIELD)
    items = fields.List(
        fields.Nested(EventItem), required=True, validate=validate.Length(min=1, max=MAX_EVENTS_PER_REQUEST)
    )


# --- files -------------------------------------------------------------------------

#: CSV column -> field of an order (``line.`` fields belong to the row's line).
ORDER_COLUMNS = {
    "order_id": "external_id",
    "order_name": "name",
    "placed_at": "placed_at",
    "updated_at": "updated_at",
    "cancelled_at": "cancelled_at",
    "status": "status",
    "financial_status": "financial_status",
    "fulfillment_status": "fulfillment_status",
    "currency": "currency",
    "subtotal": "subtotal",
    "order_total": "total",
    "url": "url",
    "customer_id": "customer.external_id",
    "customer_email": "customer.email",
    "customer_phone": "customer.phone",
    "customer_name": "customer.name",
    "line_id": "line.external_id",
    "line_title": "line.title",
    "sku": "line.sku",
    "variant": "line.variant",
    "quantity": "line.quantity",
    "unit_price": "line.unit_price",
    "line_total": "line.total",
}
REQUIRED_COLUMNS = ("order_id", "placed_at", "currency")
MAX_ROW_BYTES = 64 * 1024


@dataclasses.dataclass
class Rejected:
    line: int
    reason: str


@dataclasses.dataclass
class ImportReport:
    """What an import did: counts per outcome and the rejected rows."""

    outcomes: dict = dataclasses.field(default_factory=dict)
    rejected: list = dataclasses.field(default_factory=list)

    def count(self, outcome, n=1):
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + n

    def reject(self, line, reason):
        self.rejected.append(Rejected(line, reason))


def _flat(messages, prefix=""):
    """Marshmallow's nested messages as ``[(dotted.path, text)]``."""
    out = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            out += _flat(value, "" if key == "_schema" and not prefix else path)
    elif isinstance(messages, (list, tuple)):
        for message in messages:
            out += _flat(message, prefix)
    else:
        out.append((prefix, str(messages)))
    return out


def describe(messages, columns=None):
    """One readable reason from validation messages, naming CSV columns
    when ``columns`` (field path -> column) is given."""
    parts = []
    for path, text in _flat(messages):
        name = path
        if columns:
            bare = ".".join(p for p in path.split(".") if not p.isdigit())
            name = columns.get(bare.replace("lines.", "line.", 1), path)
        parts.append(f"{name}: {text}" if name else text)
    return "; ".join(parts)


def _cell(value):
    value = (value or "").strip()
    return value or None


def _order_dict(rows):
    """An API-shaped order from its CSV rows (the first row gives the
    order's columns; each row with a line_id gives a line)."""
    first = rows[0][1]
    order, customer, lines = {}, {}, []
    for column, target in ORDER_COLUMNS.items():
        value = _cell(first.get(column))
        if value is None or target.startswith("line."):
            continue
        if target.startswith("customer."):
            customer[target.split(".", 1)[1]] = value
        else:
            order[target] = value
    for _number, row in rows:
        if not _cell(row.get("line_id")):
            continue
        line = {}
        for column, target in ORDER_COLUMNS.items():
            value = _cell(row.get(column))
            if value is not None and target.startswith("line."):
                line[target.split(".", 1)[1]] = value
        if "quantity" in line:
            try:
                line["quantity"] = int(line["quantity"])
            except ValueError:
                pass  # the schema names the column
        lines.append(line)
    # Always present, so a row naming nobody gets the "id, email or phone"
    # message under customer_id rather than a bare "missing".
    order["customer"] = customer
    order["lines"] = lines
    return order


def read_orders(stream, report):
    """Yield ``(first line number, OrderData)`` from an orders CSV (see
    docs/commerce.md); invalid orders are added to ``report``."""
    reader = csv.DictReader(stream)
    header = reader.fieldnames or []
    unknown = [c for c in header if c not in ORDER_COLUMNS]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if unknown or missing:
        problems = []
        if missing:
            problems.append(_("missing columns: %(c)s", c=", ".join(missing)))
        if unknown:
            problems.append(_("unknown columns: %(c)s", c=", ".join(unknown)))
        raise ServiceError("; ".join(problems), code="bad_header")
    columns = {target: column for column, target in ORDER_COLUMNS.items()}
    seen, group = set(), []
    schema = OrderItem()

    def finish(group):
        order_id = _cell(group[0][1].get("order_id"))
        first_line = group[0][0]
        if order_id in seen:
            report.reject(first_line, _("order %(id)s: its rows must be next to each other.", id=order_id))
            return None
        seen.add(order_id)
        try:
            return first_line, schema.load(_order_dict(group))
        except ma.ValidationError as err:
            lines = ", ".join(str(n) for n, _row in group)
            report.reject(
                first_line,
                _("order %(id)s (lines %(lines)s): ", id=order_id, lines=lines) + describe(err.messages, columns),
            )
            return None

    try:
        for row in reader:
            number = reader.line_num
            if None in row or any(len(v or "") > MAX_ROW_BYTES for v in row.values()):
                report.reject(number, _("the row has more cells than the header, or a cell is too long."))
                continue
            order_id = _cell(row.get("order_id"))
            if order_id is None:
                report.reject(number, _("order_id: Missing data for required field."))
                continue
            if group and _cell(group[0][1].get("order_id")) != order_id:
                done = finish(group)
                if done:
                    yield done
                group = []
            group.append((number, row))
            if len(group) > MAX_LINES:
                report.reject(number, _("order %(id)s has more than %(n)d lines.", id=order_id, n=MAX_LINES))
                group = []
                seen.add(order_id)
    except csv.Error as exc:
        report.reject(reader.line_num, _("not valid CSV: %(error)s", error=str(exc)))
        return
    if group:
        done = finish(group)
        if done:
            yield done


def read_events(stream, report):
    """Yield ``(line number, EventData)`` from a JSON Lines file, one event
    object per line (the API's bulk item); blank lines are skipped."""
    schema = EventItem()
    for number, item in _json_lines(stream, report):
        try:
            yield number, schema.load(item)
        except ma.ValidationError as err:
            report.reject(number, describe(err.messages))


def _json_lines(stream, report):
    for number, raw in enumerate(stream, 1):
        if not raw.strip():
            continue
        if len(raw) > MAX_ROW_BYTES:
            report.reject(number, _("the line is longer than %(n)d bytes.", n=MAX_ROW_BYTES))
            continue
        try:
            item = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            report.reject(number, _("not valid JSON: %(error)s", error=str(exc)))
            continue
        if not isinstance(item, dict):
            report.reject(number, _("each line must be a JSON object."))
            continue
        yield number, item


def import_items(source, items, upsert, report, progress=None):
    """Upsert ``(line, data)`` pairs in batches of :data:`BATCH`. A batch
    the service refuses is retried item by item, so the reason lands on the
    right line. ``progress(n)`` is called after each batch."""
    batch = []

    def flush():
        try:
            results = upsert(source, [data for _line, data in batch])
        except ServiceError:
            results = []
            for line, data in batch:
                try:
                    results += upsert(source, [data])
                except ServiceError as exc:
                    field = f"{exc.field}: " if exc.field else ""
                    report.reject(line, field + exc.message)
        for result in results:
            report.count(result.outcome)
        if progress:
            progress(len(batch))
        batch.clear()

    for pair in items:
        batch.append(pair)
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    return report


def decoded_lines(binary, report):
    """The lines of a binary file as text, each decoded on its own: a line
    that is not UTF-8 is reported and read as blank (both readers skip
    blank lines), so line numbers stay right and the rest is imported. A
    byte order mark (spreadsheet exports start with one) is dropped."""
    for number, raw in enumerate(binary, 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            report.reject(number, _("the line is not UTF-8 text."))
            line = ""
        yield line.removeprefix("\ufeff") if number == 1 else line


def import_orders_file(source, binary, report, progress=None):
    """Import an orders CSV (a binary stream) into ``source``."""
    rows = read_orders(decoded_lines(binary, report), report)
    return import_items(source, rows, upsert_orders, report, progress)


def import_events_file(source, binary, report, progress=None):
    """Import an events JSON Lines file (a binary stream) into ``source``."""
    events = read_events(decoded_lines(binary, report), report)
    return import_items(source, events, upsert_events, report, progress)


__all__ = [
    "BulkEventsIn",
    "BulkOrdersIn",
    "EventIn",
    "ImportReport",
    "OrderIn",
    "ProfileEventIn",
    "ProfileOrderIn",
    "import_events_file",
    "import_orders_file",
]
