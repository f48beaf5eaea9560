"""Two app instances (hosts) on one database: a file received by one is
downloadable through the other and attached by the other's worker, with
S3-compatible storage (moto's server, a real HTTP server on 127.0.0.1) or a
shared directory; with host-local storage the miss is loud."""

import socket
import uuid

import boto3
import pytest
from email_kit import make_mail, smtp_send
from moto.server import ThreadedMotoServer

from app import create_app
from app.models import Message, Ticket
from app.services.messages import reply

PDF = b"%PDF-1.4 the invoice"


@pytest.fixture(scope="module")
def s3_endpoint():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def _s3_config(endpoint, bucket):
    return {
        "STORAGE": "s3",
        "STORAGE_S3_BUCKET": bucket,
        "STORAGE_S3_ENDPOINT_URL": endpoint,
        "STORAGE_S3_REGION": "us-east-1",
        "STORAGE_S3_ACCESS_KEY_ID": "test",
        "STORAGE_S3_SECRET_ACCESS_KEY": "test",
        "STORAGE_S3_PREFIX": "shop-a/",
    }


@pytest.fixture
def bucket(s3_endpoint):
    name = f"helpline-{uuid.uuid4().hex[:12]}"
    boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    ).create_bucket(Bucket=name)
    return name


def _other_host(app, **config):
    """A second app instance on the same database, with its own instance folder."""
    settings = {
        key: app.config[key]
        for key in ("TESTING", "SECRET_KEY", "DATABASE_URL", "HUEY_IMMEDIATE", "STRICT_PLUGINS", "CLOCK")
    }
    settings.update(PASSWORD_HASH_COST="low", RATELIMIT_ENABLED=False, WTF_CSRF_ENABLED=False, **config)
    return create_app(settings)


def _receive_invoice(listener):
    mail = make_mail(text="Invoice attached", message_id=f"<{uuid.uuid4().hex}@customer.example>")
    mail.add_attachment(PDF, maintype="application", subtype="pdf", filename="invoice.pdf")
    smtp_send(listener, mail)
    message = Message.select().where(Message.direction == "inbound").order_by(Message.id.desc()).get()
    [attachment] = [a for a in message.attachments if a["filename"] == "invoice.pdf"]
    return message, attachment


def _download_through(host, login, agent, message, attachment):
    client = login(host.test_client(), agent)
    return client.get(f"/attachments/{message.id}/{attachment['storage_key']}", headers={"Accept": "application/json"})


@pytest.mark.parametrize("backend", ["s3", "directory"])
def test_a_file_received_by_one_host_is_served_and_attached_by_another(
    backend, app, listener, relay, make_agent, login, bucket, s3_endpoint, tmp_path
):
    config = (
        _s3_config(s3_endpoint, bucket)
        if backend == "s3"
        else {"STORAGE": "directory", "STORAGE_DIRECTORY": str(tmp_path / "shared")}
    )
    app.config.update(config)
    app.extensions.pop("helpline.storage")  # host A now stores with the shared backend
    agent = make_agent()
    message, attachment = _receive_invoice(listener)

    host_b = _other_host(app, **config)
    response = _download_through(host_b, login, agent, message, attachment)
    assert response.status_code == 200
    assert response.data == PDF
    assert response.headers["Content-Disposition"].startswith("attachment")

    with host_b.app_context():
        ticket = Ticket.get_by_id(message.ticket_id)
        out = reply(ticket, agent, "Here it is again.", attachments=[attachment])
        assert Message.get_by_id(out.id).delivery_state == "sent"
    [sent] = relay.messages
    [part] = list(sent["message"].iter_attachments())
    assert part.get_filename() == "invoice.pdf"
    assert part.get_content() == PDF


def test_host_local_storage_fails_loudly_on_the_other_host(app, listener, relay, make_agent, login, tmp_path):
    agent = make_agent()
    message, attachment = _receive_invoice(listener)
    host_b = _other_host(app, ATTACHMENTS_DIR=str(tmp_path / "host-b"))

    response = _download_through(host_b, login, agent, message, attachment)
    assert response.status_code == 404
    assert response.json["error"]["code"] == "file_missing"
    assert "missing from file storage" in response.json["error"]["message"]

    with host_b.app_context():
        out = reply(Ticket.get_by_id(message.ticket_id), agent, "Here it is.", attachments=[attachment])
        failed = Message.get_by_id(out.id)
    assert relay.messages == []
    assert "invoice.pdf is missing from file storage" in failed.delivery_error


def test_a_bad_storage_setting_fails_at_startup(app):
    with pytest.raises(RuntimeError, match="STORAGE_DIRECTORY"):
        _other_host(app, STORAGE="directory")
    with pytest.raises(RuntimeError, match="Unknown STORAGE"):
        _other_host(app, STORAGE="ftp")
