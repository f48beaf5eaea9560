"""Twilio delivering every webhook ten times, concurrently: one message each."""

from sms_kit import SmsKit, new_sid

from app.models import Message

MESSAGES = 100


def test_each_message_is_stored_once_however_often_it_arrives(app, sms, replay):
    sids = [new_sid() for _ in range(MESSAGES)]
    texts = {sid: f"Order question {n}" for n, sid in enumerate(sids)}

    def deliver(client, sid):
        return SmsKit(app, client, sms.twilio).inbound(texts[sid], sid=sid)

    codes = replay(deliver, sids)
    assert len(codes) == MESSAGES * 10 and set(codes) == {200}
    stored = Message.select().where(Message.direction == "inbound")
    assert sorted(m.external_id for m in stored) == sorted(sids)
