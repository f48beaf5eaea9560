"""Optional TOTP two-factor for owners and admins (pyotp): enrol with a
secret shown as a QR code (segno, server-rendered SVG) and an otpauth URI,
confirm with a code, then every login asks for a code after the password.
Ten single-use recovery codes, stored as SHA-256 digests, stand in for a
lost device."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import secrets

import pyotp
import segno
from flask_babel import gettext as _

from ..clock import now
from ..db import write_transaction
from ..models import Agent
from . import Denied, ServiceError, audit

ROLES = frozenset({"owner", "admin"})
ISSUER = "Helpline"
RECOVERY_CODES = 10
# One step of clock drift either way, as authenticator apps expect.
VALID_WINDOW = 1


def eligible(agent):
    """Two-factor is offered to owners and admins."""
    return agent is not None and agent.role in ROLES


def enabled(agent):
    return agent is not None and agent.totp_enabled_at is not None and bool(agent.totp_secret)


def begin(agent):
    """Start (or restart) enrolment: a new secret, not in use until
    :func:`confirm`. Returns the secret."""
    if not eligible(agent):
        raise Denied(_("Two-factor is for owners and admins."), code="not_eligible")
    if enabled(agent):
        raise ServiceError(_("Two-factor is already on; turn it off first."), code="already_enabled")
    secret = pyotp.random_base32()
    Agent.update(totp_secret=secret, totp_enabled_at=None, totp_last_step=None).where(Agent.id == agent.id).execute()
    agent.totp_secret, agent.totp_enabled_at = secret, None
    return secret


def provisioning_uri(agent):
    """The ``otpauth://`` URI an authenticator app reads."""
    return pyotp.TOTP(agent.totp_secret).provisioning_uri(name=agent.email, issuer_name=ISSUER)


def qr_svg(agent):
    """The provisioning URI as an inline SVG QR code (no script, no remote
    resources)."""
    out = io.BytesIO()
    segno.make(provisioning_uri(agent), error="m").save(out, kind="svg", scale=4, xmldecl=False, svgns=True)
    return out.getvalue().decode()


def _digest(code):
    return hashlib.sha256(code.replace("-", "").strip().lower().encode()).hexdigest()


def _accept_totp(agent, code):
    """True for a current code not used before (a code seen once is spent)."""
    code = (code or "").replace(" ", "")
    if not agent.totp_secret or not code.isdigit() or len(code) != 6:
        return False
    totp = pyotp.TOTP(agent.totp_secret)
    step = int(now().replace(tzinfo=dt.UTC).timestamp()) // totp.interval  # stored times are naive UTC
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        candidate = step + offset
        if secrets.compare_digest(totp.at(candidate * totp.interval), code):
            with write_transaction():
                spent = (
                    Agent.update(totp_last_step=candidate)
                    .where(
                        (Agent.id == agent.id) & (Agent.totp_last_step.is_null() | (Agent.totp_last_step < candidate))
                    )
                    .execute()
                )
            return bool(spent)
    return False


def confirm(agent, code):
    """Turn two-factor on with a first code from the app; returns the
    recovery codes (shown once, stored hashed)."""
    agent = Agent.get_by_id(agent.id)
    if enabled(agent) or not agent.totp_secret:
        raise ServiceError(_("Start the set-up first."), code="not_started", field="code")
    if not _accept_totp(agent, code):
        raise ServiceError(
            _("That code is not valid. Check the time on your device."), code="invalid_otp", field="code"
        )
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    Agent.update(totp_enabled_at=now(), totp_recovery=json.dumps([_digest(c) for c in codes])).where(
        Agent.id == agent.id
    ).execute()
    audit.record("2fa.enabled", target=agent.email)
    return codes


def verify(agent, code):
    """A login's second step: a current TOTP code, or an unused recovery
    code (spent by this use)."""
    agent = Agent.get_by_id(agent.id)
    if not enabled(agent):
        return True
    if _accept_totp(agent, code):
        return True
    digest = _digest(code or "")
    with write_transaction():
        agent = Agent.get_by_id(agent.id)
        left = json.loads(agent.totp_recovery or "[]")
        if digest not in left:
            return False
        left.remove(digest)
        Agent.update(totp_recovery=json.dumps(left)).where(Agent.id == agent.id).execute()
    audit.record("2fa.recovery_code_used", target=agent.email, details={"left": len(left)}, actor=agent)
    return True


def disable(agent, code):
    """Turn two-factor off; needs a current code or a recovery code."""
    if not enabled(agent):
        return
    if not verify(agent, code):
        raise ServiceError(_("That code is not valid."), code="invalid_otp", field="code")
    Agent.update(totp_secret=None, totp_enabled_at=None, totp_last_step=None, totp_recovery="[]").where(
        Agent.id == agent.id
    ).execute()
    audit.record("2fa.disabled", target=agent.email)


def recovery_codes_left(agent):
    return len(json.loads(agent.totp_recovery or "[]"))
