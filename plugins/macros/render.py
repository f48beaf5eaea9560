"""Rendering macro templates in a locked-down Jinja sandbox.

Templates see only plain values we offer (``customer``, ``agent``, ``ticket``,
``organization``); every other attribute, method or global is refused. The
language is cut down to what a reply needs (``{{ }}``, ``{% if %}``,
``{% set %}``, a short list of filters), so a template cannot loop, import or
grow its output without bound: nothing a merchant types can hang or crash a
worker. Every problem becomes a :class:`TemplateProblem` with a clear message.
"""

from __future__ import annotations

import dataclasses

from flask import current_app, has_app_context
from flask_babel import gettext as _
from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, nodes
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from app.plugin import ServiceError, plugin_settings

MAX_TEMPLATE_LENGTH = 20000

# What a template may name, with sample values used to check a template on save.
VARIABLES = {
    "customer": {
        "name": "Ada Lovelace",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.net",
        "phone": "+15005550006",
    },
    "agent": {"name": "Sam Agent", "first_name": "Sam", "email": "sam@example.com"},
    "ticket": {"number": 42, "subject": "Where is my order?", "channel": "email", "status": "open"},
    "organization": {"name": "My Shop", "support_email": "support@example.com"},
}

SAFE_FILTERS = (
    "capitalize",
    "default",
    "d",
    "first",
    "last",
    "length",
    "lower",
    "upper",
    "title",
    "trim",
    "truncate",
    "replace",
    "string",
    "wordcount",
    "striptags",
    "int",
    "round",
)
# Nodes that loop, reuse or load other templates: not needed for a reply,
# and the only ways left to spend unbounded time.
FORBIDDEN_NODES = (
    nodes.For,
    nodes.Macro,
    nodes.CallBlock,
    nodes.Include,
    nodes.Extends,
    nodes.Import,
    nodes.FromImport,
    nodes.FilterBlock,
    nodes.With,
    nodes.Block,
    nodes.Scope,
)
MAX_POWER = 100


class TemplateProblem(ServiceError):
    """A template that cannot be saved or rendered, with a message for people."""

    def __init__(self, message, code="template_invalid", field="body"):
        super().__init__(message, code=code, field=field)


class Values:
    """A read-only bag of named values: the only objects whose attributes a
    template may read."""

    __slots__ = ("_fields", "_name")

    def __init__(self, name, fields):
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_fields", dict(fields))

    def __getattr__(self, name):
        fields = object.__getattribute__(self, "_fields")
        if name in fields:
            return fields[name]
        raise AttributeError(name)

    def __setattr__(self, name, value):
        raise AttributeError("read-only")


class _Sandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def is_safe_attribute(self, obj, attr, value):
        return isinstance(obj, Values) and attr in object.__getattribute__(obj, "_fields")

    def is_safe_callable(self, obj):
        return False

    def call(self, context, obj, *args, **kwargs):
        raise SecurityError(
            _("calling functions or methods is not allowed; use filters such as {{ customer.first_name|upper }}.")
        )

    def getattr(self, obj, attribute):
        if isinstance(obj, Values) and isinstance(attribute, str) and not attribute.startswith("_"):
            fields = object.__getattribute__(obj, "_fields")
            if attribute not in fields:
                name = object.__getattribute__(obj, "_name")
                return self.undefined(hint=f"'{name}.{attribute}' is not a variable", name=attribute)
        return super().getattr(obj, attribute)

    def call_binop(self, context, operator, left, right):
        # "x" * 10**9 or 9**9**9 would eat memory or CPU before any output cap.
        if operator == "**" and (
            not isinstance(right, int)
            or abs(right) > MAX_POWER
            or (isinstance(left, int) and abs(left).bit_length() * abs(right) > 4096)
        ):
            raise SecurityError(_("Powers are limited to %(n)d.", n=MAX_POWER))
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if (
                    isinstance(seq, (str, list, tuple))
                    and isinstance(count, int)
                    and count * len(seq) > MAX_TEMPLATE_LENGTH
                ):
                    raise SecurityError(_("Repeating text is limited to %(n)d characters.", n=MAX_TEMPLATE_LENGTH))
        return super().call_binop(context, operator, left, right)


def _environment():
    env = _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.filters = {name: env.filters[name] for name in SAFE_FILTERS}
    env.filters["replace"] = _bounded_replace
    env.globals = {}
    return env


def _bounded_replace(value, old, new, count=None):
    # Chained replaces ("" -> long text) would otherwise grow a string
    # geometrically before any output limit could see it.
    value, old, new = str(value), str(old), str(new)
    occurrences = (len(value) + 1) if old == "" else value.count(old)
    if count is not None:
        occurrences = min(occurrences, int(count))
    if len(value) + occurrences * max(len(new) - len(old), 0) > MAX_TEMPLATE_LENGTH:
        raise SecurityError(_("Replacing text is limited to %(n)d characters.", n=MAX_TEMPLATE_LENGTH))
    return value.replace(old, new) if count is None else value.replace(old, new, int(count))


_ENV = _environment()


def _parse(source):
    if source is None:
        source = ""
    if len(source) > MAX_TEMPLATE_LENGTH:
        raise TemplateProblem(
            _("Templates are at most %(n)d characters.", n=MAX_TEMPLATE_LENGTH), code="template_too_long"
        )
    try:
        tree = _ENV.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(
            _("Template error on line %(line)d: %(message)s", line=exc.lineno or 1, message=exc.message),
            code="template_syntax",
        )
    except RecursionError:
        raise _too_deep()
    try:
        forbidden = next(iter(tree.find_all(FORBIDDEN_NODES)), None)
    except RecursionError:
        raise _too_deep()
    if forbidden is not None:
        raise TemplateProblem(
            _(
                "Line %(line)d: loops, blocks, macros and includes are not allowed in macro templates.",
                line=forbidden.lineno,
            ),
            code="template_unsafe",
        )
    try:
        return _ENV.from_string(tree)
    except TemplateSyntaxError as exc:  # e.g. an unknown filter, found while compiling
        raise TemplateProblem(
            _("Template error on line %(line)d: %(message)s", line=exc.lineno or 1, message=exc.message),
            code="template_syntax",
        )
    except (RecursionError, MemoryError, SyntaxError):
        # Deeply nested expressions overflow the parser or Python's compiler.
        raise _too_deep()


def _too_deep():
    return TemplateProblem(_("This template nests too deeply."), code="template_unsafe")


def _render(template, values, limit):
    pieces, size = [], 0
    try:
        for piece in template.generate(values):
            size += len(piece)
            if size > limit:
                raise TemplateProblem(
                    _("The rendered text is longer than %(n)d characters.", n=limit), code="template_too_long"
                )
            pieces.append(piece)
    except UndefinedError as exc:
        raise TemplateProblem(
            _(
                "Unknown variable: %(detail)s. Available: %(names)s.",
                detail=exc.message,
                names=", ".join(variable_names()),
            ),
            code="template_unknown_variable",
        )
    except SecurityError as exc:
        raise TemplateProblem(_("Not allowed in a macro template: %(detail)s", detail=str(exc)), code="template_unsafe")
    except TemplateError as exc:
        raise TemplateProblem(_("Template error: %(detail)s", detail=str(exc)), code="template_error")
    except RecursionError:
        raise _too_deep()
    except (TypeError, ValueError, ArithmeticError, OverflowError) as exc:
        raise TemplateProblem(_("Template error: %(detail)s", detail=str(exc)), code="template_error")
    return "".join(pieces)


def variable_names():
    """Every variable a template may use, as ``group.field``."""
    return [f"{group}.{field}" for group, fields in VARIABLES.items() for field in fields]


def _output_limit():
    default = 64 * 1024
    return current_app.config.get("MAX_MESSAGE_TEXT", default) if has_app_context() else default


def check(source):
    """Validate a template before saving it: syntax, allowed constructs, and
    a trial render on sample values (so unknown variables are caught now).
    Raises :class:`TemplateProblem`."""
    template = _parse(source)
    _render(template, {group: Values(group, fields) for group, fields in VARIABLES.items()}, _output_limit())


@dataclasses.dataclass
class RenderContext:
    """The values of one ticket, agent and organization, ready to render
    any number of templates."""

    values: dict

    def render(self, source):
        """Render ``source``; raises :class:`TemplateProblem`."""
        return _render(_parse(source), self.values, _output_limit())


def context_for(ticket, agent) -> RenderContext:
    """Build the template values for ``ticket`` seen by ``agent``."""
    profile = ticket.profile
    name = profile.name or ""
    first, _sep, last = name.partition(" ")
    general = plugin_settings("core")
    values = {
        "customer": {
            "name": name,
            "first_name": first,
            "last_name": last,
            "email": profile.email or "",
            "phone": profile.phone or "",
        },
        "agent": {
            "name": agent.name if agent else "",
            "first_name": agent.first_name if agent else "",
            "email": agent.email if agent else "",
        },
        "ticket": {
            "number": ticket.number,
            "subject": ticket.subject or "",
            "channel": ticket.channel,
            "status": ticket.status,
        },
        "organization": {
            "name": general.get("organization_name", ""),
            "support_email": general.get("support_email", ""),
        },
    }
    return RenderContext({group: Values(group, fields) for group, fields in values.items()})
