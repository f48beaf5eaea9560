"""The REST API under /api/v1 (flask-smorest). See docs/api.md.

The OpenAPI document is served at ``/api/v1/openapi.json`` and a small,
self-contained reference page at ``/api/v1/docs``. Plugins may contribute a
``flask_smorest.Blueprint`` from ``helpline_register_blueprints``; it is
mounted under ``/api/v1`` and appears in the document (and answers 404 while
its plugin is disabled, like every plugin route)."""

from __future__ import annotations

import threading

import flask_smorest
from flask import current_app, request

from ..errors import handle_http_exception
from .errors import ErrorSchema

__all__ = ["init_app", "mount_plugin_blueprints", "API_PREFIX"]

API_PREFIX = "/api/v1"


class Api(flask_smorest.Api):
    """flask-smorest's Api, answering errors through the app's one error
    path (``app.errors``), and writing a blueprint's operations into the
    OpenAPI document only when the document is first read (the
    ``openapi.json`` view, ``flask openapi``, a test), not while the app is
    built: documenting every operation is most of what building an app
    costs, and most apps (a worker, a command, a test) never serve it."""

    ERROR_SCHEMA = ErrorSchema

    def __init__(self, *args, **kwargs):
        self._undocumented = []  # (blueprint, name, parameters), in registration order
        self._documenting = threading.RLock()
        self._in_progress = False
        super().__init__(*args, **kwargs)

    @property
    def spec(self):
        """The ``apispec.APISpec``, complete with every registered blueprint."""
        spec = self.__dict__.get("_spec")
        if spec is not None and self._undocumented:
            with self._documenting:
                # A documenting callback reading ``api.spec`` must not start
                # the next blueprint in the middle of this one.
                if not self._in_progress:
                    self._in_progress = True
                    try:
                        while self._undocumented:
                            blp, name, parameters = self._undocumented[0]
                            blp.register_views_in_doc(self, self._app, spec, name=name, parameters=parameters)
                            spec.tag({"name": name, "description": blp.description})
                            self._undocumented.pop(0)
                    finally:
                        self._in_progress = False
        return spec

    @spec.setter
    def spec(self, value):
        self.__dict__["_spec"] = value

    def register_blueprint(self, blp, *, parameters=None, **options):
        """Register ``blp`` with the app now, as flask-smorest does, and its
        operations in the document when the document is read."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))

    def handle_http_exception(self, error):
        return handle_http_exception(error)


def _configure(app):
    from .. import __version__

    app.config.setdefault("API_TITLE", "Helpline")
    app.config.setdefault("API_VERSION", __version__)
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", API_PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    # Swagger UI and ReDoc load from CDNs, which an offline box cannot reach:
    # /api/v1/docs is our own page instead (app/api/docs.py).
    app.config["OPENAPI_SWAGGER_UI_PATH"] = None
    app.config["OPENAPI_REDOC_PATH"] = None
    app.config["OPENAPI_RAPIDOC_PATH"] = None
    app.config.setdefault("API_MAX_CONTENT_LENGTH", 1024 * 1024)


def _bound_bodies():
    # API bodies are small JSON documents; attachments have their own
    # limits elsewhere. Runs first, before anything reads the body.
    if request.path.startswith(API_PREFIX + "/"):
        request.max_content_length = current_app.config["API_MAX_CONTENT_LENGTH"]


def _no_store(response):
    # API answers carry private data (and, once, a new token): never cache.
    if request.path.startswith(API_PREFIX + "/") and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app):
    """Mount the API, its error handling and the plugins' API blueprints."""
    from . import (
        activities,
        agents,
        audit,
        commerce,
        docs,
        merge,
        notifications,
        plugins,
        profiles,
        session,
        tickets,
        views,
    )

    _configure(app)
    app.before_request_funcs.setdefault(None, []).insert(0, _bound_bodies)
    app.after_request(_no_store)
    api = Api(app, spec_kwargs={"info": {"description": "Helpline's REST API. See docs/api.md."}})
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "A personal API token (POST /tokens)"}
    )
    api.spec.components.security_scheme(
        "sessionCookie",
        {
            "type": "apiKey",
            "in": "cookie",
            "name": "session",
            "description": "POST /session; unsafe methods need the X-CSRFToken header",
        },
    )
    app.extensions["helpline.api"] = api

    for module in (
        tickets,
        views,
        agents,
        profiles,
        commerce,
        plugins,
        session,
        audit,
        activities,
        merge,
        notifications,
    ):
        api.register_blueprint(module.bp)
    mount_plugin_blueprints(app)
    app.register_blueprint(docs.bp)


def mount_plugin_blueprints(app):
    """Mount the loaded plugins' flask-smorest blueprints under
    ``/api/v1`` (a ``url_prefix`` of ``/macros`` becomes ``/api/v1/macros``).
    Called by :func:`init_app`; again by a test that registered a plugin
    after the app was built (before its first request)."""
    from ..auth import check_required_permissions
    from ..plugins import get_plugins

    api = app.extensions["helpline.api"]
    for name, info in get_plugins(app).infos.items():
        if not info.loaded:
            continue
        for bp in info.blueprints:
            if isinstance(bp, flask_smorest.Blueprint) and bp.name not in app.blueprints:
                prefix = bp.url_prefix or ""
                if not prefix.startswith(API_PREFIX):
                    prefix = API_PREFIX + prefix
                api.register_blueprint(bp, url_prefix=prefix)
    check_required_permissions(app)
