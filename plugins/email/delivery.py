"""An agent's "retry now" on an email reply that failed for good."""

from flask_babel import gettext as _

from app.plugin import Conflict, Message, NotFound, retry_delivery

SLUG = "email"


def retry(message_id):
    """Try a failed email reply again at once; returns the message as it is
    afterwards. Only a ``failed`` reply can be retried (a queued one is
    already being retried on its schedule)."""
    message = Message.get_or_none(
        (Message.id == message_id)
        & (Message.channel == SLUG)
        & (Message.direction == "outbound")
        & (Message.kind == "message")
    )
    if message is None:
        raise NotFound(_("No such email reply."), code="not_found")
    if message.delivery_state != "failed":
        raise Conflict(_("Only a failed reply can be retried now."), code="not_failed")
    retry_delivery(message)
    return Message.get_by_id(message.id)
