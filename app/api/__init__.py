"""The REST API under /api/v1 (flask-smorest). See docs/api.md."""


def init_app(app):
    """Register the API blueprints (built by the API issue)."""
