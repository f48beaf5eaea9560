"""A widget re-sending every message ten times at once (a flaky connection
retrying): the client id makes each one count once."""

from app.models import Message

MESSAGES = 100


def test_each_message_is_stored_once_however_often_it_arrives(app, visitor, replay):
    ada = visitor("Ada")
    ada.start()
    url = f"/api/v1/webchat/conversations/{ada.cid}/messages"

    def deliver(client, n):
        return client.post(url, json={"client_id": f"c{n}", "text": f"Question {n}"}, headers=ada.headers())

    codes = replay(deliver, range(MESSAGES))
    assert len(codes) == MESSAGES * 10 and set(codes) <= {200, 201}, set(codes)
    texts = [m.text for m in Message.select().where(Message.author_type == "customer")]
    assert sorted(texts) == sorted(f"Question {n}" for n in range(MESSAGES))
