"""Hooks the SMS plugin offers to other plugins (a marketing system)."""

from app.plugin import hookspec


@hookspec
def helpline_on_sms_attributed(message, ticket, attribution):
    """An inbound SMS was attributed to a campaign or flow SMS (called
    after commit).

    :param message: the inbound :class:`app.models.Message`.
    :param ticket: its ticket.
    :param attribution: the dict stored in ``message.meta["attribution"]``:
        ``sent_sms_id``, ``source_type``, ``source_id``, ``source_name``, ``sent_at``
        (ISO 8601 in UTC with its offset, ``2026-11-27T09:00:00+00:00``).
    """
