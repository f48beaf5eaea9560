"""Entry point for WSGI servers and the task consumer from a checkout:
``gunicorn wsgi:app`` and ``huey_consumer wsgi.huey``. Outside the checkout
use the installed module: ``gunicorn app.wsgi:app``."""

from app.wsgi import app, huey  # noqa: F401
