"""Helpers for the SMS plugin tests: Twilio's REST API (the only part
outside this machine) played by the kit's fake provider, and a helper that
posts webhooks signed the way Twilio signs them (twilio's RequestValidator)."""

import base64
import uuid

from twilio.request_validator import RequestValidator

from app.models import Profile
from app.testing.provider import Answer

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "auth-token-for-tests"
OUR_NUMBER = "+15005550006"
CUSTOMER = "+15551230001"
PUBLIC_URL = "https://help.example.com"


class TwilioFake:
    """Twilio's Messages API played by the kit's ``fake_provider`` (the
    server, the request log and scripted answers are the kit's; only
    Twilio's answer shapes are here): a message creation with the right
    credentials and path is answered 201 with a fresh ``SM...`` sid, bad
    credentials 401 and another path 404, with Twilio's error bodies."""

    def __init__(self, provider):
        self.provider = provider
        provider.answer_with(self._answer)

    @property
    def url(self):
        return self.provider.url

    @property
    def requests(self):
        """What arrived, oldest first (the kit's recorded requests)."""
        return self.provider.requests

    @property
    def sent(self):
        """Form bodies of the message creations Twilio accepted or refused, oldest first."""
        return [r.form for r in self.provider.requests]

    def fail(self, status):
        """Refuse the next message creation with ``status`` (4xx: Twilio's
        invalid number error 21211; 5xx: its internal error 20500)."""
        client_error = status < 500
        self.provider.respond(
            status,
            json={
                "code": 21211 if client_error else 20500,
                "message": "Invalid 'To' Phone Number" if client_error else "Internal Server Error",
                "status": status,
            },
        )

    @staticmethod
    def _answer(request):
        expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if request.header("Authorization") != expected:
            return Answer(401, json={"code": 20003, "message": "Authenticate", "status": 401})
        if not request.path.startswith(f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"):
            return Answer(404, json={"code": 20404, "message": "Not found", "status": 404})
        form = request.form
        return Answer(
            201,
            json={
                "sid": new_sid(),
                "account_sid": ACCOUNT_SID,
                "status": "queued",
                "to": form.get("To"),
                "from": form.get("From"),
                "body": form.get("Body"),
                "num_segments": "1",
                "direction": "outbound-api",
            },
        )


def new_sid(prefix="SM"):
    return prefix + uuid.uuid4().hex


class SmsKit:
    """Configures the plugin against the fake Twilio and posts signed webhooks."""

    def __init__(self, app, client, twilio):
        self.app, self.client, self.twilio = app, client, twilio
        self.plugins = app.extensions["helpline.plugins"]

    def configure(self, **overrides):
        settings = {
            "account_sid": ACCOUNT_SID,
            "auth_token": AUTH_TOKEN,
            "from_number": OUR_NUMBER,
            "public_url": PUBLIC_URL,
            "api_base_url": self.twilio.url,
            **overrides,
        }
        return self.plugins.set_settings("sms", settings)

    def signed_post(self, path, params, token=AUTH_TOKEN, url=None, headers=None, algorithm=None):
        signature = RequestValidator(token).compute_signature(url or PUBLIC_URL + path, params, algorithm)
        return self.client.post(path, data=params, headers={"X-Twilio-Signature": signature, **(headers or {})})

    def inbound(self, body, sid=None, phone=CUSTOMER, media=(), **kwargs):
        """POST a signed inbound SMS; returns the response."""
        params = {
            "MessageSid": sid or new_sid(),
            "AccountSid": ACCOUNT_SID,
            "From": phone,
            "To": OUR_NUMBER,
            "Body": body,
            "NumMedia": str(len(media)),
            "NumSegments": "1",
        }
        for i, (url, content_type) in enumerate(media):
            params[f"MediaUrl{i}"] = url
            params[f"MediaContentType{i}"] = content_type
        params.update(kwargs.pop("extra", {}))
        return self.signed_post("/sms/twilio/inbound", params, **kwargs)

    def status(self, sid, status, error_code=None, **kwargs):
        params = {"MessageSid": sid, "AccountSid": ACCOUNT_SID, "MessageStatus": status}
        if error_code:
            params["ErrorCode"] = error_code
        return self.signed_post("/sms/twilio/status", params, **kwargs)

    def consent(self, phone=CUSTOMER, value="transactional"):
        Profile.update(sms_consent=value).where(Profile.phone == phone).execute()

    def profile(self, phone=CUSTOMER):
        return Profile.get_or_none(Profile.phone == phone)

    def set_core(self, **settings):
        self.plugins.set_settings("core", settings)
