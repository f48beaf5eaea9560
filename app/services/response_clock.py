"""Which replies count as an answer to the customer (DESIGN.md §3,
Auto-close): the first response and the auto-close clock.

An automatic acknowledgement (web chat greeting or away message, an SMS
autoresponder) tells the customer their message arrived; it is not an
answer, so it neither sets ``first_response_at`` nor arms the clock. A real
reply by an agent, a person or an AI agent answering for the merchant, does;
the clock arms when that reply is *delivered*, because a reply the customer
never got cannot be waited on."""

from __future__ import annotations

from ..models import Activity, Message, Ticket

# Message.meta key naming an automatic acknowledgement's kind ("greeting").
AUTOMATIC = "automatic"


def is_automatic(message: Message) -> bool:
    """True for an automatic acknowledgement (``meta["automatic"]`` set)."""
    return bool((message.meta or {}).get(AUTOMATIC))


def counts_as_response(message: Message) -> bool:
    """A public reply written for the customer: not a note or notice, not
    an automatic acknowledgement."""
    return message.direction == "outbound" and message.kind == "message" and not is_automatic(message)


def arm_on_delivery(message: Message, at) -> bool:
    """Arm the auto-close clock at ``at`` for a reply just delivered, inside
    the delivery's write transaction. Arms only the first delivered answer
    after the customer's latest message (a reply queued before the customer
    wrote again answered an older question), never on a closed ticket, and
    after a reopen only once the customer wrote again. Records a
    ``clock_armed`` activity (the reply and when) that auto-close cites as
    its reason. Returns True when the clock armed."""
    if not counts_as_response(message):
        return False
    armed = (
        Ticket.update(awaiting_customer_since=at)
        .where(
            (Ticket.id == message.ticket_id)
            & (Ticket.status != "closed")
            & Ticket.awaiting_customer_since.is_null()
            & Ticket.last_customer_message_at.is_null(False)
            & (Ticket.last_customer_message_at <= message.created_at)
            & (Ticket.reopened_at.is_null() | (Ticket.last_customer_message_at >= Ticket.reopened_at))
        )
        .execute()
    )
    if armed:
        Activity.create(
            ticket=message.ticket_id,
            actor=message.author_agent_id,
            action="clock_armed",
            data={
                "message_id": message.id,
                "replied_at": message.created_at.isoformat(),
                "delivered_at": at.isoformat(),
            },
            created_at=at,
        )
    return bool(armed)
