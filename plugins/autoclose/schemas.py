"""Auto-close settings: validated on write, defaults filled in on read."""

import marshmallow as ma
from flask_babel import lazy_gettext as _l

MIN_DAYS, MAX_DAYS = 1, 90
MIN_GRACE, MAX_GRACE = 1, 120


class AutoCloseSettings(ma.Schema):
    """What the merchant controls: dry run, the period and the typing grace.
    The plugin's switch turns the rule on and off (there is no second one;
    an ``enabled`` key stored before migration 0001 is ignored)."""

    dry_run = ma.fields.Boolean(
        load_default=False,
        metadata={
            "label": _l("Dry run"),
            "help": _l(
                "Record which tickets would close, without closing them. Watch it for a week, then switch dry run off."
            ),
        },
    )
    inactivity_days = ma.fields.Integer(
        load_default=2,
        strict=True,
        validate=ma.validate.Range(min=MIN_DAYS, max=MAX_DAYS, error=_l("The inactivity period is from 1 to 90 days.")),
        error_messages={
            "invalid": _l("The inactivity period is a whole number of days."),
            "null": _l("The inactivity period is from 1 to 90 days."),
        },
        metadata={
            "label": _l("Inactivity period"),
            "unit": _l("days"),
            "help": _l("Without a customer reply after an agent or bot answered, 1 to 90."),
        },
    )
    typing_grace_minutes = ma.fields.Integer(
        load_default=5,
        strict=True,
        validate=ma.validate.Range(
            min=MIN_GRACE, max=MAX_GRACE, error=_l("The typing grace is from 1 to 120 minutes.")
        ),
        error_messages={
            "invalid": _l("The typing grace is a whole number of minutes."),
            "null": _l("The typing grace is from 1 to 120 minutes."),
        },
        metadata={
            "label": _l("Typing grace"),
            "unit": _l("minutes"),
            "help": _l("A customer typing in web chat when the period runs out gets this long more, 1 to 120."),
        },
    )


class PreviewQuery(ma.Schema):
    """``?inactivity_days=`` (default: the saved period)."""

    inactivity_days = ma.fields.Integer(
        validate=ma.validate.Range(min=MIN_DAYS, max=MAX_DAYS, error=_l("The inactivity period is from 1 to 90 days.")),
    )


class AutoClosePreviewTicket(ma.Schema):
    id = ma.fields.Integer()
    subject = ma.fields.String()
    channel = ma.fields.String()
    status = ma.fields.String()
    awaiting_customer_since = ma.fields.AwareDateTime(metadata={"description": "When the clock started (UTC)."})


class AutoClosePreview(ma.Schema):
    """What auto-close would do with this period (docs/rules.md, "Preview")."""

    inactivity_days = ma.fields.Integer()
    would_close_now = ma.fields.Integer(metadata={"description": "Open or snoozed tickets the sweep would close now."})
    closed_last_30_days = ma.fields.Integer(
        metadata={"description": "Clocks that ran out in the last 30 days before the customer wrote."}
    )
    per_day = ma.fields.Float(metadata={"description": "closed_last_30_days / 30, one decimal."})
    sample = ma.fields.List(
        ma.fields.Nested(AutoClosePreviewTicket), metadata={"description": "Up to 20, longest waiting first."}
    )
