"""Support addresses, per-ticket reply addresses and our own Message-IDs.

A reply address carries the ticket id and an HMAC of it keyed with the
app's secret key (``reply+<id>.<sig>@reply_domain``, or
``support+<id>.<sig>@shop.example`` when no reply domain is set), so a
customer's mail client routes the answer back to the right ticket even
when it drops the threading headers, and nobody can forge one to write
into another customer's ticket.
"""

import hashlib
import hmac
import re
import secrets
from email.utils import getaddresses

from flask import current_app

_TOKEN = re.compile(r"^(?P<local>[^@+\s]+)\+(?P<id>\d{1,12})\.(?P<sig>[0-9a-f]{16})@(?P<domain>[^@\s]+)$")


def _signature(ticket_id):
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"email-reply:{ticket_id}".encode(), hashlib.sha256).hexdigest()[:16]


def own_domain(settings):
    """The domain our Message-IDs and reply addresses use."""
    if settings.get("reply_domain"):
        return settings["reply_domain"]
    addresses = settings.get("support_addresses") or []
    return addresses[0].rsplit("@", 1)[1] if addresses else "helpline.invalid"


def reply_address(settings, ticket_id):
    """The signed reply-to address of a ticket."""
    if settings.get("reply_domain"):
        local, domain = "reply", settings["reply_domain"]
    elif settings.get("support_addresses"):
        local, domain = settings["support_addresses"][0].split("@", 1)
    else:
        return None
    return f"{local}+{int(ticket_id)}.{_signature(ticket_id)}@{domain}"


def ticket_from_address(settings, address):
    """The ticket id a verified reply address names, or None."""
    match = _TOKEN.match((address or "").strip().lower())
    if not match:
        return None
    domains = {a.rsplit("@", 1)[1] for a in settings.get("support_addresses") or []}
    if settings.get("reply_domain"):
        domains.add(settings["reply_domain"])
    if match["domain"] not in domains:
        return None
    ticket_id = int(match["id"])
    return ticket_id if hmac.compare_digest(match["sig"], _signature(ticket_id)) else None


def accepts(settings, address):
    """True when the SMTP listener takes mail for this recipient."""
    address = (address or "").strip().lower()
    return address in (settings.get("support_addresses") or []) or ticket_from_address(settings, address) is not None


def addresses_in(values):
    """Plain lowercased addresses from header values; never raises."""
    found = []
    try:
        for _name, addr in getaddresses([str(v) for v in values if v]):
            if "@" in addr:
                found.append(addr.strip().lower())
    except Exception:  # a mangled header yields no address rather than a crash
        pass
    return found


def new_message_id(settings):
    """A fresh Message-ID (without angle brackets) in our own domain."""
    return f"helpline.{secrets.token_hex(12)}@{own_domain(settings)}"


def reply_message_id(settings, message_id):
    """The Message-ID (without angle brackets) of the email for message row
    ``message_id``: the same on every attempt, so a reply sent again after a
    worker died mid-send is a duplicate the customer's mail client drops. The
    keyed hash keeps ids of different deployments apart and unguessable."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, f"message-id:{int(message_id)}".encode(), hashlib.sha256).hexdigest()[:16]
    return f"helpline.{int(message_id)}.{digest}@{own_domain(settings)}"


def is_own_message_id(settings, message_id):
    """True for a Message-ID Helpline generated (looped-back own mail)."""
    return (
        bool(message_id)
        and message_id.startswith("helpline.")
        and message_id.rsplit("@", 1)[-1].lower() == own_domain(settings)
    )


def strip_id(value):
    """``<abc@x>`` -> ``abc@x`` (the form stored as external_id)."""
    return (value or "").strip().strip("<>").strip()[:250]


def message_ids(value):
    """Every ``<id>`` in a References/In-Reply-To value, in order."""
    value = str(value or "")
    found = re.findall(r"<([^<>\s]{1,250})>", value)
    if not found and value.strip() and " " not in value.strip():
        found = [strip_id(value)]  # some clients omit the brackets
    return found
