"""The installed WSGI entry point, importable from any directory:
``gunicorn app.wsgi:app`` and ``huey_consumer app.wsgi.huey`` (the
checkout's ``wsgi.py`` re-exports both)."""

from . import create_app

app = create_app()
huey = app.extensions["helpline.huey"]
