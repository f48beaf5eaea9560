"""Which language a page is in: the agent's choice on /account, else the
browser's; dates in the agent's language and time zone; the API stays
ISO 8601 UTC."""

import pytest

from app.models import Agent


@pytest.fixture
def agent(make_agent):
    return make_agent(role="owner", name="Olga Owner", password=None)


def test_browser_language_until_the_agent_picks_one(client, login, agent):
    login(client, agent)
    spanish = client.get("/inbox/mine", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}).get_data(True)
    assert '<html lang="es">' in spanish and "Mi bandeja" in spanish and "My inbox" not in spanish
    english = client.get("/inbox/mine", headers={"Accept-Language": "en-US"}).get_data(True)
    assert '<html lang="en">' in english and "My inbox" in english


def test_account_page_sets_the_language(client, login, agent):
    login(client, agent)
    page = client.get("/account", headers={"Accept-Language": "en"}).get_data(True)
    assert 'name="language"' in page and "Browser default" in page and ">Español<" in page
    saved = client.post(
        "/account/profile",
        data={"name": "Olga Owner", "timezone": "America/Mexico_City", "language": "es"},
        headers={"Accept-Language": "en"},
        follow_redirects=True,
    )
    text = saved.get_data(True)
    assert "Su perfil se guardó." in text and "Mi cuenta" in text  # Spanish though the browser asks for English
    assert Agent.get_by_id(agent.id).language == "es"
    back = client.post(
        "/account/profile",
        data={"name": "Olga Owner", "timezone": "UTC", "language": ""},
        headers={"Accept-Language": "en"},
        follow_redirects=True,
    )
    assert "Your profile is saved." in back.get_data(True) and Agent.get_by_id(agent.id).language is None


def test_an_unknown_language_is_a_field_error(client, login, agent):
    login(client, agent)
    answer = client.post("/account/profile", data={"name": "Olga", "timezone": "UTC", "language": "fr"})
    assert answer.status_code == 200 and 'id="profile-language-error"' in answer.get_data(True)
    assert Agent.get_by_id(agent.id).language is None


def test_times_in_the_agents_language_and_zone_api_in_utc(client, login, agent, fake_channel):
    agent.language, agent.timezone = "es", "America/Mexico_City"
    agent.save()
    ticket = fake_channel.receive("Hola").ticket  # the kit's clock: 2026-01-05 09:00 UTC
    login(client, agent)
    page = client.get(f"/t/{ticket.id}").get_data(True)
    assert "05/01/2026 03:00" in page  # day/month/year, Mexico City time
    data = client.get(f"/api/v1/tickets/{ticket.id}").get_json()
    assert data["created_at"].startswith("2026-01-05T09:00:00")


def test_api_errors_follow_the_language(client, login, agent):
    agent.language = "es"
    agent.save()
    login(client, agent)
    answer = client.get("/api/v1/tickets/999999")
    assert answer.status_code == 404
    assert "no existe" in answer.get_json()["error"]["message"]


def test_marshmallows_own_messages_follow_the_language_too(client, agent):
    from app.auth import create_token

    _, secret = create_token(agent, "script")
    headers = {"Authorization": f"Bearer {secret}"}
    missing = client.post("/api/v1/views", json={"shared": "maybe", "colour": "red"}, headers=headers)
    assert missing.status_code == 422
    english = missing.get_json()["error"]["fields"]
    agent.language = "es"
    agent.save()
    answer = client.post("/api/v1/views", json={"shared": "maybe", "colour": "red"}, headers=headers)
    fields = answer.get_json()["error"]["fields"]
    assert english["name"] == ["Missing data for required field."]
    assert fields["name"] == ["Falta este campo obligatorio."]
    assert fields["shared"] == ["No es un valor booleano válido."]
    assert fields["colour"] == ["Campo desconocido."]
    too_long = client.post("/api/v1/views", json={"name": "x" * 101}, headers=headers).get_json()
    assert too_long["error"]["fields"]["name"] == ["La longitud debe estar entre 1 y 100."]


def test_general_settings_offer_the_customer_facing_language(client, login, agent):
    login(client, agent)
    page = client.get("/settings", headers={"Accept-Language": "en"}).get_data(True)
    assert "Customer-facing language" in page and 'value="es"' in page


def test_reset_email_in_the_agents_own_language(client, make_agent, email_sender):
    agent = make_agent(name="Olga Ortiz", email="olga@example.com", password=None)
    agent.language = "es"
    agent.save()
    client.post("/password/forgot", data={"email": "olga@example.com"}, headers={"Accept-Language": "en"})
    ((recipients, message),) = email_sender.messages
    assert recipients == ["olga@example.com"]
    assert message["Subject"] == "Restablezca su contraseña de Helpline"
    assert message.get_content().startswith("Hola, Olga:")
