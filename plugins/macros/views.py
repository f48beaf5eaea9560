"""The macros REST API at /api/v1/macros. Views only translate HTTP to
:mod:`plugins.macros.service` calls and back."""

import marshmallow as ma
from flask_smorest import Blueprint

from app.plugin import current_agent, get_ticket, require

from . import schemas, service
from .actions import available_actions
from .render import variable_names

bp = Blueprint(
    "macros",
    __name__,
    url_prefix="/macros",
    description="Macros: reusable replies with actions, applied to one or many tickets.",
)


def _macro_out(macro, agent):
    owner = macro.owner
    return {
        "id": macro.id,
        "name": macro.name,
        "body": macro.body,
        "actions": macro.actions,
        "shared": macro.shared,
        "owner": {"id": owner.id, "name": owner.name},
        "editable": service.may_edit(agent, macro),
        "usage_count": macro.usage_count,
        "last_used_at": macro.last_used_at,
        "created_at": macro.created_at,
        "updated_at": macro.updated_at,
    }


def _params(schema_cls):
    out = []
    for name, field in schema_cls().fields.items():
        choices = None
        for validator in field.validators:
            if isinstance(validator, ma.validate.OneOf):
                choices = [str(c) for c in validator.choices]
        out.append({"name": name, "type": type(field).__name__.lower(), "required": field.required, "choices": choices})
    return out


@bp.route("")
@require("inbox")
@bp.arguments(schemas.MacroListQuerySchema, location="query")
@bp.response(200, schemas.MacroListSchema)
def list_macros(query):
    """Macros the agent may use (their own and shared ones), by name."""
    agent = current_agent()
    rows, next_cursor = service.list_macros(
        agent, q=query.get("q"), limit=query["limit"], cursor=query.get("cursor"), shared=query.get("shared")
    )
    return {"items": [_macro_out(m, agent) for m in rows], "next_cursor": next_cursor}


@bp.route("", methods=["POST"])
@require("inbox")
@bp.arguments(schemas.MacroInSchema)
@bp.response(201, schemas.MacroSchema)
def create_macro(data):
    """Create a personal macro, or a shared one (managers and above)."""
    agent = current_agent()
    macro = service.create(agent, data["name"], data["body"], data["actions"], data["shared"])
    return _macro_out(macro, agent)


@bp.route("/catalog")
@require("inbox")
@bp.response(200, schemas.MacroCatalogSchema)
def catalog():
    """The actions and template variables macros can use."""
    actions = [
        {"name": name, "label": str(cls.label), "params": _params(cls.params_schema)}
        for name, cls in available_actions().items()
    ]
    return {"actions": actions, "variables": variable_names()}


@bp.route("/<int(min=1, max=2147483647):macro_id>")
@require("inbox")
@bp.response(200, schemas.MacroSchema)
def get_macro(macro_id):
    agent = current_agent()
    return _macro_out(service.get(macro_id, agent), agent)


@bp.route("/<int(min=1, max=2147483647):macro_id>", methods=["PATCH"])
@require("inbox")
@bp.arguments(schemas.MacroPatchSchema)
@bp.response(200, schemas.MacroSchema)
def update_macro(data, macro_id):
    """Change a macro: your own, or a shared one (managers and above)."""
    agent = current_agent()
    macro = service.update(agent, service.get(macro_id, agent), **data)
    return _macro_out(macro, agent)


@bp.route("/<int(min=1, max=2147483647):macro_id>", methods=["DELETE"])
@require("inbox")
@bp.response(204)
def delete_macro(macro_id):
    agent = current_agent()
    service.delete(agent, service.get(macro_id, agent))


@bp.route("/<int(min=1, max=2147483647):macro_id>/preview", methods=["POST"])
@require("inbox")
@bp.arguments(schemas.MacroTicketRefSchema)
@bp.response(200, schemas.MacroPreviewSchema)
def preview(data, macro_id):
    """The reply rendered for a ticket, what the actions will do, and any
    refusal of the ticket's channel. Changes nothing."""
    agent = current_agent()
    macro = service.get(macro_id, agent)
    return service.preview(macro, get_ticket(data["ticket_id"]), agent)


@bp.route("/<int(min=1, max=2147483647):macro_id>/apply", methods=["POST"])
@require("inbox")
@bp.arguments(schemas.MacroApplySchema)
@bp.response(200, schemas.MacroApplyResultSchema)
def apply(data, macro_id):
    """Reply and run the actions on one ticket, all or nothing. 409 with the
    reason when the channel refuses the reply."""
    agent = current_agent()
    macro = service.get(macro_id, agent)
    message = service.apply(macro, get_ticket(data["ticket_id"]), agent, body=data.get("body"))
    macro = service.get(macro_id, agent)
    return {
        "ticket_id": data["ticket_id"],
        "message_id": message.id if message else None,
        "usage_count": macro.usage_count,
    }


def _job_out(job, results):
    return {
        "id": job.id,
        "macro_id": job.macro_id,
        "macro_name": job.macro_name,
        "state": job.state,
        "total": job.total,
        "done": job.done,
        "succeeded": job.succeeded,
        "failed": job.failed,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "results": [{"ticket_id": r.ticket_id, "ok": r.ok, "code": r.code, "message": r.message} for r in results],
    }


@bp.route("/bulk-apply", methods=["POST"])
@require("inbox")
@bp.arguments(schemas.MacroBulkApplySchema)
@bp.response(202, schemas.MacroBulkJobSchema)
def bulk_apply(data):
    """Apply a macro to many tickets in the background; poll the job."""
    agent = current_agent()
    macro = service.get(data["macro_id"], agent)
    job = service.start_bulk(macro, data["ticket_ids"], agent)
    job, results = service.job_status(job.id, agent)
    return _job_out(job, results)


@bp.route("/bulk-apply/<dbid:job_id>")
@require("inbox")
@bp.response(200, schemas.MacroBulkJobSchema)
def bulk_status(job_id):
    """Progress of a bulk job and the result on each ticket done so far."""
    agent = current_agent()
    return _job_out(*service.job_status(job_id, agent))
