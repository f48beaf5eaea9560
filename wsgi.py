"""Entry point for WSGI servers and the task consumer:
``gunicorn wsgi:app`` and ``huey_consumer wsgi.huey``."""

from app import create_app

app = create_app()
huey = app.extensions["helpline.huey"]
