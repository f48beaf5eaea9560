"""Marshmallow schemas of the macros API: every body and query is bounded."""

import marshmallow as ma
from flask_babel import lazy_gettext as _l

from app.plugin import MAX_BULK, Id, UtcDateTime

from .service import MAX_ACTIONS, MAX_NAME

MAX_BODY = 20000


class MacroActionSchema(ma.Schema):
    type = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    params = ma.fields.Dict(keys=ma.fields.String(validate=ma.validate.Length(max=64)), load_default=dict)


class MacroInSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=MAX_NAME))
    body = ma.fields.String(load_default="", validate=ma.validate.Length(max=MAX_BODY))
    actions = ma.fields.List(
        ma.fields.Nested(MacroActionSchema), load_default=list, validate=ma.validate.Length(max=MAX_ACTIONS)
    )
    shared = ma.fields.Boolean(load_default=False)


class MacroPatchSchema(ma.Schema):
    name = ma.fields.String(validate=ma.validate.Length(min=1, max=MAX_NAME))
    body = ma.fields.String(validate=ma.validate.Length(max=MAX_BODY))
    actions = ma.fields.List(ma.fields.Nested(MacroActionSchema), validate=ma.validate.Length(max=MAX_ACTIONS))
    shared = ma.fields.Boolean()


class MacroOwnerSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()


class MacroSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    body = ma.fields.String()
    actions = ma.fields.List(ma.fields.Nested(MacroActionSchema))
    shared = ma.fields.Boolean()
    owner = ma.fields.Nested(MacroOwnerSchema)
    editable = ma.fields.Boolean()
    usage_count = ma.fields.Integer()
    last_used_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class MacroListQuerySchema(ma.Schema):
    q = ma.fields.String(validate=ma.validate.Length(max=MAX_NAME))
    shared = ma.fields.Boolean()
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=200))
    cursor = ma.fields.String(validate=ma.validate.Length(max=500))


class MacroListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(MacroSchema))
    next_cursor = ma.fields.String(allow_none=True)


class MacroTicketRefSchema(ma.Schema):
    ticket_id = Id(required=True)


class MacroApplySchema(MacroTicketRefSchema):
    body = ma.fields.String(
        validate=ma.validate.Length(max=MAX_BODY),
        metadata={"description": _l("The reply as the agent edited it; the macro's rendered body when missing.")},
    )


class MacroRefusalSchema(ma.Schema):
    code = ma.fields.String()
    message = ma.fields.String()


class MacroActionPreviewSchema(ma.Schema):
    type = ma.fields.String()
    label = ma.fields.String()
    summary = ma.fields.String()
    available = ma.fields.Boolean()


class MacroPreviewSchema(ma.Schema):
    body = ma.fields.String()
    actions = ma.fields.List(ma.fields.Nested(MacroActionPreviewSchema))
    refusal = ma.fields.Nested(MacroRefusalSchema, allow_none=True)


class MacroApplyResultSchema(ma.Schema):
    ticket_id = ma.fields.Integer()
    message_id = ma.fields.Integer(allow_none=True)
    usage_count = ma.fields.Integer()


class MacroBulkApplySchema(ma.Schema):
    macro_id = Id(required=True)
    ticket_ids = ma.fields.List(
        Id(),
        required=True,
        validate=ma.validate.Length(min=1, max=MAX_BULK),
    )


class MacroBulkResultSchema(ma.Schema):
    ticket_id = ma.fields.Integer()
    ok = ma.fields.Boolean()
    code = ma.fields.String()
    message = ma.fields.String()


class MacroBulkJobSchema(ma.Schema):
    id = ma.fields.Integer()
    macro_id = ma.fields.Integer(allow_none=True)
    macro_name = ma.fields.String()
    state = ma.fields.String()
    total = ma.fields.Integer()
    done = ma.fields.Integer()
    succeeded = ma.fields.Integer()
    failed = ma.fields.Integer()
    created_at = UtcDateTime()
    finished_at = UtcDateTime(allow_none=True)
    results = ma.fields.List(ma.fields.Nested(MacroBulkResultSchema))


class MacroParamSchema(ma.Schema):
    name = ma.fields.String()
    type = ma.fields.String()
    required = ma.fields.Boolean()
    choices = ma.fields.List(ma.fields.String(), allow_none=True)


class MacroActionInfoSchema(ma.Schema):
    name = ma.fields.String()
    label = ma.fields.String()
    params = ma.fields.List(ma.fields.Nested(MacroParamSchema))


class MacroCatalogSchema(ma.Schema):
    actions = ma.fields.List(ma.fields.Nested(MacroActionInfoSchema))
    variables = ma.fields.List(ma.fields.String())
