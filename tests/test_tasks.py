"""The huey instance built from configuration, and task wrappers."""

import os

from app import create_app
from app.tasks import make_huey


def test_default_queue_is_sqlite_in_instance_folder(app, tmp_path):
    from huey import SqliteHuey

    other = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": app.config["DATABASE_URL"],
            "HUEY_IMMEDIATE": False,
            "SECRET_KEY": "x",
            "HUEY_URL": f"sqlite:///{tmp_path}/q.sqlite3",
        }
    )
    assert isinstance(other.extensions["helpline.huey"], SqliteHuey)


def test_queued_task_runs_when_a_consumer_takes_it(app, fake_channel, make_agent, tmp_path):
    """Outside immediate mode a reply waits in the queue (SQLite, or Redis
    when HELPLINE_HUEY_URL says so) until a worker executes it."""
    url = os.environ.get("HELPLINE_HUEY_URL") or f"sqlite:///{tmp_path}/queue.sqlite3"
    config = {k: app.config[k] for k in ("TESTING", "SECRET_KEY", "DATABASE_URL", "CLOCK", "PASSWORD_HASH_COST")}
    worker_app = create_app({**config, "HUEY_IMMEDIATE": False, "HUEY_URL": url})
    huey = worker_app.extensions["helpline.huey"]
    huey.flush()
    from app.models import Message
    from app.services.messages import reply

    with worker_app.app_context():
        plugins = worker_app.extensions["helpline.plugins"]
        plugins.register(fake_channel, "fake-channel-2")
        ticket = fake_channel.receive("Hi", email="q@example.net").ticket
        message = reply(ticket, make_agent(), "Queued reply")
        assert Message.get_by_id(message.id).delivery_state == "queued"
        # Other plugins queue their own work for the same events (the reports' facts).
        deliveries = [t for t in huey.pending() if t.name == "core.deliver"]
        assert len(deliveries) == 1
        huey.execute(deliveries[0])
        assert Message.get_by_id(message.id).delivery_state == "sent"
        assert fake_channel.sent[-1].text == "Queued reply"
    huey.flush()


def test_immediate_mode_for_tests(app):
    huey = make_huey(app)
    assert huey.immediate
