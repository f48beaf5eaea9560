"""A provider delivering every webhook ten times, concurrently: one message each."""

import json

from app.plugin import Message

from helpline_jsonhook import signing

MESSAGES = 100


def test_each_message_is_stored_once_however_often_it_arrives(app, jsonhook, replay):
    bodies = {
        n: json.dumps(jsonhook.message(f"Parcel {n}?", message_id=f"r-{n}", conversation=f"c-{n % 7}")).encode()
        for n in range(MESSAGES)
    }

    def deliver(client, n):
        headers = {"Content-Type": "application/json", signing.HEADER: signing.sign(jsonhook.secret, bodies[n])}
        return client.post("/jsonhook/inbound", data=bodies[n], headers=headers)

    codes = replay(deliver, list(bodies))
    assert len(codes) == MESSAGES * 10 and set(codes) <= {200, 201}, set(codes)
    stored = sorted(m.external_id for m in Message.select().where(Message.direction == "inbound"))
    assert stored == sorted(f"r-{n}" for n in range(MESSAGES))
