"""The web chat channel: one ticket per conversation, never reopened."""

from flask_babel import gettext as _
from flask_babel import ngettext

from app.plugin import CardFact, Channel, ChannelCard, SendResult

from . import conversations


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

    def card(self, ticket):
        """The chat's visitor: still in the chat or gone, signed in by the
        storefront or not, the page they write from, the address they gave
        and the follow-up emails sent.
        (The widget does not record the browser or a location.)"""
        visitor = conversations.visitor_summary(ticket)
        if visitor is None:
            return None
        present = visitor["present"]
        facts = [
            CardFact(
                _("Visitor"),
                _("In the chat now") if present else _("Left the chat"),
                state="online" if present else "left",
            )
        ]
        if visitor["signed_in"]:
            facts.append(CardFact(_("Identity"), _("Signed in on the storefront"), state="verified"))
        if visitor["page_url"]:
            facts.append(CardFact(_("Page"), visitor["page_url"], href=visitor["page_url"]))
        if visitor["email"]:
            label = _("Email (signed)") if visitor["signed_in"] else _("Email (typed)")
            facts.append(CardFact(label, visitor["email"]))
        if visitor["followups"]:
            count = visitor["followups"]
            facts.append(CardFact(_("Follow-ups"), ngettext("%(num)d email sent", "%(num)d emails sent", count)))
        return ChannelCard(_("Web chat visitor"), facts)

    def send(self, outbound):
        return SendResult(external_id=f"out:{outbound.message_id}")
