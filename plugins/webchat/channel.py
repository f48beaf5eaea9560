"""The web chat channel: one ticket per conversation, never reopened."""

from app.plugin import Channel, SendResult


class WebchatChannel(Channel):
    """Replies reach the visitor through their live stream (or a follow-up
    email once they left), so delivery here only records the reply as sent;
    the stream and the messages endpoint read it from the database."""

    slug = "webchat"
    label = "Web chat"
    reopens_closed = False
    # The inbox list shows what the visitor wrote, not the greeting or the
    # agent's answer.
    preview_from_customer = True

    def thread_key(self, inbound):
        """The conversation id the widget wrote in."""
        return inbound.meta.get("conversation") or inbound.external_id

    def send(self, outbound):
        return SendResult(external_id=f"out:{outbound.message_id}")
