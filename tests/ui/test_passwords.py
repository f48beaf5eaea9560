"""Passwords: changing my own (current password required; other sessions
end), a reset link by email (expiring, one use, no account enumeration,
rate-limited) and invitations by email."""

import datetime as dt

import pyotp
import pytest

from app.models import Agent
from app.services import agents as agent_service
from app.services import twofactor
from app.testing.factories import PASSWORD, refresh


def test_change_password_needs_the_current_one_and_ends_other_sessions(app, client, login, make_agent):
    agent = make_agent(role="support", name="Sam Support")
    other = app.test_client()
    login(client, agent)
    login(other, agent)
    form = {"current": "not it", "password": "a new long password", "confirm": "a new long password"}
    wrong = client.post("/account/password", data=form)
    assert b"That is not your current password." in wrong.data
    assert agent_service.check_password(refresh(agent), PASSWORD)

    differ = client.post("/account/password", data={**form, "current": PASSWORD, "confirm": "something else"})
    assert b"The two passwords differ." in differ.data

    ok = client.post("/account/password", data={**form, "current": PASSWORD}, follow_redirects=True)
    assert b"Password changed." in ok.data
    assert agent_service.check_password(refresh(agent), "a new long password")
    assert client.get("/inbox/mine").status_code == 200  # this session stays
    assert other.get("/inbox/mine").status_code == 302  # the other one ended


def test_reset_link_by_email_works_once_and_expires(emailed_link, client, make_agent, email_sender, clock):
    agent = make_agent(role="support", name="Sam Support", email="sam@example.com")
    page = client.post("/password/forgot", data={"email": "SAM@example.com"})
    assert b"a link to choose a new password is on its way" in page.data
    ((recipients, message),) = email_sender.messages
    assert recipients == ["sam@example.com"] and message["Subject"] == "Reset your Helpline password"
    path = emailed_link(email_sender)

    assert b"Choose a password" in client.get(path).data
    short = client.post(path, data={"password": "short", "confirm": "short"})
    assert b"Length must be between 8 and 1024." in short.data
    done = client.post(path, data={"password": "brand new secret", "confirm": "brand new secret"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/inbox/mine")
    assert agent_service.check_password(refresh(agent), "brand new secret")
    # Used once: the same link no longer works.
    again = client.post(path, data={"password": "another secret", "confirm": "another secret"})
    assert b"This link no longer works" in again.data
    assert agent_service.check_password(refresh(agent), "brand new secret")

    # A fresh link expires after an hour.
    client.post("/password/forgot", data={"email": "sam@example.com"})
    late = emailed_link(email_sender)
    clock.advance(minutes=61)
    assert b"This link no longer works" in client.get(late).data


def test_reset_answers_alike_for_unknown_and_inactive_addresses(client, make_agent, email_sender):
    make_agent(email="gone@example.com", password=None)
    Agent.update(is_active=False).where(Agent.email == "gone@example.com").execute()
    known = make_agent(email="here@example.com", password=None)
    answers = [
        client.post("/password/forgot", data={"email": e}).data for e in ("nobody@example.com", "gone@example.com")
    ]
    mine = client.post("/password/forgot", data={"email": known.email}).data
    strip = lambda html, email: html.replace(email.encode(), b"").replace(b"csrf", b"")  # noqa: E731
    assert strip(answers[0], "nobody@example.com") == strip(mine, known.email)
    assert strip(answers[1], "gone@example.com") == strip(mine, known.email)
    assert len(email_sender.messages) == 1 and email_sender.messages[0][0] == ["here@example.com"]


def test_forged_or_foreign_links_do_not_work(client, make_agent):
    agent = make_agent(email="sam@example.com", password=None)
    from app.services import password_links

    invite = password_links.make_token(agent, "invite")
    assert b"This link no longer works" in client.get(f"/password/reset/{invite}").data  # not a reset link
    assert b"This link no longer works" in client.get("/password/reset/" + "x" * 40).data
    assert b"This link no longer works" in client.get("/password/reset/" + "x" * 600).data


class TestLimit:
    @pytest.fixture
    def helpline_config(self):
        return {"RATELIMIT_ENABLED": True, "PASSWORD_LINK_RATE_LIMIT": "2 per minute"}

    def test_reset_requests_are_rate_limited(self, client, make_agent, email_sender):
        make_agent(email="sam@example.com", password=None)
        for _ in range(2):
            assert client.post("/password/forgot", data={"email": "sam@example.com"}).status_code == 200
        assert client.post("/password/forgot", data={"email": "sam@example.com"}).status_code == 429
        assert len(email_sender.messages) == 2


def test_invite_by_email_sets_the_password_once(emailed_link, app, client, login, make_agent, email_sender, clock):
    admin = make_agent(role="admin", name="Ada Admin", password=None)
    login(client, admin)
    added = client.post("/settings/agents", data={"name": "Nico New", "email": "nico@example.com", "role": "support"})
    assert added.status_code == 302
    assert b"Invitation sent to nico@example.com." in client.get("/settings/agents").data
    nico = Agent.get(Agent.email == "nico@example.com")
    assert nico.password_hash == ""
    ((recipients, message),) = email_sender.messages
    assert recipients == ["nico@example.com"] and "Ada Admin invited you" in message.get_content()
    path = emailed_link(email_sender)
    assert b'data-state="invited"' in client.get("/settings/agents").data

    guest = app.test_client()
    clock.advance(days=6)
    done = guest.post(path, data={"password": "nico's own secret", "confirm": "nico's own secret"})
    assert done.status_code == 302 and guest.get("/inbox/mine").status_code == 200
    assert agent_service.check_password(refresh(nico), "nico's own secret")
    assert b"This link no longer works" in app.test_client().get(path).data


def test_invite_without_an_email_sender_says_so(client, login, make_agent):
    login(client, make_agent(role="admin", password=None))
    client.post("/settings/agents", data={"name": "Nico New", "email": "nico@example.com", "role": "support"})
    assert b"no email could be sent" in client.get("/settings/agents").data
    assert Agent.get(Agent.email == "nico@example.com").password_hash == ""


def test_invite_links_expire_after_seven_days(emailed_link, client, login, make_agent, email_sender, clock):
    login(client, make_agent(role="admin", password=None))
    client.post("/settings/agents", data={"name": "Nico New", "email": "nico@example.com", "role": "support"})
    path = emailed_link(email_sender)
    clock.advance(days=7, minutes=1)
    assert b"This link no longer works" in client.get(path).data


def test_my_profile_name_and_time_zone(client, login, make_agent, fake_channel):
    agent = make_agent(role="support", name="Sam Support", password=None)
    login(client, agent)
    fake_channel.receive("Hello")  # updated 2026-01-05 09:00 UTC (the kit's clock)
    bad = client.post("/account/profile", data={"name": "", "timezone": "Mars/Olympus"})
    assert b"Pick a time zone from the list." in bad.data and b"Length must be between 1 and 120." in bad.data
    assert refresh(agent).timezone == "UTC"
    client.post("/account/profile", data={"name": "Samantha S.", "timezone": "Europe/Madrid"})
    agent = refresh(agent)
    assert (agent.name, agent.timezone) == ("Samantha S.", "Europe/Madrid")
    assert b"2026-01-05 10:00" in client.get("/inbox/unassigned").data  # shown in Madrid time


def test_a_reset_link_never_skips_two_factor(emailed_link, app, client, make_agent, email_sender, clock):
    owner = make_agent(role="owner", email="olga@example.com")
    secret = twofactor.begin(owner)
    twofactor.confirm(owner, pyotp.TOTP(secret).at(clock.now().replace(tzinfo=dt.UTC)))
    client.post("/password/forgot", data={"email": "olga@example.com"})
    done = client.post(
        emailed_link(email_sender), data={"password": "a new long secret", "confirm": "a new long secret"}
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    assert client.get("/inbox/mine").status_code == 302  # not logged in: the code is still needed
    assert agent_service.check_password(refresh(owner), "a new long secret")
