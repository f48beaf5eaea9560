"""Marshmallow schemas shared by the API resources. Request schemas reject
unknown fields (marshmallow's ``RAISE``) and bound every size."""

from __future__ import annotations

import datetime as dt
import re

import marshmallow as ma
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from ..clock import utc_iso
from ..models import PRESENCE as PRESENCES
from ..models import ROLES
from ..services.tickets import BULK_ACTIONS, MAX_BULK
from ..services.views import MAX_LIMIT
from ..validation import Id, TimeZone, UtcDateTime


class Strict(ma.Schema):
    """Base for request bodies: unknown fields are an error."""

    class Meta:
        unknown = ma.RAISE


# A time stored without its offset inside a JSON column: always UTC (DESIGN.md
# §5), written by ``isoformat()`` or ``str()`` of a naive datetime, or with a
# ``Z`` (UTC too, but not how the API writes it).
_NAIVE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z?")


class UtcJson(fields.Dict):
    """A free-form JSON object (activity data, a reason's inputs, audit
    details, a panel's data) whose times go out like every other time of the
    API: ISO 8601 with the UTC offset ``+00:00``. Services and plugins store
    them naive (or as datetimes); the wire never shows a time a client could
    read as local, nor a second way of writing UTC."""

    def _serialize(self, value, attr, obj, **kwargs):
        return _with_offsets(super()._serialize(value, attr, obj, **kwargs))


def _with_offsets(value):
    if isinstance(value, dict):
        return {key: _with_offsets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_with_offsets(item) for item in value]
    if isinstance(value, str) and _NAIVE_TIME.fullmatch(value):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        return utc_iso(moment)
    if isinstance(value, dt.datetime):  # else Flask would write an HTTP date
        return (value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat()
    return value


# --- small shapes ----------------------------------------------------------


class AgentRef(ma.Schema):
    id = fields.Integer()
    name = fields.String()


class ProfileRef(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


class TicketSummary(ma.Schema):
    id = fields.Integer()
    number = fields.Integer()
    subject = fields.String()
    channel = fields.String()
    status = fields.String()
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


# --- tickets -----------------------------------------------------------------

STATUS = validate.OneOf(("open", "snoozed", "closed"))
ASSIGNEE = validate.Regexp(r"^(me|none|\d{1,12})$", error=_l("Use me, none or an agent id."))


class FilterFields(ma.Schema):
    """The filters of a list, a saved view or a bulk selection."""

    status = fields.List(fields.String(validate=STATUS), validate=validate.Length(max=3))
    channel = fields.List(fields.String(validate=validate.Length(min=1, max=32)), validate=validate.Length(max=20))
    assignee = fields.String(validate=ASSIGNEE, metadata={"description": "me, none or an agent id"})
    tag = fields.String(validate=validate.Length(min=1, max=64))
    profile = Id()
    text = fields.String(validate=validate.Length(min=1, max=200))
    created_after = UtcDateTime()
    created_before = UtcDateTime()
    updated_after = UtcDateTime()
    updated_before = UtcDateTime()


class Filters(FilterFields, Strict):
    pass


def filters_for_service(filters):
    """Loaded filters as plain JSON-able values (what ``app.services.views``
    stores and validates)."""
    out = {}
    for key, value in (filters or {}).items():
        out[key] = value.isoformat() if isinstance(value, dt.datetime) else value
    return out


def filters_from_service(filters):
    """Stored filters (naive ISO strings) back to values our schemas dump."""
    out = dict(filters or {})
    for key in ("created_after", "created_before", "updated_after", "updated_before"):
        if isinstance(out.get(key), str):
            try:
                out[key] = dt.datetime.fromisoformat(out[key])
            except ValueError:
                out.pop(key)
    return out


class TicketListQuery(FilterFields):
    view = fields.String(
        load_default="mine",
        validate=validate.Length(min=1, max=20),
        metadata={"description": "mine, unassigned, all or a saved view id"},
    )
    q = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "full-text search (subject, every message, customer name/email/phone); same as text"},
    )
    sort = fields.String(
        validate=validate.OneOf(("updated", "created", "relevance")),
        metadata={"description": "default: relevance (best match first) with a search, else updated"},
    )
    order = fields.String(load_default="desc", validate=validate.OneOf(("asc", "desc")))
    limit = fields.Integer(load_default=25, validate=validate.Range(min=1, max=MAX_LIMIT))
    cursor = fields.String(
        validate=validate.Length(min=1, max=300), metadata={"description": "next_cursor of the previous page"}
    )


class TicketSchema(TicketSummary):
    assignee = fields.Nested(AgentRef, allow_none=True)
    profile = fields.Nested(ProfileRef)
    tags = fields.List(fields.String())
    unread = fields.Boolean()
    last_message_preview = fields.String()
    snoozed_until = UtcDateTime(allow_none=True)
    closed_at = UtcDateTime(allow_none=True)
    closed_reason = fields.String(allow_none=True)


class TicketDetailSchema(TicketSchema):
    reopen_count = fields.Integer()
    first_response_at = UtcDateTime(allow_none=True)
    last_customer_message_at = UtcDateTime(allow_none=True)
    profile_ticket_count = fields.Integer(metadata={"description": "Tickets of this customer, this one included."})
    can_reply = fields.Boolean()
    reply_refusal = fields.Dict(allow_none=True, metadata={"description": "{code, message} when replies are refused"})
    merged_into_id = fields.Integer(
        allow_none=True, metadata={"description": "The ticket this one was merged into (closed_reason merged)"}
    )


class MergeBody(Strict):
    into = Id(required=True, metadata={"description": "The ticket (same customer) that receives the messages"})


class SplitBody(Strict):
    message_id = Id(required=True, metadata={"description": "The first message of the new ticket"})


class MergeResult(ma.Schema):
    ticket = fields.Nested(lambda: TicketDetailSchema(), metadata={"description": "The merged ticket"})
    into = fields.Nested(lambda: TicketDetailSchema(), metadata={"description": "The ticket it was merged into"})
    unmerge_until = UtcDateTime(allow_none=True, metadata={"description": "Until when the merge can be undone"})


class TicketPage(ma.Schema):
    items = fields.List(fields.Nested(TicketSchema))
    next_cursor = fields.String(allow_none=True)


def _utc(value):
    # What UtcDateTime dumps: ISO 8601 with the UTC offset.
    return utc_iso(value)


def _text(value):
    return None if value is None else str(value)


def ticket_page(rows, next_cursor):
    """``TicketPage().dump({"items": rows, "next_cursor": next_cursor})``,
    written out for the list's rows (``app.services.views.list_tickets``):
    marshmallow's per-field work cost a list request more CPU than its
    queries (docs/benchmarks.md, "List requests: CPU per request").
    tests/api/test_api_list_json.py holds the two equal, byte for byte; a field
    added to TicketSchema must be added here too."""
    items = []
    for t in rows:
        assignee = t.assignee if t.assignee_id is not None else None
        profile = t.profile
        items.append(
            {
                "id": t.id,
                "number": t.id,
                "subject": _text(t.subject),
                "channel": _text(t.channel),
                "status": _text(t.status),
                "created_at": _utc(t.created_at),
                "updated_at": _utc(t.updated_at),
                "assignee": None if assignee is None else {"id": assignee.id, "name": _text(assignee.name)},
                "profile": {
                    "id": profile.id,
                    "name": _text(profile.name),
                    "email": _text(profile.email),
                    "phone": _text(profile.phone),
                },
                "tags": [str(tag) for tag in t.tags],
                "unread": bool(t.unread),
                "last_message_preview": _text(t.last_message_preview),
                "snoozed_until": _utc(t.snoozed_until),
                "closed_at": _utc(t.closed_at),
                "closed_reason": _text(t.closed_reason),
            }
        )
    return {"items": items, "next_cursor": next_cursor}


class TicketPatch(Strict):
    status = fields.String(validate=STATUS)
    snoozed_until = UtcDateTime(allow_none=True)
    assignee_id = Id(allow_none=True, metadata={"description": "null unassigns"})
    tags = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        validate=validate.Length(max=50),
        metadata={"description": "the full set of tags"},
    )


class MessageSchema(ma.Schema):
    id = fields.Integer()
    ticket_id = fields.Integer()
    channel = fields.String()
    direction = fields.String()
    kind = fields.String()
    author_type = fields.String()
    author = fields.Nested(AgentRef, allow_none=True)
    text = fields.String()
    html = fields.String()
    attachments = fields.List(fields.Dict())
    delivery_state = fields.String(allow_none=True)
    delivery_error = fields.String(allow_none=True)
    reason = fields.Function(
        lambda m: _with_offsets((m.meta or {}).get("why")),
        metadata={"description": "Why an automatic message or notice was written (see ReasonSchema); else null"},
    )
    created_at = UtcDateTime()


class MessageQuery(ma.Schema):
    before = Id(metadata={"description": "only messages older than this message id"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class MessagePage(ma.Schema):
    items = fields.List(fields.Nested(MessageSchema), metadata={"description": "oldest first"})
    has_more = fields.Boolean()
    before = fields.Integer(allow_none=True, metadata={"description": "pass as ?before= for older messages"})


class MessageCreate(Strict):
    kind = fields.String(required=True, validate=validate.OneOf(("reply", "note")))
    text = fields.String(required=True, validate=validate.Length(max=64 * 1024))
    html = fields.String(validate=validate.Length(max=256 * 1024))
    after_message_id = Id(
        metadata={
            "description": "the newest message id your agent had seen when they wrote this reply: a public "
            "reply sent since by someone else answers 409 newer_reply instead of sending (absent: no check; "
            "notes are never checked)"
        }
    )


class ReadBody(Strict):
    message_id = Id(
        metadata={"description": "read up to this message (default: the latest)"},
    )


class BulkRequest(Strict):
    action = fields.String(required=True, validate=validate.OneOf(BULK_ACTIONS))
    ids = fields.List(Id(), validate=validate.Length(min=1, max=MAX_BULK))
    view = fields.String(
        validate=validate.Length(min=1, max=20),
        metadata={"description": f"instead of ids: every ticket of this view (at most {MAX_BULK})"},
    )
    filters = fields.Nested(Filters)
    assignee_id = Id()
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=64)), validate=validate.Length(max=50))
    until = UtcDateTime(metadata={"description": "for snooze"})

    @ma.validates_schema
    def _selection(self, data, **kwargs):
        if not data.get("ids") and not data.get("view") and data.get("filters") is None:
            raise ma.ValidationError(_("Give ids, a view or filters."), "ids")
        if data.get("action") == "assign" and not data.get("assignee_id"):
            raise ma.ValidationError(_("Choose an agent to assign."), "assignee_id")
        if data.get("action") in ("tag", "untag") and not data.get("tags"):
            raise ma.ValidationError(_("Give the tags."), "tags")
        if data.get("action") == "snooze" and not data.get("until"):
            raise ma.ValidationError(_("Snoozing needs a time to wake up."), "until")


class BulkResult(ma.Schema):
    id = fields.Integer()
    ok = fields.Boolean()
    error = fields.String(allow_none=True)


class BulkResponse(ma.Schema):
    results = fields.List(fields.Nested(BulkResult))
    succeeded = fields.Integer()
    failed = fields.Integer()


# --- views -------------------------------------------------------------------


class ViewSchema(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    shared = fields.Boolean()
    owner = fields.Nested(AgentRef, allow_none=True)
    filters = fields.Nested(FilterFields)
    position = fields.Integer()
    created_at = UtcDateTime()


class ViewList(ma.Schema):
    items = fields.List(fields.Nested(ViewSchema))


def view_out(view):
    """A saved view ready for :class:`ViewSchema` (its stored filters
    turned back into the values the schema dumps)."""
    view.filters = filters_from_service(view.filters)
    return view


class ViewCreate(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    filters = fields.Nested(Filters, load_default=dict)
    shared = fields.Boolean(load_default=False)


class ViewPatch(Strict):
    name = fields.String(validate=validate.Length(min=1, max=100))
    filters = fields.Nested(Filters)
    shared = fields.Boolean()


# --- agents ----------------------------------------------------------------

ROLE = validate.OneOf(ROLES)
PRESENCE = validate.OneOf(PRESENCES)


class AgentSchema(ma.Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    role = fields.String()
    presence = fields.String(attribute="presence_effective", metadata={"description": "what others see"})
    chosen_presence = fields.String(attribute="presence")
    timezone = fields.String()
    is_active = fields.Boolean()
    created_at = UtcDateTime()
    two_factor = fields.Function(
        lambda agent: agent.totp_enabled_at is not None, metadata={"description": "TOTP two-factor is on"}
    )


class AgentCreate(Strict):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = fields.String(validate=validate.Length(min=1, max=120))
    role = fields.String(load_default="support", validate=ROLE)
    password = fields.String(load_only=True, validate=validate.Length(min=8, max=200))
    timezone = TimeZone(load_default="UTC")


class AgentPatch(Strict):
    name = fields.String(validate=validate.Length(min=1, max=120))
    role = fields.String(validate=ROLE)
    password = fields.String(load_only=True, validate=validate.Length(min=8, max=200))
    timezone = TimeZone()
    is_active = fields.Boolean()


class AgentList(ma.Schema):
    items = fields.List(fields.Nested(AgentSchema))


class PresenceBody(Strict):
    presence = fields.String(required=True, validate=PRESENCE)


class MeSchema(ma.Schema):
    agent = fields.Nested(AgentSchema)
    permissions = fields.List(fields.String())
    unread = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={
            "description": "unread tickets per view (mine, unassigned, all, saved view ids); exact for mine and "
            "unassigned, at most 1000 for the others (1000 means 1000 or more)"
        },
    )
    unread_badge = fields.Boolean()
    views = fields.List(fields.Nested(ViewSchema))


# --- auth ------------------------------------------------------------------


class LoginBody(Strict):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))
    otp = fields.String(
        load_only=True,
        validate=validate.Length(min=1, max=32),
        metadata={"description": "with two-factor on: a code from the app or a recovery code"},
    )


class SessionSchema(ma.Schema):
    agent = fields.Nested(AgentSchema, allow_none=True)
    csrf_token = fields.String(metadata={"description": "send as X-CSRFToken on unsafe cookie requests"})


class AuditQuery(Strict):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.Integer(
        validate=validate.Range(min=1, max=2**63 - 1), metadata={"description": "next_cursor of the previous page"}
    )


class AuditEntrySchema(ma.Schema):
    id = fields.Integer()
    at = UtcDateTime()
    actor = fields.Nested(AgentRef, allow_none=True, metadata={"description": "null: the CLI or a task"})
    action = fields.String(metadata={"description": "e.g. settings.changed, plugin.enabled, agent.role_changed"})
    target = fields.String()
    details = UtcJson(metadata={"description": "What changed; times in ISO 8601 UTC"})
    ip = fields.String(metadata={"description": "the client address (behind a proxy: as PROXY_HOPS allows)"})


class AuditPage(ma.Schema):
    items = fields.List(fields.Nested(AuditEntrySchema))
    next_cursor = fields.Integer(allow_none=True)


class AgentSessionSchema(ma.Schema):
    id = fields.Integer()
    created_at = UtcDateTime()
    last_seen_at = UtcDateTime()
    ip = fields.String()
    user_agent = fields.String()
    current = fields.Boolean(metadata={"description": "the session making this request"})


class SessionList(ma.Schema):
    items = fields.List(fields.Nested(AgentSessionSchema))


class TokenSchema(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String(metadata={"description": "the first characters, to recognize it"})
    created_at = UtcDateTime()
    last_used_at = UtcDateTime(allow_none=True)
    revoked_at = UtcDateTime(allow_none=True)
    scope = fields.String(metadata={"description": "full, or read (GET/HEAD/OPTIONS only; else 403)"})
    expires_at = UtcDateTime(allow_none=True, metadata={"description": "null: never expires"})


class TokenCreated(TokenSchema):
    token = fields.String(metadata={"description": "shown once; store it now"})


class TokenCreate(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    scope = fields.String(
        load_default="full",
        validate=validate.OneOf(("full", "read")),
        metadata={"description": "read: the token may only read (unsafe methods answer 403)"},
    )
    expires_in_days = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=3650),
        metadata={"description": "the token stops working this many days from now; omitted: never"},
    )


class TokenList(ma.Schema):
    items = fields.List(fields.Nested(TokenSchema))


# --- profiles, plugins, settings -----------------------------------------------


class PanelSchema(ma.Schema):
    slug = fields.String()
    title = fields.String()
    plugin = fields.String()
    data = UtcJson(allow_none=True, metadata={"description": "The panel's data; times in ISO 8601 UTC"})
    error = fields.String(allow_none=True)


class IdentitySchema(ma.Schema):
    id = fields.Integer()
    source = fields.String(metadata={"description": "a channel slug (webchat), a provider (shopify), or email / phone"})
    external_id = fields.String()
    verified = fields.Boolean(
        metadata={"description": "false: typed by the customer (e.g. in web chat), not proven; never matched"}
    )
    created_at = UtcDateTime()


class ProfileSchema(ProfileRef):
    sms_consent = fields.String(allow_none=True)
    identities = fields.List(fields.Nested(IdentitySchema), attribute="identity_list")
    created_at = UtcDateTime()
    ticket_count = fields.Integer()
    recent_tickets = fields.List(fields.Nested(TicketSummary))
    panels = fields.List(fields.Nested(PanelSchema))


class PluginSchema(ma.Schema):
    name = fields.String()
    status = fields.String(metadata={"description": "loaded, failed, blocked or skipped"})
    enabled = fields.Boolean()
    version = fields.String(allow_none=True)
    first_party = fields.Boolean()
    display_name = fields.String(metadata={"description": "The name shown to people"})
    description = fields.String(metadata={"description": "What the plugin does, for merchants"})
    error = fields.String(allow_none=True)
    has_settings = fields.Boolean()


class PluginList(ma.Schema):
    items = fields.List(fields.Nested(PluginSchema))


class SettingsSchema(ma.Schema):
    plugin = fields.String()
    settings = fields.Dict()
    fields_ = fields.List(
        fields.Dict(), data_key="fields", metadata={"description": "name, type, label, help, required of each setting"}
    )


class SettingsBody(ma.Schema):
    """Any object: validated by the plugin's own settings schema."""

    class Meta:
        unknown = ma.INCLUDE


class ReasonSchema(ma.Schema):
    """Why an automatic action happened (docs/rules.md, "Why did this happen?")."""

    rule = fields.String(
        metadata={"description": "autoclose, roundrobin, snooze, webchat.auto_replies, sms.autoresponder, ..."}
    )
    summary = fields.String(metadata={"description": "One sentence for people"})
    inputs = UtcJson(metadata={"description": "What the rule decided on (times in ISO 8601 UTC)"})
    settings_url = fields.String(allow_none=True, metadata={"description": "The rule's settings page"})


class ActivitySchema(ma.Schema):
    id = fields.Integer()
    ticket_id = fields.Integer()
    action = fields.String(
        metadata={
            "description": "closed, opened, reopened, assigned, replied, clock_armed, undone, followup_sent, "
            "macro_applied, auto_replied, merged, merged_in, unmerged, ..."
        }
    )
    actor = fields.Nested(AgentRef, allow_none=True, metadata={"description": "null: a rule or the system"})
    data = UtcJson(metadata={"description": "What changed; times in ISO 8601 UTC"})
    reason = fields.Nested(ReasonSchema, allow_none=True, metadata={"description": "Set on automatic actions"})
    undo_until = UtcDateTime(allow_none=True, metadata={"description": "Set while the action can be undone"})
    created_at = UtcDateTime()


class ActivityQuery(ma.Schema):
    before = fields.Integer(
        validate=validate.Range(min=1, max=2**53), metadata={"description": "only entries older than this id"}
    )
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class ActivityPage(ma.Schema):
    items = fields.List(fields.Nested(ActivitySchema), metadata={"description": "newest first"})
    before = fields.Integer(allow_none=True, metadata={"description": "pass as ?before= for older entries"})
