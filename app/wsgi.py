"""The installed WSGI entry point, importable from any directory:
``gunicorn app.wsgi:app`` and ``huey_consumer app.wsgi.huey`` (the
checkout's ``wsgi.py`` re-exports both). Importing it builds the app and
freezes the start-up objects (:mod:`app.heap`): only long-lived processes
import it."""

from . import create_app
from .heap import freeze_startup_objects

app = create_app()
huey = app.extensions["helpline.huey"]
freeze_startup_objects()
