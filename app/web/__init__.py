"""The agent UI: server-rendered pages (Jinja, templates under ``web/``) with
a little plain JavaScript. Views only translate HTTP to service calls."""


def init_app(app):
    """Register the UI blueprint, its Jinja helpers and error pages."""
    # Importing the view modules attaches their routes to ``bp``.
    from . import account, audit, auth_views, helpers, identities, inbox, password, presence, rules, settings, ticket  # noqa: F401
    from .blueprint import bp

    app.register_blueprint(bp)
    app.context_processor(auth_views.page_context)
    helpers.init_jinja(app)
