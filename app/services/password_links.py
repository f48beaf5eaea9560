"""One-time, expiring links that let an agent set a password: a reset asked
for on the login page, or an invitation from the agents page.

A link is signed (itsdangerous, the app's secret key) and carries the agent,
its purpose and a fingerprint of the password hash at the time it was made:
setting any password changes the hash, so every earlier link stops working
(one-time use without a table of tokens). The age is checked against the
app's clock, so tests move time instead of waiting.
"""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage

from flask import current_app, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from itsdangerous.timed import TimestampSigner

from ..clock import now
from ..i18n import agent_language
from ..models import Agent
from ..plugins import hook
from . import agents as agent_service

LIFETIMES = {"reset": dt.timedelta(hours=1), "invite": dt.timedelta(days=7)}


class _ClockSigner(TimestampSigner):
    # Timestamps from the app's clock (injected in tests).
    def get_timestamp(self):
        return int(now().replace(tzinfo=dt.UTC).timestamp())


class _Serializer(URLSafeTimedSerializer):
    default_signer = _ClockSigner


def _serializer():
    return _Serializer(current_app.config["SECRET_KEY"], salt="helpline-password-link")


def _fingerprint(agent):
    return agent.password_hash[-16:]


def make_token(agent, purpose):
    """A signed token for ``purpose`` ("reset" or "invite")."""
    return _serializer().dumps({"a": agent.id, "p": purpose, "h": _fingerprint(agent)})


def agent_for_token(token, purpose):
    """The active agent the token was made for, or None when it is forged,
    expired, for another purpose, or already used (the password changed)."""
    if not token or len(token) > 500:
        return None
    try:
        data = _serializer().loads(token, max_age=int(LIFETIMES[purpose].total_seconds()))
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict) or data.get("p") != purpose:
        return None
    agent = Agent.get_or_none((Agent.id == data.get("a")) & (Agent.is_active == True))
    if agent is None or _fingerprint(agent) != data.get("h"):
        return None
    return agent


def _send(agent, subject, text):
    message = EmailMessage()
    message["To"] = agent.email
    message["Subject"] = subject
    message.set_content(text)
    return bool(hook().helpline_send_email(message=message))


def send_reset(email):
    """Email a reset link when ``email`` belongs to an active agent. Says
    nothing either way, so the form cannot tell which accounts exist;
    returns whether a message was accepted (for logs and tests)."""
    agent = Agent.get_or_none((Agent.email == (email or "").strip().lower()) & (Agent.is_active == True))
    if agent is None:
        return False
    link = url_for("web.reset_password", token=make_token(agent, "reset"), _external=True)
    with agent_language(agent):  # the agent's own language, whatever browser asked
        text = _(
            "Hello %(name)s,\n\nSomeone (hopefully you) asked to reset your Helpline password. Open this link "
            "within an hour to choose a new one:\n\n%(link)s\n\nThe link works once. If you did not ask for it, "
            "ignore this message: your password stays as it is.",
            name=agent.first_name,
            link=link,
        )
        subject = _("Reset your Helpline password")
    return _send(agent, subject, text)


def send_invite(agent, inviter):
    """Email ``agent`` a link to choose a password (valid 7 days, once)."""
    link = url_for("web.reset_password", token=make_token(agent, "invite"), invite=1, _external=True)
    text = _(
        "Hello %(name)s,\n\n%(inviter)s invited you to Helpline. Open this link within 7 days to choose your "
        "password:\n\n%(link)s\n\nThe link works once.",
        name=agent.first_name,
        inviter=inviter.name,
        link=link,
    )
    return _send(agent, _("You are invited to Helpline"), text)


def use_token(token, purpose, password):
    """Set the password of the token's agent; returns the agent, or None
    when the link no longer works. Raises ServiceError for a short password."""
    agent = agent_for_token(token, purpose)
    if agent is not None:
        agent_service.set_password(agent, password)
    return agent
