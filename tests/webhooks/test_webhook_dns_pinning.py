"""DNS rebinding: an attempt asks DNS once and connects to the address it
checked. DNS is outside the machine, so a scripted resolver stands in for
it (``WEBHOOKS_RESOLVER``); the receivers are real local servers, one of
them over TLS with a certificate made for the test."""

import datetime as dt
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from plugins.webhooks import service
from plugins.webhooks.models import WebhookDelivery

NAME = "hooks.example.test"
# A global unicast address nobody is assigned (4000::/2 is unallocated):
# public to the check, and connecting to it leaves nothing on any real host.
PUBLIC = "4000::1"


class Resolver:
    """A name server whose answers change between questions: the first
    question gets ``answers[0]``, the next ``answers[1]``, and so on (the
    last answer repeats). ``asked`` records each ``(host, port)``."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.asked = []

    def __call__(self, host, port):
        self.asked.append((host, port))
        return self.answers[min(len(self.asked), len(self.answers)) - 1]


@pytest.fixture
def dns(app):
    def install(*answers):
        resolver = Resolver(*answers)
        app.config["WEBHOOKS_RESOLVER"] = resolver
        return resolver

    return install


def send_test(url, receiver, owner):
    endpoint = service.create_endpoint(url, ["ticket.created"], "CRM", actor=owner)
    receiver.secret = endpoint.secret
    return WebhookDelivery.get_by_id(service.send_test(endpoint, actor=owner).id)


def test_a_name_that_rebinds_to_a_local_address_never_reaches_it(webhooks, receiver, owner, app, dns):
    app.config["WEBHOOKS_ALLOW_PRIVATE_DESTINATIONS"] = False
    resolver = dns([PUBLIC], ["127.0.0.1"])
    row = send_test(f"http://{NAME}:{receiver.port}/hooks", receiver, owner)
    assert receiver.received == []
    assert resolver.asked == [(NAME, receiver.port)]
    assert row.state == "failed"
    assert row.error.startswith("Could not connect")


def test_a_name_with_any_private_address_is_refused(webhooks, receiver, owner, app, dns):
    app.config["WEBHOOKS_ALLOW_PRIVATE_DESTINATIONS"] = False
    dns([PUBLIC, "127.0.0.1"])
    row = send_test(f"http://{NAME}:{receiver.port}/hooks", receiver, owner)
    assert receiver.received == []
    assert row.state == "failed"
    assert "private network" in row.error


@pytest.fixture
def decoy(make_receiver, receiver):
    """A second receiver on the same port of another loopback address."""
    return make_receiver(host="127.0.0.2", port=receiver.port)


def test_with_private_destinations_allowed_the_delivery_goes_to_the_address_resolved(
    webhooks, receiver, decoy, owner, dns
):
    resolver = dns(["127.0.0.1"], ["127.0.0.2"])
    row = send_test(f"http://{NAME}:{receiver.port}/hooks", receiver, owner)
    assert (row.state, row.status_code) == ("succeeded", 204)
    assert [e["type"] for e in receiver.events] == ["webhook.test"]
    assert receiver.received[0][0]["Host"] == f"{NAME}:{receiver.port}"
    assert decoy.received == []
    assert len(resolver.asked) == 1


def certificate(tmp_path, name):
    """A self-signed certificate for ``name``, trusted as the CA bundle of
    outgoing requests; returns a server context that presents it."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return cert_file, context


@pytest.fixture
def tls_receiver(make_receiver, tmp_path, monkeypatch, request):
    """A TLS receiver on 127.0.0.1 whose certificate is for the name given
    by the test's parameter; the certificate is the trusted CA."""
    cert_file, context = certificate(tmp_path, request.param)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert_file))
    return make_receiver(tls=context)


@pytest.mark.parametrize("tls_receiver", [NAME], indirect=True)
def test_https_connects_to_the_address_but_asks_for_and_checks_the_name(webhooks, tls_receiver, owner, dns):
    dns(["127.0.0.1"], ["127.0.0.2"])
    row = send_test(f"https://{NAME}:{tls_receiver.port}/hooks", tls_receiver, owner)
    assert (row.state, row.status_code) == ("succeeded", 204)
    assert tls_receiver.server_names == [NAME]
    assert tls_receiver.received[0][0]["Host"] == f"{NAME}:{tls_receiver.port}"
    assert [e["type"] for e in tls_receiver.events] == ["webhook.test"]


@pytest.mark.parametrize("tls_receiver", ["other.example.test"], indirect=True)
def test_https_refuses_a_certificate_for_another_name(webhooks, tls_receiver, owner, dns):
    dns(["127.0.0.1"])
    row = send_test(f"https://{NAME}:{tls_receiver.port}/hooks", tls_receiver, owner)
    assert tls_receiver.received == []
    assert row.state == "failed"
    assert row.error == "Could not connect: SSLError"
