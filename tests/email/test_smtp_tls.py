"""Outbound SMTP over STARTTLS and implicit TLS, with login, against a real
aiosmtpd relay using a certificate made for the test."""

import datetime as dt
import ipaddress
import ssl

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from email_kit import RelayHandler, make_mail, smtp_send

from app.models import Message, Ticket
from app.services.messages import reply
from plugins.email.smtp_server import ListenerController


@pytest.fixture
def certificate(tmp_path, monkeypatch):
    """A self-signed certificate for 127.0.0.1, trusted through SSL_CERT_FILE."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"shop" and auth_data.password == b"pw"
    return AuthResult(success=ok)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_reply_over_tls_with_login(app, listener, make_agent, certificate, security):
    handler = RelayHandler()
    options = (
        {"tls_context": certificate, "require_starttls": True}
        if security == "starttls"
        else {"ssl_context": certificate, "auth_require_tls": False}
    )  # aiosmtpd cannot see implicit TLS
    relay = ListenerController(
        handler, hostname="127.0.0.1", port=0, authenticator=authenticator, auth_required=True, **options
    )
    relay.start()
    try:
        app.extensions["helpline.plugins"].set_settings(
            "email",
            {"smtp_port": relay.port, "smtp_security": security, "smtp_username": "shop", "smtp_password": "pw"},
        )
        smtp_send(listener, make_mail(text="Hi"))
        ticket = Ticket.get()
        out = reply(ticket, make_agent(), "Over TLS")
        assert Message.get_by_id(out.id).delivery_state == "sent"
        assert handler.messages[0]["rcpt_tos"] == ["anna@customer.example"]
    finally:
        relay.stop()
