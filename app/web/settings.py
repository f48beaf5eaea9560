"""Settings pages (owner/admin): general settings (plugin ``core``),
plugins (enable/disable and a settings form per plugin), agents and roles."""

from __future__ import annotations

import marshmallow as ma
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from ..auth import current_agent, require
from ..models import Agent
from ..models.agent import ROLES
from ..plugins import CORE, PluginError, get_plugins
from ..plugins.parts import isolated
from ..plugins.state import MIGRATIONS_PENDING
from ..registry import EmptySettings
from ..services import ServiceError, password_links
from ..services import agents as agent_service
from .blueprint import bp
from .forms import data_from_form, fields_for
from .helpers import done, failed


def _settings_form(name, template, title, back, **context):
    """GET shows the plugin's settings; POST validates and saves them, or
    shows the form again with each field's error."""
    plugins = get_plugins()
    schema = plugins.settings_schema(name)
    errors, raw = {}, None
    if request.method == "POST":
        data, errors = data_from_form(schema, request.form)
        if not errors:
            try:
                plugins.set_settings(name, data)
            except ma.ValidationError as err:
                errors = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
            else:
                return done(back, _("Settings saved."))
        raw = request.form.copy()
    fields = fields_for(schema, plugins.get_settings(name), errors, raw)
    # 200 even with errors (see web.login): the page shows each field's error.
    return render_template(
        template,
        fields=fields,
        plugin=name,
        title=title,
        form_errors=errors.get("_schema", []),
        has_errors=bool(errors),
        **context,
    )


@bp.route("/settings", methods=["GET", "POST"])
@require("settings")
def settings_general():
    return _settings_form(CORE, "web/settings_general.html", _("General settings"), url_for("web.settings_general"))


def plugin_rows():
    plugins = get_plugins()
    rows = []
    for name, info in sorted(plugins.infos.items(), key=lambda item: item[1].title.lower()):
        if name == CORE:
            continue
        rows.append(
            {
                "name": name,
                "info": info,
                "enabled": plugins.is_enabled(name),
                "configurable": info.loaded
                and (
                    (info.settings_schema is not EmptySettings and bool(info.settings_schema().fields))
                    or bool(info.settings_sections)
                ),
            }
        )
    return rows


@bp.get("/settings/plugins")
@require("plugins")
def settings_plugins():
    return render_template("web/settings_plugins.html", rows=plugin_rows())


@bp.post("/settings/plugins/<name>/enabled")
@require("plugins")
def toggle_plugin(name):
    """Turn a plugin on or off, at once, without a restart."""
    plugins = get_plugins()
    if name not in plugins.infos or name == CORE:
        abort(404)
    enabled = request.form.get("enabled") == "1"
    # The switch sits on the plugins list and on the plugin's settings page.
    on_settings_page = request.form.get("back") == "settings" and plugins.infos[name].loaded
    back = url_for("web.plugin_settings", name=name) if on_settings_page else url_for("web.settings_plugins")
    try:
        plugins.set_enabled(name, enabled)
    except PluginError as exc:
        return failed(back, str(exc), field="enabled", status=409)
    title = plugins.infos[name].title
    message = _("%(name)s is on.", name=title) if enabled else _("%(name)s is off.", name=title)
    return done(back, message)


@bp.route("/settings/plugins/<name>", methods=["GET", "POST"])
@require("plugins")
def plugin_settings(name):
    plugins = get_plugins()
    info = plugins.infos.get(name)
    if info is None or name == CORE or not info.loaded:
        abort(404)

    def sections():
        """Rendered only when the page is (not after a save, which redirects).
        Shown while the plugin is off too (a preview before switching a rule
        on), but not before its migrations made the tables they read."""
        if plugins.status(name) == MIGRATIONS_PENDING:
            return []
        settings = plugins.get_settings(name)
        return [_section(cls, settings, plugins.strict) for cls in info.settings_sections]

    return _settings_form(
        name,
        "web/settings_plugin.html",
        _("%(name)s settings", name=info.title),
        url_for("web.plugin_settings", name=name),
        info=info,
        enabled=plugins.is_enabled(name),
        sections=sections,
    )


def _section(cls, settings, strict):
    """``{section, html, error}``: a settings section rendered on its own, so
    that one whose data or template fails shows "could not be loaded" (and
    is logged) instead of failing the settings page, as panels do; under
    strict mode (tests) the failure is raised."""

    def render():
        data = cls().render_data(settings, request.args)
        return Markup(render_template(cls.template, data=data, section=cls, settings=settings))

    html, error = isolated("settings section", cls.slug, render, strict=strict)
    return {"section": cls, "html": html, "error": error}


class NewAgentSchema(ma.Schema):
    email = ma.fields.Email(required=True, validate=ma.validate.Length(max=254))
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=120))
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(ROLES))
    # Without a password the agent is invited by email to choose one.
    password = ma.fields.String(load_default=None, validate=ma.validate.Length(min=8, max=1024))


class AgentChangeSchema(ma.Schema):
    role = ma.fields.String(validate=ma.validate.OneOf(ROLES))
    active = ma.fields.Boolean()
    password = ma.fields.String(validate=ma.validate.Length(min=8, max=1024))


def role_labels():
    """``{role: translated label}`` for every role, for pages showing roles."""
    return {
        "owner": _("Owner"),
        "admin": _("Admin"),
        "manager": _("Manager"),
        "support": _("Support"),
        "analyst": _("Analyst"),
        "content_creator": _("Content creator"),
    }


@bp.route("/settings/agents", methods=["GET", "POST"])
@require("agents")
def settings_agents():
    """List agents with their role; add one."""
    errors, raw = {}, {}
    if request.method == "POST":
        raw = {k: request.form.get(k, "").strip() for k in ("email", "name", "role", "password")}
        try:
            data = NewAgentSchema().load({k: v for k, v in raw.items() if v or k != "password"})
            agent_service.check_owner_rules(current_agent(), None, new_role=data["role"])
            agent = agent_service.create_agent(data["email"], data["name"], data["role"], data["password"])
        except ma.ValidationError as err:
            errors = err.messages
        except ServiceError as exc:
            errors = {exc.field or "email": [exc.message]}
        else:
            if data["password"]:
                return done(url_for("web.settings_agents"), _("Agent added."))
            if password_links.send_invite(agent, current_agent()):
                return done(url_for("web.settings_agents"), _("Invitation sent to %(email)s.", email=agent.email))
            # The account exists either way; say what is missing.
            flash(_("Agent added, but no email could be sent: turn on the email plugin, or set a password."), "error")
            return redirect(url_for("web.settings_agents"))
    agents = list(Agent.select().order_by(Agent.is_active.desc(), Agent.name))
    return render_template(
        "web/settings_agents.html",
        agents=agents,
        roles=ROLES,
        role_labels=role_labels(),
        errors=errors,
        raw={k: v for k, v in raw.items() if k != "password"},
    )


@bp.post("/settings/agents/<dbid:agent_id>")
@require("agents")
def update_agent(agent_id):
    """Change an agent's role, deactivate/reactivate, or set a password.
    Nobody can lock themselves out, and only owners touch owners."""
    me = current_agent()
    target = Agent.get_or_none(Agent.id == agent_id)
    back = url_for("web.settings_agents")
    if target is None:
        abort(404)
    raw = {k: request.form[k] for k in ("role", "active", "password") if request.form.get(k)}
    try:
        data = AgentChangeSchema().load(raw)
    except ma.ValidationError as err:
        field, messages = next(iter(err.messages.items()))
        return failed(back, f"{field}: {'; '.join(messages)}", field=field)
    changes = {"role": data.get("role"), "is_active": data.get("active"), "password": data.get("password")}
    try:
        # The same owner rules as the API; deactivating releases tokens and tickets.
        target = agent_service.update_agent(me, target, {k: v for k, v in changes.items() if v is not None})
    except ServiceError as exc:
        return failed(back, exc.message, field=exc.field or "role", status=exc.status)
    return done(back, _("%(name)s updated.", name=target.name))
