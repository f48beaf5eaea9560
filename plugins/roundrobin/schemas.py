"""Round-robin settings: validated on write, defaults filled in on read."""

import marshmallow as ma
from flask_babel import lazy_gettext as _l

from app.plugin import INBOX_ROLES

DEFAULT_ROLES = ["manager", "support"]
ROLE_LABELS = {"owner": _l("Owner"), "admin": _l("Admin"), "manager": _l("Manager"), "support": _l("Support")}
MAX_CAP = 1000
# A backlog waiting when the first agent logs in is shared with those who
# log in next only if nobody may take it all (issue 17).
DEFAULT_CAP = 10


class RoundRobinSettings(ma.Schema):
    """Dry run, who takes part in the rotation, and an optional cap. The
    plugin's switch turns the rule on and off (there is no second one)."""

    dry_run = ma.fields.Boolean(
        load_default=False,
        metadata={
            "label": _l("Dry run"),
            "help": _l("Record who would get each new ticket, without assigning it."),
        },
    )
    roles = ma.fields.List(
        ma.fields.String(
            validate=ma.validate.OneOf(
                INBOX_ROLES,
                labels=[ROLE_LABELS[role] for role in INBOX_ROLES],
                error=_l("Roles in the rotation are owner, admin, manager or support."),
            )
        ),
        load_default=lambda: list(DEFAULT_ROLES),
        validate=ma.validate.Length(min=1, max=len(INBOX_ROLES), error=_l("Choose at least one role.")),
        metadata={"label": _l("Roles in the rotation"), "help": _l("Online agents with these roles take turns.")},
    )
    max_open_per_agent = ma.fields.Integer(
        load_default=DEFAULT_CAP,
        # None: settings saved before the default cap existed ("no limit").
        allow_none=True,
        strict=True,
        validate=ma.validate.Range(min=0, max=MAX_CAP, error=_l("The cap is from 0 (no limit) to 1000 open tickets.")),
        error_messages={"invalid": _l("The cap is a whole number of tickets.")},
        metadata={
            "label": _l("Most open tickets per agent"),
            "unit": _l("tickets"),
            "help": _l(
                "0 for no limit. Agents at the cap are skipped until they close, snooze or hand on a ticket; "
                "waiting tickets then go to them."
            ),
        },
    )


class RoundRobinOnlineAgent(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    role = ma.fields.String()
    open_tickets = ma.fields.Integer()
    room = ma.fields.Integer(allow_none=True, metadata={"description": "Tickets more within the cap; null: no cap."})


class RoundRobinShare(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    gets = ma.fields.Integer()


class RoundRobinPreview(ma.Schema):
    """What round-robin would do now (docs/rules.md, "Preview")."""

    cap = ma.fields.Integer(metadata={"description": "max_open_per_agent; 0: no limit."})
    online = ma.fields.List(ma.fields.Nested(RoundRobinOnlineAgent), metadata={"description": "Next in turn first."})
    waiting = ma.fields.Integer(metadata={"description": "Open tickets in Unassigned."})
    spread = ma.fields.List(ma.fields.Nested(RoundRobinShare))
    left_waiting = ma.fields.Integer(metadata={"description": "Tickets that would still wait (everyone at the cap)."})
