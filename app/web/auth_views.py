"""Log in and out, and the index redirect. Error pages: ``app.errors``."""

from __future__ import annotations

import marshmallow as ma
from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..auth import current_agent
from ..auth import login as start_session
from ..auth import logout as end_session
from ..models import Agent
from ..permissions import can
from ..ratelimit import limit_logins
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
    start_session(agent)
    return redirect(target)


@bp.post("/logout")
def logout():
    end_session()
    return redirect(url_for("web.login"))
