"""The event bus (in-process or Redis) and the authenticated SSE stream."""

import json
import threading

from app.events import get_bus, publish


def test_bus_delivers_to_every_subscriber(app):
    bus = get_bus()
    with bus.subscribe() as a, bus.subscribe() as b:
        publish("ping", {"n": 1})
        assert a.get(timeout=5)["data"] == {"n": 1}
        assert b.get(timeout=5)["type"] == "ping"


# What a browser's EventSource sends: errors come back as JSON, not pages.
EVENTSOURCE = {"Accept": "text/event-stream"}


def test_stream_requires_an_inbox_login(app, client, login, make_agent):
    anonymous = client.get("/events/stream?once=1&timeout=0.1", headers=EVENTSOURCE)
    assert anonymous.status_code == 401 and anonymous.json["error"]["code"] == "unauthorized"
    login(client, make_agent(role="analyst"))
    refused = client.get("/events/stream?once=1&timeout=0.1", headers=EVENTSOURCE)
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"


def test_stream_sends_ticket_events(app, client, login, make_agent, fake_channel):
    login(client, make_agent())
    bus = get_bus()
    before = getattr(bus, "subscriber_count", 0)

    def produce():
        # wait until the stream has subscribed, then make a ticket
        import time

        deadline = time.monotonic() + 5
        while getattr(bus, "subscriber_count", 0) <= before and time.monotonic() < deadline:
            time.sleep(0.01)
        with app.app_context():
            fake_channel.receive("live!", email="live@example.net")

    producer = threading.Thread(target=produce)
    producer.start()
    response = client.get("/events/stream?once=1&types=ticket.created&timeout=10")
    body = response.get_data(as_text=True)
    producer.join()
    assert response.mimetype == "text/event-stream"
    event = [line for line in body.splitlines() if line.startswith("data: ")][0]
    assert "event: ticket.created" in body
    assert json.loads(event[6:])["status"] == "open"


def test_stream_rejects_a_bad_timeout(app, client, login, make_agent):
    login(client, make_agent())
    response = client.get("/events/stream?timeout=soon", headers=EVENTSOURCE)
    assert response.status_code == 422 and response.json["error"]["fields"] == {"timeout": ["Not a number."]}


def test_stream_rejects_nan_and_out_of_range_timeouts(app, client, login, make_agent):
    login(client, make_agent())
    for bad in ("nan", "0", "3600"):
        response = client.get(f"/events/stream?timeout={bad}", headers=EVENTSOURCE)
        assert response.status_code == 422 and "timeout" in response.json["error"]["fields"]
