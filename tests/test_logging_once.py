"""Logging is configured once: a huey consumer's lines are printed once."""

import subprocess
import sys

SCRIPT = """
import logging
from huey.consumer_options import ConsumerConfig
from app import create_app
create_app({"SECRET_KEY": "test", "DATABASE_URL": "sqlite:///" + sys.argv[1], "HUEY_IMMEDIATE": True})
create_app({"SECRET_KEY": "test", "DATABASE_URL": "sqlite:///" + sys.argv[1], "HUEY_IMMEDIATE": True})
# What huey_consumer does after importing the app module.
ConsumerConfig(workers=1).setup_logger(logging.getLogger("huey"))
logging.getLogger("huey.consumer").info("consumer line")
logging.getLogger("app.services.outbox").warning("app line")
"""


def test_consumer_and_app_lines_are_printed_once(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", "import sys\n" + SCRIPT, str(tmp_path / "log.sqlite3")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    output = done.stdout + done.stderr
    assert output.count("consumer line") == 1
    assert output.count("app line") == 1
