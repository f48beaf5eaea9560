"""The macros pages of the agent UI (/macros): list, search, create, edit
and delete macros with plain forms. The composer picker and the bulk-bar
entry are fragments (see ``templates/macros``) driven by ``static/macros.js``
against the REST API."""

import marshmallow as ma
from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _

from app.plugin import Agent, ServiceError, can, current_agent, require
from app.plugin import form_done as done

from . import service
from .actions import available_actions
from .render import variable_names
from .schemas import MAX_BODY

bp = Blueprint(
    "macros_web",
    __name__,
    url_prefix="/macros",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

BLANK_ROWS = 3


def _summaries(macro, registry):
    return [service.describe_action(registry, action)["summary"] for action in macro.actions]


@bp.get("")
@require("inbox")
def index():
    """Every macro the agent may use, searchable by name."""
    agent = current_agent()
    q = (request.args.get("q") or "")[:100]
    rows, next_cursor = service.list_macros(agent, q=q or None, limit=200, cursor=request.args.get("cursor"))
    registry = available_actions()
    items = [{"macro": m, "summaries": _summaries(m, registry), "editable": service.may_edit(agent, m)} for m in rows]
    return render_template("macros/index.html", items=items, q=q, next_cursor=next_cursor, title=_("Macros"))


def _param(cls):
    fields = cls.params_schema().fields
    name, field = next(iter(fields.items()), (None, None))
    return name, field


def _actions_from_form(form, registry):
    """Action rows come as parallel ``action_type`` / ``action_value`` lists;
    the value fills the action's first parameter (a list is comma separated)."""
    actions = []
    for kind, value in zip(form.getlist("action_type"), form.getlist("action_value")):
        kind, value = kind.strip(), value.strip()
        if not kind:
            continue
        cls = registry.get(kind)
        if cls is None:
            actions.append({"type": kind, "params": {}})
            continue
        name, field = _param(cls)
        if name is None:
            actions.append({"type": kind, "params": {}})
        elif isinstance(field, ma.fields.List):
            actions.append({"type": kind, "params": {name: [v.strip() for v in value.split(",") if v.strip()]}})
        else:
            actions.append({"type": kind, "params": {name: value}})
    return actions


def _rows_for(macro_actions, registry):
    rows = []
    for action in macro_actions:
        cls = registry.get(action["type"])
        name, _field = _param(cls) if cls else (None, None)
        value = action.get("params", {}).get(name, "") if name else ""
        rows.append({"type": action["type"], "value": ", ".join(value) if isinstance(value, list) else value})
    return rows + [{"type": "", "value": ""} for _ in range(BLANK_ROWS)]


def _form(macro=None):
    agent = current_agent()
    registry = available_actions()
    error = None
    if macro is not None and not service.may_edit(agent, macro):
        abort(403)
    values = {
        "name": macro.name if macro else "",
        "body": macro.body if macro else "",
        "shared": macro.shared if macro else False,
    }
    actions = macro.actions if macro else []
    if request.method == "POST":
        values = {
            "name": request.form.get("name", "")[:200],
            "body": request.form.get("body", "")[:MAX_BODY],
            "shared": bool(request.form.get("shared")),
        }
        actions = _actions_from_form(request.form, registry)
        try:
            if macro is None:
                service.create(agent, values["name"], values["body"], actions, values["shared"])
            else:
                service.update(
                    agent, macro, name=values["name"], body=values["body"], actions=actions, shared=values["shared"]
                )
            return done(url_for("macros_web.index"), _("Macro saved."))
        except ServiceError as exc:
            error = exc
    agents = Agent.select(Agent.id, Agent.name).where(Agent.is_active == True).order_by(Agent.name)
    choices = [{"name": name, "label": str(cls.label), "param": _param(cls)[0] or ""} for name, cls in registry.items()]
    # 200 with the error shown next to its field, as the core's forms do.
    return render_template(
        "macros/form.html",
        macro=macro,
        values=values,
        rows=_rows_for(actions, registry),
        choices=choices,
        error=error,
        agents=agents,
        can_share=can(agent, "shared_macros"),
        variables=variable_names(),
        title=_("Edit macro") if macro else _("New macro"),
    )


@bp.route("/new", methods=["GET", "POST"])
@require("inbox")
def new():
    return _form()


@bp.route("/<dbid:macro_id>", methods=["GET", "POST"])
@require("inbox")
def edit(macro_id):
    try:
        macro = service.get(macro_id, current_agent())
    except ServiceError:
        abort(404)
    return _form(macro)


@bp.post("/<dbid:macro_id>/delete")
@require("inbox")
def delete(macro_id):
    agent = current_agent()
    try:
        service.delete(agent, service.get(macro_id, agent))
    except ServiceError as exc:
        abort(exc.status)
    return done(url_for("macros_web.index"), _("Macro deleted."))
