"""Deploy safety: health checks for the proxy and a guard that keeps a web
process from serving a schema it does not know.

- ``/healthz``: the process is up (touches nothing else).
- ``/readyz``: the database answers, its migrations are applied, and the
  task queue and the event bus answer; a JSON body lists each check, 200 when
  all pass, 503 otherwise.
- Every other route answers 503 "run helpline migrate" while the core's
  migrations are pending (a host started before ``helpline migrate``), and
  serves normally once they are applied, without a restart.
"""

from __future__ import annotations

import logging
import threading
import time

import peewee
from flask import Blueprint, Response, current_app, jsonify, request
from flask_babel import gettext as _

from .auth import require
from .db import connection, db
from .errors import error_response, wants_json
from .permissions import PUBLIC

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)

# Endpoints that answer whatever the schema's state (they report on it).
_UNGUARDED = {"health.healthz", "health.readyz", "static"}


def no_database(view):
    """Mark a view for which the request does not open a database connection
    up front (``/healthz`` never needs one)."""
    view.no_database = True
    return view


class SchemaGuard:
    """Per process: is the core schema current? Once it is, it stays so (the
    migration files only change with a deploy, which restarts the process);
    until then the database is asked again at most every
    ``SCHEMA_CHECK_SECONDS``, so a host recovers by itself after ``helpline
    migrate``."""

    def __init__(self, app):
        self.app = app
        self.current = False
        self._checked_at = None
        self._last = None  # (code, message) of the last failed check
        self._lock = threading.Lock()

    def problem(self, quiet=False):
        """None when the schema is current, else ``(code, message)``;
        ``quiet`` does not log an unreachable database."""
        if self.current:
            return None
        interval = float(self.app.config.get("SCHEMA_CHECK_SECONDS", 2))
        with self._lock:
            if self._checked_at is not None and time.monotonic() - self._checked_at < interval:
                return self._last
            self._last = self._check(quiet)
            self._checked_at = time.monotonic()
            self.current = self._last is None
            return self._last

    def _check(self, quiet):
        plugins = self.app.extensions["helpline.plugins"]
        try:
            with connection():
                pending = plugins.core_pending()
        except peewee.DatabaseError as exc:
            if not quiet:
                log.warning("database not reachable: %s", exc)
            return "database_unavailable", _("The database is not reachable.")
        if pending:
            return "migrations_pending", _("The database schema is not current: run helpline migrate.")
        return None


def _guard():
    endpoint = request.endpoint
    if endpoint is None or endpoint in _UNGUARDED:
        return None
    problem = current_app.extensions["helpline.schema_guard"].problem()
    if problem is None:
        return None
    code, message = problem
    headers = {"Retry-After": "5"}
    if wants_json():
        return error_response(503, code, message, headers=headers)
    # No template: the page layout reads tables that may not exist yet.
    return Response(str(message) + "\n", status=503, mimetype="text/plain", headers=headers)


@bp.get("/healthz")
@require(PUBLIC)
@no_database
def healthz():
    """The process is up and serving (no database access)."""
    return jsonify(status="ok")


def _checks(app):
    checks = {}
    try:
        db.connect(reuse_if_open=True)
        db.execute_sql("SELECT 1")
        checks["database"] = {"ok": True}
    except peewee.DatabaseError as exc:
        checks["database"] = {"ok": False, "error": str(exc).splitlines()[0][:200]}
    if checks["database"]["ok"]:
        pending = app.extensions["helpline.plugins"].pending_migrations()
        checks["migrations"] = {"ok": not pending, "pending": [f"{source}: {name}" for source, name in pending]}
    else:
        checks["migrations"] = {"ok": False, "error": "database not reachable"}
    try:
        app.extensions["helpline.huey"].pending_count()
        checks["queue"] = {"ok": True}
    except Exception as exc:  # any storage error means the queue cannot take work
        checks["queue"] = {"ok": False, "error": str(exc)[:200]}
    try:
        app.extensions["helpline.bus"].ping()
        checks["events"] = {"ok": True}
    except Exception as exc:
        checks["events"] = {"ok": False, "error": str(exc)[:200]}
    store = app.extensions["helpline.sessions"]
    if hasattr(store, "ping"):  # sessions kept outside the database (Redis): nobody logs in without it
        try:
            store.ping()
            checks["sessions"] = {"ok": True}
        except Exception as exc:
            checks["sessions"] = {"ok": False, "error": str(exc)[:200]}
    return checks


@bp.get("/readyz")
@require(PUBLIC)
@no_database  # connects itself, to report a failure instead of raising it
def readyz():
    """Ready for traffic: 200 when every check passes, else 503; the body
    lists each check (``database``, ``migrations``, ``queue``, ``events``,
    and ``sessions`` when they are kept in Redis)."""
    checks = _checks(current_app)
    ready = all(check["ok"] for check in checks.values())
    response = jsonify(status="ok" if ready else "unavailable", checks=checks)
    response.status_code = 200 if ready else 503
    return response


def check_at_startup(app):
    """Learn the schema's state while the app starts (a host that starts on
    a current schema never checks again), without failing when the database
    is not reachable yet."""
    with app.app_context():
        app.extensions["helpline.schema_guard"].problem(quiet=True)


def init_app(app):
    """Mount the health routes and guard every other route; call before any
    other ``before_request`` that reads the database."""
    app.extensions["helpline.schema_guard"] = SchemaGuard(app)
    app.register_blueprint(bp)
    app.before_request_funcs.setdefault(None, []).insert(0, _guard)
