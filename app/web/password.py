"""Passwords from the agent's side: change one's own (the current password
is required), ask for a reset link by email, and set a password from a reset
or invitation link (app.services.password_links)."""

from __future__ import annotations

import zoneinfo

import marshmallow as ma
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import refresh

from ..auth import current_agent, require
from ..auth import login as start_session
from ..i18n import LANGUAGES
from ..permissions import AUTHENTICATED
from ..ratelimit import limit_password_links
from ..services import ServiceError, password_links, sessions, twofactor
from ..services import agents as agent_service
from .blueprint import bp


def _zones():
    return sorted(zoneinfo.available_timezones())


def _langs():
    return {"languages": [("", _("Browser default")), *LANGUAGES.items()]}


class ProfileSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=120))
    timezone = ma.fields.String(required=True, validate=ma.validate.Length(max=64))
    # Empty: follow the browser's Accept-Language.
    language = ma.fields.String(load_default="", validate=ma.validate.OneOf(["", *LANGUAGES]))

    @ma.validates("timezone")
    def known_zone(self, value, **kwargs):
        if value not in zoneinfo.available_timezones():
            raise ma.ValidationError(_("Pick a time zone from the list."))


class ForgotSchema(ma.Schema):
    email = ma.fields.String(required=True, validate=ma.validate.Length(min=3, max=254))


class NewPasswordSchema(ma.Schema):
    password = ma.fields.String(required=True, validate=ma.validate.Length(min=agent_service.MIN_PASSWORD, max=1024))
    confirm = ma.fields.String(required=True, validate=ma.validate.Length(max=1024))

    @ma.validates_schema
    def same(self, data, **kwargs):
        if data.get("password") != data.get("confirm"):
            raise ma.ValidationError(_("The two passwords differ."), "confirm")


class ChangePasswordSchema(NewPasswordSchema):
    current = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=1024))


def _form(schema):
    try:
        return schema.load(request.form.to_dict(), unknown=ma.EXCLUDE), {}
    except ma.ValidationError as err:
        return None, err.messages


def revoke_other_sessions(agent):
    """A changed password ends the agent's sessions elsewhere; this
    browser's session stays."""
    sessions.revoke_sessions(agent, except_current=True)


@bp.route("/account", methods=["GET"], endpoint="account")
@bp.route("/account/password", methods=["GET", "POST"])
@require(AUTHENTICATED)
@limit_password_links(methods=["POST"])
def change_password():
    """Change my own password: the current one is required."""
    me, errors = current_agent(), {}
    if request.method == "POST":
        data, errors = _form(ChangePasswordSchema())
        if data is not None and not agent_service.check_password(me, data["current"]):
            errors = {"current": [_("That is not your current password.")]}
        elif data is not None:
            agent_service.set_password(me, data["password"])
            revoke_other_sessions(me)
            flash(_("Password changed. You stay logged in here; other sessions have ended."), "success")
            return redirect(url_for("web.account"))
    return render_template(
        "web/password_change.html", errors=errors, profile_errors={}, zones=_zones(), title=_("My account"), **_langs()
    )


@bp.post("/account/profile")
@require(AUTHENTICATED)
def update_profile():
    """My name, time zone (times on every page are shown in it) and UI
    language (empty: the browser's)."""
    me = current_agent()
    data, errors = _form(ProfileSchema())
    if data is None:
        return render_template(
            "web/password_change.html",
            errors={},
            profile_errors=errors,
            zones=_zones(),
            title=_("My account"),
            **_langs(),
        )
    me.name, me.timezone = data["name"].strip(), data["timezone"]
    me.language = data["language"] or None
    me.save()
    refresh()  # the confirmation is in the language just chosen
    flash(_("Your profile is saved."), "success")
    return redirect(url_for("web.account"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limit_password_links(methods=["POST"])
def forgot_password():
    """Ask for a reset link. The answer is the same whether or not the
    address has an account, so the form cannot be used to find agents."""
    errors, sent, email = {}, False, ""
    if request.method == "POST":
        data, errors = _form(ForgotSchema())
        email = request.form.get("email", "")[:254]
        if data is not None:
            password_links.send_reset(data["email"])
            sent = True
    return render_template("web/password_forgot.html", errors=errors, sent=sent, email=email)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limit_password_links(methods=["POST"])
def reset_password(token):
    """Choose a password from a reset or invitation link (one use, expiring)."""
    purpose = "invite" if request.args.get("invite") else "reset"
    agent = password_links.agent_for_token(token, purpose)
    if agent is None:
        return render_template("web/password_reset.html", expired=True, purpose=purpose, errors={})
    errors = {}
    if request.method == "POST":
        data, errors = _form(NewPasswordSchema())
        if data is not None:
            try:
                agent = password_links.use_token(token, purpose, data["password"])
            except ServiceError as exc:
                errors = {"password": [exc.message]}
            else:
                if agent is not None:
                    # Whoever knew the old password is logged out everywhere.
                    sessions.revoke_sessions(agent)
                    if twofactor.enabled(agent):
                        # A mailed link must not stand in for the second factor.
                        flash(_("Your password is set. Log in with it and your code."), "success")
                        return redirect(url_for("web.login"))
                    start_session(agent)
                    flash(_("Your password is set."), "success")
                    return redirect(url_for("web.inbox", view="mine"))
                return render_template("web/password_reset.html", expired=True, purpose=purpose, errors={})
    return render_template("web/password_reset.html", expired=False, purpose=purpose, agent=agent, errors=errors)
