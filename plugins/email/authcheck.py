"""Was an inbound mail really sent by its From address?

Helpline usually receives mail forwarded by the merchant's mail provider,
which checked SPF, DKIM and DMARC when the mail reached it and wrote the
results into an ``Authentication-Results`` header (RFC 8601). Anyone can
write such a header into a mail, so only the one written by a server the
merchant named (its *authserv-id*, e.g. ``mx.google.com``) counts, and of
those the topmost, the last one added.

The verdict, in order: DMARC ``pass`` verifies and ``fail`` does not; without
a DMARC pass or fail, a DKIM pass whose signing domain is aligned with the
From domain verifies, as does an SPF pass whose envelope sender's domain
is aligned with it. Aligned here means equal, or one a subdomain of the
other (DMARC's relaxed alignment without the public suffix list, so sibling
subdomains do not count). Anything else is "not verified".
"""

from __future__ import annotations

import authres

# The methods the verdict reads, in the order it reads them.
METHODS = ("dmarc", "dkim", "spf")


def check(header_values, from_address, trusted_servers) -> dict | None:
    """``{"verified", "reason", "server"}`` for a mail's
    ``Authentication-Results`` values (top to bottom, as in the mail),
    or None when no trusted server is configured (the check is off).
    ``reason`` is a short machine-readable summary such as
    ``"dmarc=fail"``, ``"dkim=pass"`` or ``"no_results"``."""
    trusted = {s.strip().lower() for s in trusted_servers or () if s and s.strip()}
    if not trusted:
        return None
    header = _trusted_header(header_values, trusted)
    if header is None:
        return {"verified": False, "reason": "no_results", "server": None}
    server = header.authserv_id.lower()
    domain = _domain(from_address)
    results = {}
    for result in header.results:
        method = (result.method or "").lower()
        if method in METHODS and method not in results:
            results[method] = result
    dmarc = results.get("dmarc")
    if dmarc is not None and dmarc.result in ("pass", "fail"):
        return {"verified": dmarc.result == "pass", "reason": f"dmarc={dmarc.result}", "server": server}
    dkim = results.get("dkim")
    if dkim is not None and dkim.result == "pass" and _aligned(_dkim_domain(dkim), domain):
        return {"verified": True, "reason": "dkim=pass", "server": server}
    spf = results.get("spf")
    if spf is not None and spf.result == "pass" and _aligned(_domain(_property(spf, "smtp", "mailfrom")), domain):
        return {"verified": True, "reason": "spf=pass", "server": server}
    seen = ", ".join(f"{m}={results[m].result}" for m in METHODS if m in results)
    return {"verified": False, "reason": seen or "no_results", "server": server}


def _trusted_header(values, trusted):
    for value in values:
        try:
            header = authres.AuthenticationResultsHeader.parse_value(" ".join(str(value).split()))
        except Exception:  # a malformed header (authres.AuthResError, or worse on hostile input)
            continue
        if (header.authserv_id or "").lower() in trusted:
            return header
    return None


def _property(result, type_, name):
    for prop in result.properties or ():
        if (prop.type or "").lower() == type_ and (prop.name or "").lower() == name:
            return prop.value or ""
    return ""


def _dkim_domain(result):
    return (_property(result, "header", "d") or _domain(_property(result, "header", "i"))).lower()


def _domain(address):
    address = (address or "").strip().lower()
    return address.rsplit("@", 1)[-1].strip(".") if address else ""


def _aligned(signer, domain):
    signer = (signer or "").strip(".").lower()
    if not signer or not domain:
        return False
    return signer == domain or domain.endswith("." + signer) or signer.endswith("." + domain)
