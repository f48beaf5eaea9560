"""Macros as a service: create, edit, list and search them, render a
preview, apply one to a ticket (reply and actions in one transaction) or to
many tickets in the background. Views, the UI and the CLI call these."""

from __future__ import annotations

import base64
import json
import logging

import marshmallow as ma
from flask_babel import gettext as _

from app.plugin import (
    MAX_BULK,
    Agent,
    Forbidden,
    NotFound,
    Profile,
    ServiceError,
    Ticket,
    add_notice,
    after_commit,
    can,
    make_reason,
    now,
    publish,
    refusal_for,
    reply,
    task,
    valid_id,
    write_transaction,
)

from .actions import available_actions
from .models import Macro, MacroBulkJob, MacroBulkResult
from .render import check, context_for

log = logging.getLogger(__name__)

MAX_ACTIONS = 20
MAX_NAME = 100


# --- reading ------------------------------------------------------------


def visible_to(agent):
    """The condition selecting macros ``agent`` may see and use."""
    return (Macro.shared == True) | (Macro.owner == agent.id)


def get(macro_id, agent) -> Macro:
    """A macro ``agent`` may see; others' personal macros do not exist for them."""
    macro = Macro.get_or_none((Macro.id == macro_id) & visible_to(agent))
    if macro is None:
        raise NotFound(_("Macro %(id)s does not exist.", id=macro_id), code="not_found")
    return macro


def encode_cursor(macro):
    raw = json.dumps([macro.name_key, macro.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor):
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        name_key, macro_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(name_key, str) or not valid_id(macro_id):
            raise ValueError
        return name_key, macro_id
    except (ValueError, TypeError, UnicodeDecodeError):
        raise ServiceError(_("This cursor is not valid."), code="invalid_cursor", field="cursor")


def list_macros(agent, q=None, limit=50, cursor=None, shared=None):
    """Macros ``agent`` may use, by name (keyset pagination on
    ``(name_key, id)``), with their owners, in one query. ``q`` matches any
    part of the name, case-insensitively. Returns ``(macros, next_cursor)``."""
    owner = Agent.alias()
    query = Macro.select(Macro, owner).join(owner, on=(Macro.owner == owner.id)).where(visible_to(agent))
    if q:
        query = query.where(Macro.name_key.contains(q.strip().lower()))
    if shared is not None:
        query = query.where(Macro.shared == bool(shared))
    if cursor:
        name_key, macro_id = _decode_cursor(cursor)
        query = query.where((Macro.name_key > name_key) | ((Macro.name_key == name_key) & (Macro.id > macro_id)))
    rows = list(query.order_by(Macro.name_key, Macro.id).limit(limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(rows[-1]) if more and rows else None)


# --- writing ------------------------------------------------------------


def validate_actions(actions):
    """Check each ``{"type", "params"}`` against the enabled actions; returns
    the cleaned list. Raises ServiceError naming the faulty action."""
    registry = available_actions()
    if len(actions or ()) > MAX_ACTIONS:
        raise ServiceError(_("A macro has at most %(n)d actions.", n=MAX_ACTIONS), field="actions")
    cleaned = []
    for index, item in enumerate(actions or ()):
        kind = (item or {}).get("type")
        cls = registry.get(kind)
        if cls is None:
            raise ServiceError(
                _(
                    "Action %(n)d: unknown action %(type)s. Available: %(names)s.",
                    n=index + 1,
                    type=kind,
                    names=", ".join(sorted(registry)),
                ),
                code="unknown_action",
                field="actions",
            )
        try:
            params = cls().validate(item.get("params") or {})
        except ma.ValidationError as err:
            raise ServiceError(
                _(
                    "Action %(n)d (%(label)s): %(problems)s",
                    n=index + 1,
                    label=cls.label,
                    problems=_flatten(err.messages),
                ),
                code="invalid_action",
                field="actions",
            )
        cleaned.append({"type": kind, "params": params})
    return cleaned


def _flatten(messages):
    if isinstance(messages, dict):
        return "; ".join(f"{key}: {_flatten(value)}" for key, value in messages.items())
    if isinstance(messages, (list, tuple)):
        return " ".join(_flatten(m) for m in messages)
    return str(messages)


def _check_fields(name, body, actions):
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError(_("Give the macro a name."), code="required", field="name")
    if len(name) > MAX_NAME:
        raise ServiceError(_("Names are at most %(n)d characters.", n=MAX_NAME), field="name")
    check(body or "")
    actions = validate_actions(actions)
    if not (body or "").strip() and not actions:
        raise ServiceError(_("A macro needs a reply text or at least one action."), code="empty", field="body")
    return name, body or "", actions


def may_edit(agent, macro) -> bool:
    """Whether ``agent`` may change ``macro``: shared ones need the
    ``shared_macros`` permission, personal ones are their owner's."""
    return can(agent, "shared_macros") if macro.shared else macro.owner_id == agent.id


def _may_edit(agent, macro):
    if macro.shared:
        if not can(agent, "shared_macros"):
            raise Forbidden(_("Only managers and above can change shared macros."))
    elif macro.owner_id != agent.id:
        raise NotFound(_("Macro %(id)s does not exist.", id=macro.id), code="not_found")


def create(agent, name, body="", actions=(), shared=False) -> Macro:
    """Save a new macro owned by ``agent``; shared ones need the
    ``shared_macros`` permission."""
    if not can(agent, "inbox"):
        raise Forbidden()
    if shared and not can(agent, "shared_macros"):
        raise Forbidden(_("Only managers and above can create shared macros."))
    name, body, actions = _check_fields(name, body, actions)
    at = now()
    macro = Macro.create(
        name=name,
        name_key=name.lower(),
        body=body,
        actions=actions,
        owner=agent,
        shared=bool(shared),
        created_at=at,
        updated_at=at,
    )
    return macro


def update(agent, macro, **changes) -> Macro:
    """Change name, body, actions or shared; unknown keys are ignored."""
    _may_edit(agent, macro)
    shared = changes.get("shared", macro.shared)
    if shared and not macro.shared and not can(agent, "shared_macros"):
        raise Forbidden(_("Only managers and above can share macros."))
    name, body, actions = _check_fields(
        changes.get("name", macro.name), changes.get("body", macro.body), changes.get("actions", macro.actions)
    )
    macro.name, macro.name_key, macro.body, macro.actions = name, name.lower(), body, actions
    macro.shared = bool(shared)
    macro.updated_at = now()
    macro.save()
    return macro


def delete(agent, macro):
    _may_edit(agent, macro)
    macro.delete_instance()


# --- using --------------------------------------------------------------


def preview(macro, ticket, agent):
    """``{"body", "actions", "refusal"}``: the reply as it would go out on
    this ticket, what the actions will do, and why a reply would be refused
    (or None). Changes nothing."""
    context = context_for(ticket, agent)
    registry = available_actions()
    body = context.render(macro.body) if macro.body else ""
    refusal = refusal_for(ticket) if body.strip() else None
    return {
        "body": body,
        "actions": [describe_action(registry, a) for a in macro.actions],
        "refusal": {"code": refusal.code, "message": refusal.message} if refusal else None,
    }


def describe_action(registry, action):
    """``{"type", "label", "summary", "available"}`` of one stored action;
    ``registry`` is ``available_actions()``."""
    cls = registry.get(action["type"])
    if cls is None:
        return {"type": action["type"], "label": action["type"], "summary": "", "available": False}
    return {
        "type": action["type"],
        "label": str(cls.label),
        "summary": cls().describe(action["params"]),
        "available": True,
    }


def apply(macro, ticket, agent, body=None, registry=None):
    """Send the macro's reply (or ``body``, the agent's edit of it) on the
    ticket's channel and run its actions, all in one transaction: if any
    part fails, nothing happened. Raises
    ``app.services.messages.ReplyRefused`` (409) when the channel refuses,
    ServiceError for a failing action. Returns the reply Message or None
    when the macro has no reply. ``registry`` (from
    ``available_actions()``) saves looking the actions up again per ticket."""
    if not can(agent, "inbox"):
        raise Forbidden()
    context = context_for(ticket, agent)
    text = body if body is not None else (context.render(macro.body) if macro.body else "")
    registry = registry if registry is not None else available_actions()
    missing = [a["type"] for a in macro.actions if a["type"] not in registry]
    if missing:
        raise ServiceError(
            _("This macro uses actions that are turned off: %(names)s.", names=", ".join(missing)),
            code="action_unavailable",
            field="actions",
        )
    message = None
    with write_transaction():
        if text.strip():
            # First, so a refusal (ReplyRefused, raised before anything is
            # written) leaves the ticket as it was.
            message = reply(ticket, agent, text, meta={"macro_id": macro.id})
        for action in macro.actions:
            fresh = Ticket.get_by_id(ticket.id)
            registry[action["type"]]().run(fresh, action["params"], agent, context)
        Macro.update(usage_count=Macro.usage_count + 1, last_used_at=now()).where(Macro.id == macro.id).execute()
    return message


def start_bulk(macro, ticket_ids, agent) -> MacroBulkJob:
    """Queue the macro for many tickets; the job's progress and per-ticket
    results are stored as it runs (``job_status``)."""
    if not can(agent, "inbox"):
        raise Forbidden()
    ids = list(dict.fromkeys(int(i) for i in ticket_ids))
    if not ids:
        raise ServiceError(_("Choose at least one ticket."), code="required", field="ticket_ids")
    if len(ids) > MAX_BULK:
        raise ServiceError(_("At most %(n)d tickets at once.", n=MAX_BULK), field="ticket_ids")
    with write_transaction():
        job = MacroBulkJob.create(
            macro=macro, macro_name=macro.name, agent=agent, ticket_ids=ids, total=len(ids), created_at=now()
        )

        after_commit(lambda: run_bulk(job.id))
    return job


@task()
def run_bulk(job_id):
    """The background task ``macros.run_bulk``: apply a bulk job's macro to
    each ticket in its own transaction; a failing ticket is recorded and the
    others go on. Safe to run again after a crash: tickets with a result are
    skipped. Declared here, beside the job it runs, so this module and
    ``tasks`` do not import each other."""
    job = MacroBulkJob.get_or_none(MacroBulkJob.id == job_id)
    if job is None or job.state == "done":
        return
    MacroBulkJob.update(state="running", started_at=job.started_at or now()).where(MacroBulkJob.id == job.id).execute()
    agent = Agent.get_by_id(job.agent_id)
    macro = Macro.get_or_none(Macro.id == job.macro_id) if job.macro_id else None
    seen = {r.ticket_id for r in MacroBulkResult.select(MacroBulkResult.ticket_id).where(MacroBulkResult.job == job)}
    todo = [tid for tid in job.ticket_ids if tid not in seen]
    tickets = {t.id: t for t in Ticket.select(Ticket, Profile).join(Profile).where(Ticket.id.in_(todo))} if todo else {}
    registry = available_actions()
    why = explain_bulk(job, macro, agent, registry) if macro is not None else None
    for tid in todo:
        try:
            # A success is recorded in the ticket's own transaction (one
            # commit per ticket); a failure rolled that back, so it gets its own.
            with write_transaction():
                _apply_one(macro, tickets.get(tid), tid, agent, registry, why)
                _record(job, tid, True, "ok", "")
        except ServiceError as exc:
            with write_transaction():
                _record(job, tid, False, exc.code, exc.message)
        except Exception:
            # A fault on one ticket (the database, another plugin's action)
            # must not end the job: logged with context, reported on the ticket.
            log.exception("macro %s failed on ticket %s (bulk job %s)", job.macro_id, tid, job.id)
            with write_transaction():
                _record(job, tid, False, "error", _("Something went wrong on this ticket; try it again."))
    MacroBulkJob.update(state="done", finished_at=now()).where(MacroBulkJob.id == job.id).execute()
    publish("macros.bulk_done", {"job_id": job.id, "agent_id": agent.id})


def _apply_one(macro, ticket, ticket_id, agent, registry, why):
    if macro is None:
        raise ServiceError(_("The macro was deleted."), code="macro_deleted")
    if ticket is None:
        raise NotFound(_("Ticket %(id)s does not exist.", id=ticket_id), code="not_found")
    apply(macro, ticket, agent, registry=registry)
    # The background job is the macro's automatic run on this ticket (no
    # agent clicked on it): the ticket says so, and why, like every rule.
    add_notice(
        ticket,
        _("Macro “%(name)s” applied by a bulk action of %(agent)s.", name=macro.name, agent=agent.name),
        meta={"macro_id": macro.id, "macro_job_id": why["inputs"]["job_id"], "why": why},
        activity="macro_applied",
        actor=agent,
    )


def explain_bulk(job, macro, agent, registry):
    """The reason every ticket of a bulk job gets: who started it, when,
    on how many tickets, and what the macro does (made once per job)."""
    actions = [describe_action(registry, a) for a in macro.actions]
    done_here = [_("its reply")] if macro.body.strip() else []
    done_here += [a["summary"] or a["label"] for a in actions]
    return make_reason(
        "macros.bulk",
        _(
            "Bulk macro: %(agent)s applied “%(name)s” to %(total)d tickets at %(when)s UTC, and a background job "
            "ran it on this ticket: %(what)s.",
            agent=agent.name,
            name=macro.name,
            total=job.total,
            when=job.created_at.strftime("%Y-%m-%d %H:%M"),
            what="; ".join(done_here),
        ),
        {
            "macro_id": macro.id,
            "macro": macro.name,
            "job_id": job.id,
            "started_by_id": agent.id,
            "started_by": agent.name,
            "started_at": job.created_at,
            "tickets": job.total,
            "reply": bool(macro.body.strip()),
            "actions": [a["type"] for a in actions],
        },
        "macros_web.edit",
        {"macro_id": macro.id},
    )


def _record(job, ticket_id, ok, code, message):
    MacroBulkResult.create(job=job, ticket_id=ticket_id, ok=ok, code=code, message=message, created_at=now())
    MacroBulkJob.update(
        done=MacroBulkJob.done + 1,
        succeeded=MacroBulkJob.succeeded + (1 if ok else 0),
        failed=MacroBulkJob.failed + (0 if ok else 1),
    ).where(MacroBulkJob.id == job.id).execute()


def job_status(job_id, agent, results_limit=MAX_BULK):
    """A bulk job started by ``agent``: progress counts and per-ticket results."""
    job = MacroBulkJob.get_or_none((MacroBulkJob.id == job_id) & (MacroBulkJob.agent == agent.id))
    if job is None:
        raise NotFound(_("Bulk job %(id)s does not exist.", id=job_id), code="not_found")
    results = list(
        MacroBulkResult.select().where(MacroBulkResult.job == job).order_by(MacroBulkResult.id).limit(results_limit)
    )
    return job, results
