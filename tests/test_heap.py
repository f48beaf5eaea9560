"""Long-lived processes freeze their start-up objects (app/heap.py), so the
garbage collector's full collections stop walking the whole loaded app."""

import os
import subprocess
import sys

# Run in a child process: a frozen heap stays frozen for the process's life.
SCRIPT = """
import gc
import weakref


class Node:
    pass


# Start-up garbage (a reference cycle nobody holds) must be freed, not frozen.
cycle = Node()
cycle.self = cycle
dead = weakref.ref(cycle)
del cycle

import app.wsgi  # what gunicorn and huey_consumer import

print(dead() is None, gc.get_freeze_count(), len(gc.get_objects()))
"""


def test_importing_the_wsgi_module_freezes_the_loaded_app(tmp_path):
    env = {
        **os.environ,
        "HELPLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite3'}",
        "HELPLINE_HUEY_URL": f"sqlite:///{tmp_path / 'huey.sqlite3'}",
        "HELPLINE_SECRET_KEY": "test",
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=True, env=env
    )
    garbage_freed, frozen, still_collected = done.stdout.split()
    assert garbage_freed == "True"
    # The app's objects are out of the collector's sight: a full collection
    # now walks a small fraction of what it walked before.
    assert int(frozen) > 50_000
    assert int(still_collected) < int(frozen) / 10
