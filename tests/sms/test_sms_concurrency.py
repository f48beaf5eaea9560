"""Webhooks arriving at the same moment: Twilio retrying in parallel, and a
customer firing several texts right after a campaign."""

import threading

from sms_kit import CUSTOMER, SmsKit, new_sid

from app.models import Message, Ticket
from plugins.sms.attribution import record_sent


def _parallel(app, calls):
    """Run each ``call(client)`` in its own thread with its own test client; returns status codes."""
    from app.db import db

    codes, barrier = [], threading.Barrier(len(calls))

    def run(call):
        client = app.test_client()
        barrier.wait()
        codes.append(call(client).status_code)
        if not db.is_closed():
            db.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return codes


def test_parallel_retries_store_one_message(app, sms):
    sid = new_sid()

    def call(client):
        return SmsKit(app, client, sms.twilio).inbound("Same message", sid=sid)

    assert _parallel(app, [call] * 4) == [200] * 4
    assert Message.select().where(Message.external_id == sid).count() == 1
    assert Ticket.select().count() == 1


def test_parallel_texts_after_a_campaign_attribute_and_autoreply_once(app, sms):
    record_sent(CUSTOMER, "campaign", "flash-sale")

    def call_for(n):
        return lambda client: SmsKit(app, client, sms.twilio).inbound(f"text {n}")

    assert _parallel(app, [call_for(n) for n in range(4)]) == [200] * 4
    inbound = list(Message.select().where(Message.direction == "inbound"))
    assert len(inbound) == 4 and Ticket.select().count() == 1
    assert sum(1 for m in inbound if m.meta.get("attribution")) == 1
    assert len(sms.twilio.sent) == 1  # the loop guard holds under concurrency too
