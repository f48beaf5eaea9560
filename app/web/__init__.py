"""The agent UI: server-rendered pages (Jinja, templates under web/)."""


def init_app(app):
    """Register the UI blueprints (built by the UI issue)."""
