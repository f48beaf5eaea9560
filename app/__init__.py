"""Helpline: a self-hosted, plugin-based helpdesk for online merchants."""

import hashlib
import logging
import os
import secrets
from urllib.parse import urlparse

from flask import Flask, abort, request

__version__ = "0.1.0"


def create_app(config=None):
    """Build the app: configuration (defaults, ``HELPLINE_*`` environment,
    then ``config``), database, plugins, tasks, event bus, blueprints."""
    app = Flask(__name__, instance_relative_config=True, instance_path=_instance_path())
    app.config.from_object("app.config")
    app.config.from_prefixed_env("HELPLINE")
    if config:
        app.config.update(config)
    _secret_key(app)
    _configure_logging(app)

    from flask_smorest import Blueprint as ApiBlueprint

    from . import bus, clock, csrf, db, defaults, errors, health, i18n, ratelimit, security, tasks, validation
    from .plugins import Plugins
    from .services import session_store, storage

    app.extensions["helpline.clock"] = app.config.get("CLOCK") or clock.SystemClock()
    db.init_app(app)
    _redis_prefix(app)
    health.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    validation.init_app(app)  # before any route uses <dbid:...>
    ratelimit.init_app(app)

    plugins = Plugins(app)
    app.extensions["helpline.plugins"] = plugins
    plugins.load(defaults)
    tasks.init_app(app)
    app.extensions["helpline.storage"] = storage.make_backend(app)  # a bad STORAGE setting fails here
    app.extensions["helpline.sessions"] = session_store.make_store(app)  # so does a bad SESSION_URL
    app.extensions["helpline.bus"] = bus.make_bus(app.config.get("EVENTS_URL"), app.config.get("EVENTS_CHANNEL"))

    for name, info in plugins.infos.items():
        if not info.loaded:
            continue
        for bp in info.blueprints:
            if isinstance(bp, ApiBlueprint):
                continue  # mounted by app.api, so it appears in the OpenAPI document
            app.register_blueprint(bp)
        for command in info.commands:
            app.cli.add_command(command)

    @app.before_request
    def _plugin_routes_follow_state():
        # A disabled plugin's routes answer 404, decided per request so a
        # toggle in another process applies without restart.
        view = app.view_functions.get(request.endpoint)
        while_off = getattr(view, "helpline_answers_while_off", False)
        for name in request.blueprints:
            owner = plugins.blueprint_plugin(name)
            if owner is None or plugins.is_enabled(owner):
                continue
            if not (while_off and plugins.status(owner) == "disabled"):
                abort(404)

    csrf.init_app(app)  # after routing and the 404 above: CSRF never hides a missing route
    app.before_request(validation.check_request)  # NUL characters, after the 404s and CSRF

    from . import api, web
    from .auth import check_required_permissions, current_agent

    app.extensions[i18n.AGENT_LOOKUP] = current_agent  # the agent's own language
    api.init_app(app)
    web.init_app(app)
    check_required_permissions(app)

    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    if app.config.get("AUTO_MIGRATE"):
        with app.app_context(), db.connection():
            plugins.migrate()
    health.check_at_startup(app)
    return app


class _NotHueysOwn(logging.Filter):
    """Drop records of the ``huey`` loggers once huey has a handler of its own
    (``huey_consumer`` adds one after importing ``wsgi``), so each consumer
    line is printed once, not by both handlers."""

    def filter(self, record):
        return not (record.name.split(".")[0] == "huey" and logging.getLogger("huey").handlers)


def _configure_logging(app):
    """Configure the root logger once per process (a second ``create_app``,
    or a server that configured logging first, changes nothing)."""
    root = logging.getLogger()
    if root.handlers:
        return
    logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"))
    for handler in root.handlers:
        handler.addFilter(_NotHueysOwn())


def _redis_prefix(app):
    """Derive the Redis prefix from the database (one deployment = one
    database) unless configured, and the names built on it."""
    if not app.config.get("REDIS_PREFIX"):
        url = urlparse(app.config["DATABASE_URL"])
        if url.scheme.startswith("sqlite"):
            identity = "sqlite:" + os.path.realpath(app.config["DATABASE_URL"].split(":///", 1)[-1])
        else:  # the password is no part of which database it is
            identity = f"{url.scheme}://{url.username or ''}@{url.hostname or ''}:{url.port or ''}{url.path}"
        app.config["REDIS_PREFIX"] = "helpline:" + hashlib.sha256(identity.encode()).hexdigest()[:12]
    prefix = app.config["REDIS_PREFIX"]
    if not app.config.get("EVENTS_CHANNEL"):
        app.config["EVENTS_CHANNEL"] = f"{prefix}:events"
    app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"key_prefix": f"{prefix}:limits"})


def _instance_path():
    """``HELPLINE_INSTANCE_PATH``: the folder for the default SQLite database
    and task queue, the generated secret key and local attachments (default:
    Flask's instance folder, ``instance/`` beside a source checkout)."""
    path = os.environ.get("HELPLINE_INSTANCE_PATH")
    return os.path.abspath(path) if path else None


def _secret_key(app):
    if app.config.get("SECRET_KEY"):
        return
    os.makedirs(app.instance_path, exist_ok=True)
    path = os.path.join(app.instance_path, "secret_key")
    if not os.path.exists(path):
        with open(path, "w") as fh:
            fh.write(secrets.token_hex(32))
        os.chmod(path, 0o600)
    with open(path) as fh:
        app.config["SECRET_KEY"] = fh.read().strip()
