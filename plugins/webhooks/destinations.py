"""Where webhooks may go. Only http(s) URLs without credentials, and (unless
the operator allows it with ``WEBHOOKS_ALLOW_PRIVATE_DESTINATIONS``) only
public addresses: an admin must not be able to make the server call into
its own network (a database, a cloud metadata service) and read the answer
in the delivery log. Checked when an endpoint is saved and again, on the
resolved addresses, before every attempt (DNS can change in between)."""

import ipaddress
import socket
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _

MAX_URL = 2000


class Refused(Exception):
    """A destination webhooks may not be sent to; ``str()`` says why."""


def private_allowed():
    return bool(current_app.config.get("WEBHOOKS_ALLOW_PRIVATE_DESTINATIONS", False))


def check_url(url):
    """Raise :class:`Refused` for a URL that is not a plain http(s) address."""
    if len(url) > MAX_URL:
        raise Refused(_("Use at most %(n)d characters.", n=MAX_URL))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refused(_("Enter a full http:// or https:// address.")) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(_("Enter a full http:// or https:// address."))
    if parts.username or parts.password:
        raise Refused(_("Leave user names and passwords out of the address; the signature authenticates us."))
    if port == 0:
        raise Refused(_("Enter a full http:// or https:// address."))
    return parts


def _is_public(address):
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_destination(url, resolve=True):
    """Raise :class:`Refused` unless ``url`` is an http(s) address whose host
    resolves only to public addresses (or private ones are allowed).
    ``resolve=False`` checks only literal IP hosts (when saving, so an
    endpoint whose DNS is not set up yet can still be saved)."""
    parts = check_url(url)
    if private_allowed():
        return
    host = parts.hostname.rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        raise Refused(_("This address is on a private network; webhooks go to public addresses only."))
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [host]
    elif not resolve:
        return
    else:
        try:
            infos = socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80))
        except (OSError, UnicodeError):
            raise Refused(_("The host name %(host)s does not resolve.", host=host)) from None
        addresses = [info[4][0] for info in infos]
    if not addresses or not all(_is_public(a) for a in addresses):
        raise Refused(_("This address is on a private network; webhooks go to public addresses only."))
