"""Server-side checks of the UI pages with Flask's test client: login, the
role matrix, forms and their errors. The browser tests cover the scripts."""

import re

import pytest
from playhouse.test_utils import assert_query_count

from app.models import Ticket
from app.services import messages, tickets
from app.testing.factories import PASSWORD


@pytest.fixture
def agent(make_agent):
    """A support agent logged in by cookie: no password, so no slow hashing."""
    return make_agent(role="support", name="Sam Support", password=None)


@pytest.fixture
def agent_with_password(make_agent):
    return make_agent(role="support", name="Sam Support")


def test_login_page_logs_in_and_out(client, agent_with_password):
    agent = agent_with_password
    page = client.get("/t/1")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    wrong = client.post("/login", data={"email": agent.email, "password": "nope"})
    assert wrong.status_code == 200 and b"Wrong email or password." in wrong.data
    ok = client.post("/login", data={"email": agent.email.upper(), "password": PASSWORD, "next": "/inbox/all"})
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/inbox/all")
    assert b"Sam Support" in client.get("/inbox/all").data
    client.post("/logout")
    assert client.get("/inbox/all").status_code == 302


def test_login_never_redirects_off_site(client, agent_with_password):
    agent = agent_with_password
    answer = client.post("/login", data={"email": agent.email, "password": PASSWORD, "next": "//evil.example/x"})
    assert answer.headers["Location"].endswith("/inbox/mine")


@pytest.mark.parametrize("role", ["analyst", "content_creator"])
def test_roles_outside_the_inbox_get_403_pages(client, login, make_agent, fake_channel, role):
    ticket = fake_channel.receive("Hi").ticket
    login(client, make_agent(role=role, password=None))
    for url in ("/inbox/mine", f"/t/{ticket.id}", "/settings", "/nav/counts"):
        page = client.get(url)
        assert page.status_code == 403, url
        assert b"Your role does not allow this" in page.data
    assert client.post(f"/t/{ticket.id}/status", data={"action": "close"}).status_code == 403
    assert Ticket.get_by_id(ticket.id).status == "open"


@pytest.mark.parametrize("role,allowed", [("owner", True), ("admin", True), ("manager", False), ("support", False)])
def test_settings_pages_for_owner_and_admin_only(client, login, make_agent, role, allowed):
    login(client, make_agent(role=role, password=None))
    for url in ("/settings", "/settings/plugins", "/settings/agents"):
        assert client.get(url).status_code == (200 if allowed else 403), url
    assert client.get("/inbox/mine").status_code == 200


def test_ticket_list_pages_without_n_plus_one(client, login, agent, fake_channel):
    login(client, agent)
    for i in range(3):
        t = fake_channel.receive(f"Question {i}", email=f"c{i}@example.net").ticket
        tickets.change_tags(t, add=["vip"])
    client.get("/inbox/unassigned")  # warm caches (plugin state)
    # The session, the page (with customers, assignees, read markers), tags.
    with assert_query_count(3):
        client.get("/inbox/unassigned/rows")
    for i in range(3, 9):
        t = fake_channel.receive(f"Question {i}", email=f"c{i}@example.net").ticket
        tickets.change_tags(t, add=["vip", "refund"])
    with assert_query_count(3):  # same count with three times the rows
        answer = client.get("/inbox/unassigned/rows").get_json()
    assert answer["count"] == 9 and "Question 8" in answer["html"]


def test_filters_and_load_more_cursor(client, login, agent, fake_channel, clock):
    login(client, agent)
    for i in range(30):
        fake_channel.receive(f"Message {i}", email=f"c{i}@example.net")
        clock.advance(minutes=1)
    first = client.get("/inbox/unassigned/rows").get_json()
    assert first["count"] == 25 and first["next_cursor"]
    second = client.get(f"/inbox/unassigned/rows?cursor={first['next_cursor']}").get_json()
    assert second["count"] == 5 and second["next_cursor"] is None
    assert "Message 0" in second["html"] and "Message 0" not in first["html"]
    page = client.get("/inbox/all?created_from=nonsense")
    assert page.status_code == 200 and b"created_from" in page.data
    filtered = client.get("/inbox/all/rows?q=Message 29").get_json()
    assert filtered["count"] == 1


def test_refused_reply_shows_reason_and_keeps_draft(client, login, agent, fake_channel):
    login(client, agent)
    ticket = fake_channel.receive("Hello").ticket
    fake_channel.refuse_with("no_consent", "This customer has not agreed to SMS.")
    page = client.get(f"/t/{ticket.id}")
    assert b"This customer has not agreed to SMS." in page.data
    answer = client.post(
        f"/t/{ticket.id}/messages", data={"mode": "reply", "text": "Our answer"}, headers={"Accept": "application/json"}
    )
    assert answer.status_code == 409
    assert answer.get_json()["error"]["message"] == "This customer has not agreed to SMS."
    plain = client.post(f"/t/{ticket.id}/messages", data={"mode": "reply", "text": "Our answer"}, follow_redirects=True)
    assert b"Our answer</textarea>" in plain.data
    # An internal note is never refused.
    note = client.post(
        f"/t/{ticket.id}/messages",
        data={"mode": "note", "text": "Check with finance"},
        headers={"Accept": "application/json"},
    )
    assert note.status_code == 200
    assert [m.kind for m in messages.thread(ticket)[0]] == ["message", "note"]


def test_plugin_settings_form_shows_field_errors(client, login, make_agent, fake_channel):
    login(client, make_agent(role="admin", password=None))
    form = client.get("/settings/plugins/fake-channel")
    assert b'name="max_length"' in form.data and b'type="number"' in form.data
    bad = client.post("/settings/plugins/fake-channel", data={"signature": "x", "max_length": "0"})
    assert bad.status_code == 200
    assert b"greater than or equal to 1" in bad.data and b'aria-invalid="true"' in bad.data
    good = client.post(
        "/settings/plugins/fake-channel", data={"signature": "— Team", "max_length": "160"}, follow_redirects=True
    )
    assert b"Settings saved." in good.data
    from app.plugins import get_plugins

    assert get_plugins().get_settings("fake-channel")["max_length"] == 160


def test_agents_page_adds_agents_and_protects_owners(client, login, make_agent):
    admin = make_agent(role="admin", password=None)
    owner = make_agent(role="owner", password=None)
    login(client, admin)
    bad = client.post("/settings/agents", data={"email": "nope", "name": "X", "role": "support", "password": "short"})
    assert bad.status_code == 200 and b"Not a valid email address." in bad.data
    ok = client.post(
        "/settings/agents",
        data={"email": "new@example.com", "name": "New Person", "role": "manager", "password": "long enough pw"},
        follow_redirects=True,
    )
    assert b"Agent added." in ok.data and b"New Person" in ok.data
    refused = client.post(f"/settings/agents/{owner.id}", data={"role": "support"}, follow_redirects=True)
    assert b"Only an owner can change an owner." in refused.data
    own = client.post(f"/settings/agents/{admin.id}", data={"active": "false"}, follow_redirects=True)
    assert b"You cannot change your own role" in own.data


def test_csrf_is_enforced_on_ui_forms(app, client, login, agent, fake_channel):
    app.config["WTF_CSRF_ENABLED"] = True
    ticket = fake_channel.receive("Hello").ticket
    login(client, agent)
    refused = client.post(f"/t/{ticket.id}/status", data={"action": "close"})
    assert refused.status_code == 400 and b"Form expired" in refused.data
    assert Ticket.get_by_id(ticket.id).status == "open"


def test_presence_switch_and_heartbeat(client, login, agent, clock):
    login(client, agent)
    answer = client.post("/presence", data={"presence": "away"}).get_json()
    assert answer == {"presence": "away", "effective": "away"}
    clock.advance(seconds=60)
    assert client.post("/presence").get_json()["effective"] == "away"  # a heartbeat keeps the choice
    from app.models import Agent

    assert Agent.get_by_id(agent.id).heartbeat_at == clock.now()
    assert client.post("/presence", data={"presence": "busy"}).status_code == 400


def test_typing_publishes_an_agent_typing_event(app, client, login, agent, fake_channel):
    from app.events import get_bus

    ticket = fake_channel.receive("Hi").ticket
    login(client, agent)
    with get_bus().subscribe() as sub:
        assert client.post(f"/t/{ticket.id}/presence", data={"state": "typing"}).status_code == 200
        received = [sub.get(timeout=5), sub.get(timeout=5)]
    event = next(e for e in received if e["type"] == "typing")
    assert event["data"] == {"ticket_id": ticket.id, "who": "agent", "agent_id": agent.id, "name": agent.name}


def test_thread_shows_last_50_and_loads_older(client, login, agent, fake_channel, clock):
    ticket = fake_channel.receive("Message 0").ticket
    for i in range(1, 60):
        clock.advance(seconds=1)
        fake_channel.receive(f"Message {i}")
    login(client, agent)
    page = client.get(f"/t/{ticket.id}").data.decode()
    assert page.count('class="msg msg-inbound"') == 50 and "Message 59" in page and ">Message 9<" not in page
    assert 'id="load-older"' in page
    first_shown = messages.thread(ticket)[0][0].id
    older = client.get(f"/t/{ticket.id}/messages?before={first_shown}").get_json()
    assert older["more"] is False and len(older["ids"]) == 10 and "Message 0" in older["html"]
    # Opening the ticket marked it read.
    from app.services import views

    assert views.unread_count(agent, "unassigned") == 0


def test_overview_panels_and_empty_state(client, login, agent, fake_channel, register_plugin):
    from app.hookspecs import hookimpl
    from app.plugins import get_plugins
    from app.registry import Panel

    ticket = fake_channel.receive("Hi", name="Pat Buyer").ticket
    login(client, agent)
    # The first-party predictive panel is on by default; this test is about the container.
    get_plugins().set_enabled("predictive", False)
    assert b"No customer panels are turned on." in client.get(f"/t/{ticket.id}").data

    class Orders(Panel):
        slug, title = "orders", "Recent orders"

        def render_data(self, profile):
            return {"Orders": 3, "Customer": profile.name}

    class Broken(Panel):
        slug, title = "broken", "Broken panel"

        def render_data(self, profile):
            raise RuntimeError("backend down")

    class PanelPlugin:
        @hookimpl
        def helpline_register_panels(self):
            return [Orders, Broken]

    register_plugin(PanelPlugin(), "panels-test")
    page = client.get(f"/t/{ticket.id}").data.decode()
    assert "Recent orders" in page and "<dd>Pat Buyer</dd>" in page
    assert "Broken panel" in page and "This panel could not be loaded." in page
    assert "No customer panels are turned on." not in page


def test_plugin_fragments_fill_the_ui_slots(app, client, login, make_agent, fake_channel, register_plugin):
    from jinja2 import ChoiceLoader, DictLoader

    from app.hookspecs import hookimpl

    slots = ("head", "nav", "composer_tools", "bulk_actions", "ticket_sidebar", "settings_nav")
    app.jinja_env.loader = ChoiceLoader(
        [DictLoader({f"slots-test/{s}.html": f"<i>slot:{s}</i>" for s in slots}), app.jinja_env.loader]
    )

    class SlotPlugin:
        @hookimpl
        def helpline_register_ui_fragments(self):
            return [(s, f"slots-test/{s}.html") for s in slots]

    register_plugin(SlotPlugin(), "slots-test")
    ticket = fake_channel.receive("Hi").ticket
    login(client, make_agent(role="owner", password=None))
    html = (client.get(f"/t/{ticket.id}").data + client.get("/inbox/all").data + client.get("/settings").data).decode()
    for s in slots:
        assert f"<i>slot:{s}</i>" in html, s
    from app.plugins import get_plugins

    get_plugins().set_enabled("slots-test", False)
    assert b"slot:" not in client.get(f"/t/{ticket.id}").data


def test_a_plugin_template_that_is_not_found_does_not_take_the_page_down(
    app, client, login, make_agent, fake_channel, register_plugin
):
    """A panel or UI fragment naming a template no loader finds (a plugin without a blueprint's
    template_folder): the panel says it could not be loaded and the fragment is left out, the page
    still answers. Under strict mode, as in tests, the missing fragment fails the request."""
    from jinja2 import ChoiceLoader, DictLoader, TemplateNotFound

    from app.hookspecs import hookimpl
    from app.plugins import get_plugins
    from app.registry import Panel

    app.jinja_env.loader = ChoiceLoader([DictLoader({"lost-test/found.html": "<i>found</i>"}), app.jinja_env.loader])

    class Lost(Panel):
        slug, title, template = "lost", "Lost panel", "lost-test/missing_panel.html"

        def render_data(self, profile):
            return {}

    class LostPlugin:
        @hookimpl
        def helpline_register_panels(self):
            return [Lost]

        @hookimpl
        def helpline_register_ui_fragments(self):
            return [("ticket_sidebar", "lost-test/missing.html"), ("ticket_sidebar", "lost-test/found.html")]

    register_plugin(LostPlugin(), "lost-test")
    ticket = fake_channel.receive("Hi").ticket
    login(client, make_agent(role="owner", password=None))
    with pytest.raises(TemplateNotFound):
        client.get(f"/t/{ticket.id}")
    plugins = get_plugins()
    plugins.strict = False
    try:
        answer = client.get(f"/t/{ticket.id}")
    finally:
        plugins.strict = True
    page = answer.data.decode()
    assert answer.status_code == 200
    assert "Lost panel" in page and "This panel could not be loaded." in page
    assert "<i>found</i>" in page


def test_fragment_templates_are_checked_once_per_plugin_state(
    app, client, login, make_agent, fake_channel, register_plugin
):
    """Whether a fragment's template loads is checked on the first page,
    not again on every page after it (a page renders several slots), until
    the plugins' state changes."""
    from jinja2 import ChoiceLoader, DictLoader

    from app.hookspecs import hookimpl
    from app.plugins import get_plugins

    class CountingLoader(DictLoader):
        """Counts the loads of each template; never up to date, so every
        ``get_template`` of it asks again, as with a template changed on disk."""

        def __init__(self, mapping):
            super().__init__(mapping)
            self.asked = []

        def get_source(self, environment, template):
            self.asked.append(template)
            source, filename, _ = super().get_source(environment, template)
            return source, filename, lambda: False

    loader = CountingLoader({"count-test/side.html": "<i>side fragment</i>"})
    app.jinja_env.loader = ChoiceLoader([loader, app.jinja_env.loader])
    app.jinja_env.auto_reload = True  # TEMPLATES_AUTO_RELOAD: a changed template is loaded again

    class SidePlugin:
        @hookimpl
        def helpline_register_ui_fragments(self):
            return [("ticket_sidebar", "count-test/side.html")]

    register_plugin(SidePlugin(), "count-test")
    ticket = fake_channel.receive("Hi").ticket
    login(client, make_agent(role="owner", password=None))

    def loads_per_page():
        loader.asked.clear()
        page = client.get(f"/t/{ticket.id}").data.decode()
        assert "<i>side fragment</i>" in page
        return loader.asked.count("count-test/side.html")

    assert loads_per_page() == 2  # the check, then the include that renders it
    assert loads_per_page() == 1  # the include only
    plugins = get_plugins()
    plugins.set_enabled("count-test", False)
    plugins.set_enabled("count-test", True)
    assert loads_per_page() == 2  # a new plugin state: checked again
    assert loads_per_page() == 1


def test_a_missing_fragment_is_logged_once_per_plugin_state(
    app, client, login, make_agent, fake_channel, register_plugin, caplog
):
    from app.hookspecs import hookimpl
    from app.plugins import get_plugins

    class LostPlugin:
        @hookimpl
        def helpline_register_ui_fragments(self):
            return [("ticket_sidebar", "lost-once/missing.html")]

    register_plugin(LostPlugin(), "lost-once")
    ticket = fake_channel.receive("Hi").ticket
    login(client, make_agent(role="owner", password=None))
    plugins = get_plugins()
    plugins.strict = False
    try:
        for _ in range(3):
            assert client.get(f"/t/{ticket.id}").status_code == 200
        logged = [r for r in caplog.records if "lost-once/missing.html" in r.getMessage()]
        assert len(logged) == 1 and logged[0].levelname == "ERROR"
        plugins.set_settings("core", {"organization_name": "Acme"})  # any change: a new state version
        assert client.get(f"/t/{ticket.id}").status_code == 200
        assert len([r for r in caplog.records if "lost-once/missing.html" in r.getMessage()]) == 2
    finally:
        plugins.strict = True


def test_ticket_page_queries_do_not_grow_with_the_thread(client, login, agent, fake_channel):
    from playhouse.test_utils import count_queries

    ticket = fake_channel.receive("First").ticket
    login(client, agent)
    client.get(f"/t/{ticket.id}")

    def queries():
        with count_queries() as counter:
            assert client.get(f"/t/{ticket.id}").status_code == 200
        return counter.count

    few = queries()
    for i in range(20):
        messages.add_note(ticket, agent, f"Note {i}")
        fake_channel.receive(f"Customer {i}")
    assert queries() == few


def test_nameless_customers_show_email_phone_or_web_visitor(client, login, agent, fake_channel):
    login(client, agent)
    fake_channel.receive("By mail", email="mia@example.net")
    fake_channel.receive("By phone", phone="+34600111222")
    fake_channel.receive("From the chat", sender_id="visitor-7f3a")
    html = client.get("/inbox/unassigned/rows").get_json()["html"]
    assert 'data-label="Customer">mia@example.net<' in html
    assert 'data-label="Customer">+34600111222<' in html
    assert 'data-label="Customer">Web visitor<' in html
    assert "Customer #" not in html


def test_list_times_are_relative_with_the_exact_time_on_hover(client, login, agent, fake_channel, clock):
    agent.timezone = "America/New_York"
    agent.save()
    login(client, agent)
    fake_channel.receive("Hello")  # 2026-01-05 09:00 UTC
    assert (
        'title="2026-01-05 04:00 (America/New_York)">just now<'
        in client.get("/inbox/unassigned/rows").get_json()["html"]
    )
    clock.advance(minutes=5)
    assert ">5 minutes ago<" in client.get("/inbox/unassigned/rows").get_json()["html"]
    clock.advance(hours=3)
    assert ">3 hours ago<" in client.get("/inbox/unassigned/rows").get_json()["html"]


def test_empty_lists_say_what_to_do_next(client, login, agent, fake_channel):
    login(client, agent)
    mine = client.get("/inbox/mine").data
    assert b"Nothing is assigned to you here." in mine and b"Pick a ticket from Unassigned" in mine
    assert b"Every ticket has an agent." in client.get("/inbox/unassigned").data
    fake_channel.receive("Hello")
    filtered = client.get("/inbox/all?q=nothing-like-this").data
    assert b"No ticket matches these filters." in filtered and b"Clear the filters" in filtered


def test_sort_choices_are_visible_links(client, login, agent, fake_channel):
    login(client, agent)
    fake_channel.receive("First", email="a@example.net")
    fake_channel.receive("Second", email="b@example.net")
    page = client.get("/inbox/unassigned").data.decode()
    assert 'aria-current="true">Latest activity first<' in page
    assert re.search(r'href="[^"]*sort=created-asc[^"]*">Oldest tickets first<', page)
    oldest = client.get("/inbox/unassigned?sort=created-asc").data.decode()
    assert 'aria-current="true">Oldest tickets first<' in oldest
    assert oldest.index("First") < oldest.index("Second")


def test_channel_card_is_text_safe_links_only_and_a_failure_stays_in_its_card(
    app, client, login, agent, fake_channel, monkeypatch
):
    from app.plugins import get_plugins
    from app.registry import CardFact, ChannelCard

    ticket = fake_channel.receive("Hi", name="Pat Buyer").ticket
    login(client, agent)
    channel_class = get_plugins().channels["fake"]
    assert b'id="channel-card"' not in client.get(f"/t/{ticket.id}").data  # no card by default

    def card(self, ticket):
        return ChannelCard(
            "Fake card",
            [
                CardFact("Page", "https://shop.example/p", href="https://shop.example/p"),
                CardFact("Trap", "<b>bold</b>", href="javascript:alert(1)", state="odd"),
            ],
        )

    monkeypatch.setattr(channel_class, "card", card, raising=False)
    page = client.get(f"/t/{ticket.id}").data.decode()
    assert 'aria-labelledby="channel-card-heading"' in page and "Fake card" in page
    assert '<a href="https://shop.example/p" rel="noopener noreferrer" target="_blank">' in page
    assert "javascript:" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page and 'data-state="odd"' in page

    def broken(self, ticket):
        raise RuntimeError("provider down")

    monkeypatch.setattr(channel_class, "card", broken, raising=False)
    answer = client.get(f"/t/{ticket.id}")
    assert answer.status_code == 200 and b"This card could not be loaded." in answer.data
    # The live sidebar refresh renders the same card.
    assert b"This card could not be loaded." in client.get(f"/t/{ticket.id}/sidebar").data
