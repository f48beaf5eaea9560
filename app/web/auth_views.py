"""Log in and out, and the index redirect. Error pages: ``app.errors``."""

from __future__ import annotations

import datetime as dt

import marshmallow as ma
from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ..auth import current_agent
from ..auth import login as start_session
from ..auth import logout as end_session
from ..clock import now
from ..models import Agent
from ..permissions import can
from ..ratelimit import limit_logins
from ..services import twofactor
from ..services.agents import check_password
from .blueprint import bp
from .helpers import safe_next
from .nav import nav_data


class LoginSchema(ma.Schema):
    email = ma.fields.String(required=True, validate=ma.validate.Length(min=3, max=254))
    password = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=1024))
    next = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))


def page_context():
    """What every page extending ``web/base.html`` needs (``me``, ``nav``).
    Registered app-wide, so plugin pages get it too."""
    agent = current_agent()
    # Roles outside the inbox get the plain layout: no navigation, no stream.
    me = agent if can(agent, "inbox") else None

    def nav():
        # Computed only when a template asks, so error pages stay cheap.
        return nav_data(me) if me is not None else None

    return {"me": me, "signed_in": agent, "nav": nav}


@bp.get("/")
def index():
    if current_agent() is None:
        return redirect(url_for("web.login"))
    return redirect(url_for("web.inbox", view="mine"))


@bp.route("/login", methods=["GET", "POST"])
@limit_logins(methods=["POST"])
def login():
    """The login form; a wrong email or password gets one vague message so
    it does not tell which accounts exist. A form shown again with an error
    answers 200, like every UI form: browsers log 4xx documents as console
    errors, and the page itself says what went wrong."""
    target = safe_next(request.values.get("next"), url_for("web.inbox", view="mine"))
    if request.method == "GET":
        if current_agent() is not None:
            return redirect(target)
        return render_template("web/login.html", next=target, email="")
    try:
        data = LoginSchema().load(request.form.to_dict(), unknown=ma.EXCLUDE)
    except ma.ValidationError:
        return render_template(
            "web/login.html",
            next=target,
            email=request.form.get("email", "")[:254],
            error=_("Enter your email and password."),
        )
    agent = Agent.get_or_none((Agent.email == data["email"].strip().lower()) & (Agent.is_active == True))
    if agent is None or not check_password(agent, data["password"]):
        return render_template("web/login.html", next=target, email=data["email"], error=_("Wrong email or password."))
    if twofactor.enabled(agent):
        # The password was right; the session starts only after the code.
        session.clear()
        session[PENDING] = {"agent": agent.id, "at": now().isoformat(), "next": target}
        return redirect(url_for("web.login_code"))
    start_session(agent)
    return redirect(target)


PENDING = "pending_2fa"
PENDING_MINUTES = 5


def _pending_agent():
    """The agent whose password was right a moment ago, awaiting a code."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None, None
    try:
        started = dt.datetime.fromisoformat(pending["at"])
    except (KeyError, TypeError, ValueError):
        return None, None
    if now() - started > dt.timedelta(minutes=PENDING_MINUTES):
        return None, None
    agent = Agent.get_or_none((Agent.id == pending.get("agent")) & (Agent.is_active == True))
    return agent, pending.get("next")


@bp.route("/login/code", methods=["GET", "POST"])
@limit_logins(methods=["POST"])
def login_code():
    """The second step of a login with two-factor: a code from the app or
    a recovery code. Shares the login rate limit."""
    agent, target = _pending_agent()
    if agent is None:
        session.pop(PENDING, None)
        return redirect(url_for("web.login"))
    if request.method == "GET":
        return render_template("web/login_code.html")
    code = (request.form.get("code") or "")[:32]
    if not twofactor.verify(agent, code):
        return render_template("web/login_code.html", error=_("That code is not valid."))
    session.pop(PENDING, None)
    start_session(agent)
    return redirect(safe_next(target, url_for("web.inbox", view="mine")))


@bp.post("/logout")
def logout():
    end_session()
    return redirect(url_for("web.login"))
