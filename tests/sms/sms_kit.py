"""Helpers for the SMS plugin tests: a local fake of Twilio's REST API (the
only part outside this machine) and a helper that posts webhooks signed the
way Twilio signs them (twilio's RequestValidator)."""

import base64
import hashlib
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from twilio.request_validator import RequestValidator

from app.models import Profile

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "auth-token-for-tests"
OUR_NUMBER = "+15005550006"
CUSTOMER = "+15551230001"
PUBLIC_URL = "https://help.example.com"


class FakeTwilio:
    """Twilio's Messages endpoint on 127.0.0.1:0. Records every request;
    ``fail_next`` holds HTTP statuses to answer before succeeding again."""

    def __init__(self):
        self.requests = []
        self.fail_next = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                auth = self.headers.get("Authorization", "")
                with fake._lock:
                    fake.requests.append({"path": self.path, "form": form, "auth": auth})
                    status = fake.fail_next.pop(0) if fake.fail_next else None
                expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
                if auth != expected:
                    return self._json(401, {"code": 20003, "message": "Authenticate", "status": 401})
                if not self.path.startswith(f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"):
                    return self._json(404, {"code": 20404, "message": "Not found", "status": 404})
                if status is not None:
                    return self._json(
                        status,
                        {
                            "code": 21211 if status < 500 else 20500,
                            "message": "Invalid 'To' Phone Number" if status < 500 else "Internal Server Error",
                            "status": status,
                        },
                    )
                sid = "SM" + hashlib.md5(f"{len(fake.requests)}{uuid.uuid4()}".encode()).hexdigest()
                return self._json(
                    201,
                    {
                        "sid": sid,
                        "account_sid": ACCOUNT_SID,
                        "status": "queued",
                        "to": form.get("To"),
                        "from": form.get("From"),
                        "body": form.get("Body"),
                        "num_segments": "1",
                        "direction": "outbound-api",
                    },
                )

            def _json(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def sent(self):
        """Form bodies of the message creations Twilio accepted or refused, oldest first."""
        return [r["form"] for r in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


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
