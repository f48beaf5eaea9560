"""Where webhooks may go. Only http(s) URLs without credentials, and (unless
the operator allows it with ``WEBHOOKS_ALLOW_PRIVATE_DESTINATIONS``) only
public addresses: an admin must not be able to make the server call into
its own network (a database, a cloud metadata service) and read the answer
in the delivery log. Checked when an endpoint is saved and again, on the
resolved addresses, before every attempt (DNS can change in between).

Each attempt asks DNS once: the addresses checked are the addresses
connected to (:mod:`.transport`), so a hostile name server cannot answer a
public address to the check and a private one to the connection. The
resolver is ``WEBHOOKS_RESOLVER`` in the app's config when set (tests stand
in for DNS with it), else the operating system's."""

import dataclasses
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


# IPv6 prefixes that carry an IPv4 address in their last 32 bits and reach it
# through a translator: NAT64's well-known prefix (RFC 6052) and the old
# IPv4-compatible form. Python counts them as global whatever the IPv4 inside.
_EMBEDS_IPV4 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("::/96"))
# NAT64 prefixes for a network's own use (RFC 8215): where they lead is the
# operator's business, so never public.
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")


def _is_public(address):
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _LOCAL_NAT64:
            return False
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
        elif any(ip in net for net in _EMBEDS_IPV4):
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.is_global and not ip.is_multicast


def system_resolver(host, port):
    """The addresses the operating system resolves ``host`` to, in its
    order of preference."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


def _resolve(host, port):
    resolver = current_app.config.get("WEBHOOKS_RESOLVER") or system_resolver
    try:
        found = list(resolver(host, port))
    except (OSError, UnicodeError):
        found = []
    if not found:
        raise Refused(_("The host name %(host)s does not resolve.", host=host))
    # Keep the resolver's order (its preference), without repeats.
    return list(dict.fromkeys(found))


def _refuse_private():
    raise Refused(_("This address is on a private network; webhooks go to public addresses only."))


@dataclasses.dataclass(frozen=True)
class Destination:
    """Where one attempt goes: the URL (its host name stays the name for the
    Host header, TLS SNI and the certificate check) and the checked
    ``address`` to connect to."""

    url: str
    address: str


def check_destination(url, resolve=True):
    """Raise :class:`Refused` unless ``url`` is an http(s) address whose host
    resolves only to public addresses (or private ones are allowed).
    ``resolve=False`` checks only literal IP hosts (when saving, so an
    endpoint whose DNS is not set up yet can still be saved). Returns the
    :class:`Destination` to connect to (None with ``resolve=False``)."""
    parts = check_url(url)
    host = parts.hostname.rstrip(".")
    allowed = private_allowed()
    if not allowed and (host == "localhost" or host.endswith(".localhost")):
        _refuse_private()
    try:
        ipaddress.ip_address(host)
        addresses = [host]
    except ValueError:
        if not resolve:
            return None
        addresses = _resolve(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    if not allowed and not all(_is_public(a) for a in addresses):
        _refuse_private()
    if not resolve:
        return None
    return Destination(url=url, address=addresses[0])
