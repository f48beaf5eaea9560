"""Links in replies become short links that redirect and count clicks per message."""

import pytest
from playhouse.test_utils import assert_query_count
from sms_kit import PUBLIC_URL

from app.models import Message, Ticket
from app.services.messages import reply
from app.services.outbox import retry_due
from plugins.sms.links import clicks_by_message


@pytest.fixture
def ticket(sms):
    sms.inbound("START")
    sms.inbound("Where is it?")
    return Ticket.get()


def _short_codes(body):
    import re

    return re.findall(re.escape(PUBLIC_URL) + r"/l/([\w-]+)", body)


def test_links_are_shortened_and_clicks_counted(sms, ticket, make_agent):
    message = reply(ticket, make_agent(), "Track it at https://shop.example.com/track?id=42&x=1. Thanks!")
    body = sms.twilio.sent[0]["Body"]
    [code] = _short_codes(body)
    assert body == f"Track it at {PUBLIC_URL}/l/{code}. Thanks!"
    assert Message.get_by_id(message.id).text.startswith("Track it at https://shop.example.com")
    for _ in range(3):
        response = sms.client.get(f"/l/{code}")
        assert response.status_code == 302
        assert response.headers["Location"] == "https://shop.example.com/track?id=42&x=1"
    assert clicks_by_message([message.id]) == {message.id: 3}


def test_clicks_for_many_messages_in_one_query(sms, ticket, make_agent):
    agent = make_agent()
    ids = [
        reply(ticket, agent, f"See https://shop.example.com/p/{n} and https://shop.example.com/q/{n}").id
        for n in range(4)
    ]
    for form in sms.twilio.sent:
        for code in _short_codes(form["Body"]):
            sms.client.get(f"/l/{code}")
    with assert_query_count(1):
        totals = clicks_by_message(ids)
    assert totals == {i: 2 for i in ids}


def test_unknown_code_is_404(sms):
    assert sms.client.get("/l/nope").status_code == 404


def test_a_retried_delivery_keeps_its_short_link(sms, ticket, make_agent, clock):
    sms.twilio.fail_next = [503]
    reply(ticket, make_agent(), "https://shop.example.com/sale")
    clock.advance(seconds=30)
    retry_due()
    first, second = [form["Body"] for form in sms.twilio.sent]
    assert first == second and _short_codes(first)


def test_shortening_can_be_turned_off(sms, ticket, make_agent):
    sms.configure(link_shortening=False)
    reply(ticket, make_agent(), "https://shop.example.com/sale")
    assert sms.twilio.sent[0]["Body"] == "https://shop.example.com/sale"


def test_links_stay_as_written_without_a_public_url(sms, ticket, make_agent):
    sms.configure(public_url="")
    reply(ticket, make_agent(), "https://shop.example.com/sale")
    form = sms.twilio.sent[0]
    assert form["Body"] == "https://shop.example.com/sale" and "StatusCallback" not in form


class TestPublicLimit:
    @pytest.fixture
    def helpline_config(self):
        return {"RATELIMIT_ENABLED": True, "PUBLIC_RATE_LIMIT": "2 per minute", "RATELIMIT_STORAGE_URI": "memory://"}

    def test_short_links_are_rate_limited_per_client(self, sms):
        from app.ratelimit import limiter

        limiter.reset()
        assert [sms.client.get("/l/nope").status_code for _ in range(3)] == [404, 404, 429]
