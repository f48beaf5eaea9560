"""The inbound SMS webhook's queries are pinned per path (a new number, a
reply, a Twilio re-delivery), so a change that adds a query per message is a
visible decision (issue 16; docs/benchmarks.md). Like tests/test_ingest.py,
the reports plugin is off: its fact sync is a queued task in production but
runs inline in tests."""

from playhouse.test_utils import count_queries
from sms_kit import new_sid

from app.db import is_postgres
from app.models import Message
from app.plugins import get_plugins

KNOWN = "+15551230001"
NEW, KNOWN_SENDER, REDELIVERY = 17, 9, 2  # on SQLite; the plugin-state check is one of them


def test_inbound_sms_takes_a_fixed_number_of_queries(sms):
    get_plugins().set_enabled("reports", False)
    sms.configure(autoresponder_enabled=False)
    assert sms.inbound("warm-up", phone="+15551230009").status_code == 200  # plugin state and settings cached

    with count_queries() as new_number:
        assert sms.inbound("Hi, where is my order?", phone=KNOWN).status_code == 200
    with count_queries() as known_number:
        assert sms.inbound("Any news?", phone=KNOWN).status_code == 200
    for n in range(20):
        sms.inbound(f"Still waiting {n}", phone=KNOWN)
    with count_queries() as long_conversation:
        assert sms.inbound("Hello?", phone=KNOWN).status_code == 200
    sid = new_sid()
    sms.inbound("Sent twice", sid=sid, phone=KNOWN)
    with count_queries() as redelivery:
        assert sms.inbound("Sent twice", sid=sid, phone=KNOWN).status_code == 200

    assert Message.select().where(Message.external_id == sid).count() == 1
    # PostgreSQL adds its advisory locks (sender, message id, thread) and repeats
    # the re-delivery check under them; SQLite's writer lock makes them unneeded.
    extra = 4 if is_postgres() else 0
    counts = (new_number.count, known_number.count, long_conversation.count, redelivery.count)
    assert counts == (NEW + extra, KNOWN_SENDER + extra, KNOWN_SENDER + extra, REDELIVERY), counts
