"""Sending to an address that was checked, not to whatever the name resolves
to next. A requests session whose adapter connects every request to the
:class:`~.destinations.Destination`'s checked address while the request
keeps the URL's host name: in the Host header, as the TLS server name
(SNI), and as the name the certificate must be valid for.

Environment proxy settings and ``.netrc`` are not used (a proxy would
resolve the name again on its own; ``.netrc`` would add credentials meant
for another purpose); ``REQUESTS_CA_BUNDLE`` (or ``CURL_CA_BUNDLE``) still
names the certificate authorities to trust, as for plain requests."""

import os
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter


class PinnedAdapter(HTTPAdapter):
    """Connects requests for ``hostname`` to ``address`` (an IP address),
    and refuses requests for any other host."""

    def __init__(self, hostname, address):
        self.hostname = hostname.lower()
        self.address = address
        super().__init__(max_retries=0)

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        if (host_params["host"] or "").lower() != self.hostname:
            raise requests.exceptions.InvalidURL(f"not the checked host: {host_params['host']}")
        host_params["host"] = self.address
        if host_params["scheme"] == "https":
            # The name the server is asked for (SNI) and the certificate is
            # checked against: the URL's, not the address connected to.
            pool_kwargs["server_hostname"] = self.hostname
            pool_kwargs["assert_hostname"] = self.hostname
        return host_params, pool_kwargs

    def send(self, request, **kwargs):
        # The connection is opened to an IP address; the receiver still sees
        # the name (and port) of the URL.
        request.headers["Host"] = urlsplit(request.url).netloc
        return super().send(request, **kwargs)


def verify_setting():
    """What requests should verify certificates with: the operator's CA
    bundle when one is named in the environment, else its default."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True


def session_for(destination):
    """A session that sends only to ``destination``'s checked address."""
    session = requests.Session()
    session.trust_env = False
    session.verify = verify_setting()
    # The host name as requests will send it (an international name in its
    # ASCII form): what the adapter compares, sends as SNI and verifies.
    name = urlsplit(requests.Request("POST", destination.url).prepare().url).hostname
    adapter = PinnedAdapter(name, destination.address)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
