"""The agent UI: server-rendered pages (Jinja, templates under ``web/``) with
a little plain JavaScript. Views only translate HTTP to service calls."""


def init_app(app):
    """Register the UI blueprint, its Jinja helpers and error pages."""
    # Importing the view modules attaches their routes to ``bp``.
    from . import (  # noqa: F401
        account,
        audit,
        auth_views,
        automation,
        commerce,
        helpers,
        identities,
        inbox,
        merge,
        notifications,
        password,
        presence,
        rules,
        settings,
        ticket,
    )
    from .blueprint import bp

    app.register_blueprint(bp)
    app.context_processor(auth_views.page_context)
    app.context_processor(notifications.bell_context)
    helpers.init_jinja(app)
    automation.init_jinja(app)
    merge.init_jinja(app)
