"""The README's first command ends in `helpline run`: it must migrate, seed
demo data, start workers and serve on 127.0.0.1."""

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_helpline_run_serves_demo_on_localhost(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPLINE_")}
    env.update(
        {
            "HELPLINE_DATABASE_URL": f"sqlite:///{tmp_path}/quick.sqlite3",
            "HELPLINE_HUEY_URL": f"sqlite:///{tmp_path}/huey.sqlite3",
            "HELPLINE_ATTACHMENTS_DIR": str(tmp_path / "files"),
            "HELPLINE_SECRET_KEY": "quickstart-test",
            "HELPLINE_STRICT_PLUGINS": "1",
        }
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "run", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                # As the UI's EventSource asks: a stream's refusal is JSON, not the login page.
                stream = urllib.request.Request(
                    f"http://127.0.0.1:{port}/events/stream", headers={"Accept": "text/event-stream"}
                )
                urllib.request.urlopen(stream, timeout=2)
            except urllib.error.HTTPError as err:
                status = err.code
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        assert status == 401, "the server answers, and the event stream asks for a login"
        with sqlite3.connect(tmp_path / "quick.sqlite3") as conn:
            assert conn.execute("SELECT COUNT(*) FROM agent").fetchone()[0] >= 4
            assert conn.execute("SELECT name FROM migrations_core").fetchall() != []
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            output, _ = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
    assert f"http://127.0.0.1:{port}/" in output
    assert "Demo data: 5 agents" in output
    assert proc.returncode == 0, "stopped cleanly"
