"""Links in replies become short links that redirect and count clicks per message."""

import datetime as dt

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
    sms.twilio.fail(503)
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
        assert [sms.client.get("/l/nope").status_code for _ in range(3)] == [404, 404, 429]


def test_clicks_per_message_show_on_the_ticket_and_in_the_api(sms, ticket, make_agent, client, login):
    agent = make_agent(role="support", password=None)
    first = reply(ticket, agent, "Track it at https://shop.example.com/track/42.")
    second = reply(ticket, agent, "Or see https://shop.example.com/faq")
    [code] = _short_codes(sms.twilio.sent[0]["Body"])
    for _ in range(2):
        sms.client.get(f"/l/{code}")
    login(client, agent)
    page = client.get(f"/t/{ticket.id}").get_data(as_text=True)
    # The sentence's final period is not part of the link the agent sees.
    assert (
        '<a href="https://shop.example.com/track/42" rel="noopener noreferrer nofollow">'
        "https://shop.example.com/track/42</a>." in page
    )
    assert "2 clicks" in page and "0 clicks" in page
    body = client.get(f"/api/v1/sms/tickets/{ticket.id}/messages").get_json()
    by_id = {item["message_id"]: item for item in body["items"]}
    assert by_id[first.id]["clicks"] == 2
    assert by_id[first.id]["links"][0]["url"] == "https://shop.example.com/track/42"
    assert by_id[first.id]["links"][0]["last_clicked_at"].endswith("+00:00")
    assert by_id[second.id]["clicks"] == 0
    assert [item["message_id"] for item in body["items"]][:2] == [second.id, first.id]


def test_attribution_is_in_the_api(sms, client, login, make_agent):
    from sms_kit import CUSTOMER

    from plugins.sms.attribution import record_sent

    sent, _ = record_sent(CUSTOMER, "campaign", "bf-2026", source_name="Black Friday")
    sms.inbound("Is the sale still on?")
    ticket = Ticket.get()
    login(client, make_agent(role="support", password=None))
    [item] = client.get(f"/api/v1/sms/tickets/{ticket.id}/messages").get_json()["items"]
    assert item["direction"] == "inbound" and item["clicks"] == 0
    assert item["attribution"]["source_id"] == "bf-2026" and item["attribution"]["source_name"] == "Black Friday"
    sent_at = sent.sent_at.replace(tzinfo=dt.UTC).isoformat(timespec="seconds")  # like every time the API answers
    assert item["attribution"]["sent_at"] == sent_at
    # A message attributed by an earlier version kept the time without its offset.
    message = Message.get(Message.id == item["message_id"])
    stored = {**message.meta["attribution"], "sent_at": sent.sent_at.isoformat(timespec="seconds")}
    Message.update(meta={**message.meta, "attribution": stored}).where(Message.id == message.id).execute()
    [item] = client.get(f"/api/v1/sms/tickets/{ticket.id}/messages").get_json()["items"]
    assert item["attribution"]["sent_at"] == sent_at


def test_activity_api_needs_the_inbox_role_and_an_existing_ticket(sms, ticket, client, login, make_agent):
    assert client.get(f"/api/v1/sms/tickets/{ticket.id}/messages").status_code == 401
    login(client, make_agent(role="analyst", password=None))
    assert client.get(f"/api/v1/sms/tickets/{ticket.id}/messages").status_code == 403
    login(client, make_agent(role="support", password=None))
    missing = client.get("/api/v1/sms/tickets/999999/messages")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    assert client.get(f"/api/v1/sms/tickets/{ticket.id}/messages?limit=0").status_code == 422


class TestWebhooksUnderADefaultLimit:
    """An operator's default limit for every route (``RATELIMIT_DEFAULT``)
    never refuses Twilio's webhooks: Twilio does not retry a refused inbound
    message. Other routes without a limit of their own get the default."""

    @pytest.fixture
    def helpline_config(self):
        return {"RATELIMIT_ENABLED": True, "RATELIMIT_DEFAULT": "2 per minute", "RATELIMIT_STORAGE_URI": "memory://"}

    def test_a_burst_of_inbound_texts_is_stored_whole(self, sms):
        assert [sms.inbound(f"text {n}").status_code for n in range(5)] == [200] * 5
        assert Message.select().where(Message.direction == "inbound").count() == 5
        assert [sms.client.get("/readyz").status_code for _ in range(3)][-1] == 429

    def test_limited_routes_still_count_and_say_so(self, sms):
        # The limiter's hooks are skipped for signed webhooks only: other
        # routes still count every request and report it in their headers.
        inbound = sms.inbound("hello")
        assert not [name for name in inbound.headers.keys() if name.startswith("X-RateLimit")]
        first, second, third = (sms.client.get("/readyz") for _ in range(3))
        assert (first.headers["X-RateLimit-Limit"], first.headers["X-RateLimit-Remaining"]) == ("2", "1")
        assert second.headers["X-RateLimit-Remaining"] == "0"
        assert third.status_code == 429 and "Retry-After" in third.headers
        assert inbound.headers["X-Content-Type-Options"] == "nosniff"  # the security headers stay
        assert "Set-Cookie" not in inbound.headers

    def test_every_hook_of_the_limiter_is_guarded(self, app):
        # A flask-limiter release that registers its hooks differently must
        # fail here, not quietly run them for every webhook again.
        from app.ratelimit import _limiter_hooks

        hooks = [*app.before_request_funcs[None], *app.after_request_funcs[None], *app.teardown_request_funcs[None]]
        assert len([hook for hook in hooks if hasattr(hook, "helpline_limiter_hook")]) == 3
        assert _limiter_hooks(app) == []
