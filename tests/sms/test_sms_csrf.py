"""With CSRF protection on (as in production): Twilio's webhooks need no
token, the attribution API takes a bearer token, and a browser session
cannot be tricked into recording a sent SMS."""

import pytest
from sms_kit import CUSTOMER

from app.auth import create_token
from plugins.sms.models import SentCampaignSms


@pytest.fixture
def helpline_config():
    return {"WTF_CSRF_ENABLED": True}


def test_webhooks_are_exempt(sms):
    assert sms.inbound("Hello").status_code == 200


def test_the_api_with_a_token_needs_no_csrf_token(sms, make_agent):
    token = create_token(make_agent(), "marketing")[1]
    response = sms.client.post(
        "/api/v1/sms/sent",
        json={"phone": CUSTOMER, "source_type": "flow", "source_id": "w"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201


def test_a_session_without_csrf_token_is_refused(sms, make_agent, login):
    login(sms.client, make_agent())
    response = sms.client.post("/api/v1/sms/sent", json={"phone": CUSTOMER, "source_type": "flow", "source_id": "w"})
    assert response.status_code == 400 and b"CSRF" in response.data
    assert not list(SentCampaignSms.select())
