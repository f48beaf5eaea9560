"""The webhooks plugin's settings (the retry schedule and the timeout) and
the JSON API's request and response schemas."""

import marshmallow as ma
from flask_babel import lazy_gettext as _l

from app.plugin import Id, UtcDateTime

from .destinations import MAX_URL
from .events import EVENT_TYPES
from .models import DELIVERY_STATES
from .service import MAX_DESCRIPTION


class WebhooksSettings(ma.Schema):
    """How hard Helpline tries: attempt n waits ``backoff_seconds * 2**(n-1)``."""

    max_attempts = ma.fields.Integer(
        load_default=8,
        strict=True,
        validate=ma.validate.Range(min=1, max=20, error=_l("From 1 to 20 attempts.")),
        metadata={
            "label": _l("Attempts per delivery"),
            "unit": _l("attempts"),
            "help": _l("How many times a delivery is tried before it is marked failed."),
        },
    )
    backoff_seconds = ma.fields.Integer(
        load_default=60,
        strict=True,
        validate=ma.validate.Range(min=10, max=3600, error=_l("From 10 to 3600 seconds.")),
        metadata={
            "label": _l("First retry after"),
            "unit": _l("seconds"),
            "help": _l("Each later retry waits twice as long as the one before."),
        },
    )
    timeout_seconds = ma.fields.Integer(
        load_default=10,
        strict=True,
        validate=ma.validate.Range(min=1, max=30, error=_l("From 1 to 30 seconds.")),
        metadata={
            "label": _l("Answer timeout"),
            "unit": _l("seconds"),
            "help": _l("An endpoint that has not answered by then has failed this attempt."),
        },
    )


EVENT_NAMES = sorted(EVENT_TYPES)


class EndpointInSchema(ma.Schema):
    url = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=MAX_URL))
    description = ma.fields.String(load_default="", validate=ma.validate.Length(max=MAX_DESCRIPTION))
    events = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(EVENT_NAMES)),
        required=True,
        validate=ma.validate.Length(min=1, max=len(EVENT_NAMES)),
    )
    enabled = ma.fields.Boolean(load_default=True)


class EndpointPatchSchema(ma.Schema):
    url = ma.fields.String(validate=ma.validate.Length(min=1, max=MAX_URL))
    description = ma.fields.String(validate=ma.validate.Length(max=MAX_DESCRIPTION))
    events = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(EVENT_NAMES)),
        validate=ma.validate.Length(min=1, max=len(EVENT_NAMES)),
    )
    enabled = ma.fields.Boolean()


class EndpointSchema(ma.Schema):
    id = ma.fields.Integer()
    url = ma.fields.String()
    description = ma.fields.String()
    events = ma.fields.List(ma.fields.String())
    enabled = ma.fields.Boolean()
    secret_hint = ma.fields.String(metadata={"description": "The secret's prefix and last four characters."})
    secret_rotated_at = UtcDateTime()
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class EndpointWithSecretSchema(EndpointSchema):
    secret = ma.fields.String(
        metadata={"description": "The signing secret in full: returned only when created or rotated."}
    )


class EndpointListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(EndpointSchema))


class EventTypeSchema(ma.Schema):
    name = ma.fields.String()
    label = ma.fields.String()


class EventTypeListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(EventTypeSchema))


class DeliverySchema(ma.Schema):
    id = ma.fields.Integer()
    uid = ma.fields.String(metadata={"description": "The delivery id header: the same on every attempt."})
    endpoint_id = ma.fields.Integer()
    event_id = ma.fields.String()
    event_type = ma.fields.String()
    state = ma.fields.String(metadata={"description": "pending, succeeded or failed"})
    attempts = ma.fields.Integer()
    status_code = ma.fields.Integer(allow_none=True)
    duration_ms = ma.fields.Integer(allow_none=True)
    error = ma.fields.String()
    response_excerpt = ma.fields.String()
    next_attempt_at = UtcDateTime(allow_none=True)
    last_attempt_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()


class DeliveryDetailSchema(DeliverySchema):
    body = ma.fields.String(metadata={"description": "The JSON body sent, exactly."})


class DeliveryListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(DeliverySchema))
    next_cursor = ma.fields.String(allow_none=True)


class DeliveryListQuerySchema(ma.Schema):
    endpoint_id = Id(metadata={"description": "Only this endpoint's deliveries."})
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=100))
    cursor = ma.fields.String(validate=ma.validate.Length(max=12))
    state = ma.fields.String(validate=ma.validate.OneOf(DELIVERY_STATES))
