"""Macro actions: what a macro does to a ticket besides replying.

An action is a class with a stable ``name``, a human ``label``, a marshmallow
``params_schema`` and ``run(ticket, params, agent)``. The built-in ones are
returned by this plugin's own ``helpline_macro_actions`` hookimpl, exactly
like a third-party plugin's would be.

``run`` is called inside the macro's transaction: raise
``app.services.ServiceError`` to refuse, and everything the macro did to the
ticket (reply included) is rolled back.
"""

from __future__ import annotations

import abc

import marshmallow as ma
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.plugin import (
    MAX_TAG_LENGTH,
    Agent,
    ServiceError,
    add_note,
    assign,
    change_tags,
    hook,
    now,
    parse_duration,
    set_status,
    snooze,
)

MAX_TAGS = 20


class MacroAction(abc.ABC):
    """Base class of a macro action.

    :cvar name: stable identifier stored in macros (``[a-z0-9_.-]``).
    :cvar label: shown to agents (translatable).
    :cvar params_schema: a marshmallow Schema class validating ``params``.
    """

    name: str = ""
    label = ""
    params_schema: type[ma.Schema] = ma.Schema

    def validate(self, params):
        """Check ``params`` when a macro is saved; return them cleaned.
        Raises ``marshmallow.ValidationError``."""
        return self.params_schema().load(params or {})

    def describe(self, params) -> str:
        """A one-line summary for lists and previews."""
        return str(self.label)

    @abc.abstractmethod
    def run(self, ticket, params, agent, context):
        """Do the action on ``ticket`` for ``agent``.

        :param params: the validated params stored in the macro.
        :param context: a :class:`plugins.macros.render.RenderContext`, to
            render text params with the same variables as the reply.
        """


def _validated_by(check, value):
    """Run a service check (raising ServiceError) as a marshmallow validator."""
    try:
        check(value)
    except ServiceError as exc:
        raise ma.ValidationError(exc.message)


class _StatusParams(ma.Schema):
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(("open", "closed")))


class SetStatus(MacroAction):
    """Open or close the ticket (snoozing is its own action)."""

    name = "set_status"
    label = _l("Set status")
    params_schema = _StatusParams

    def describe(self, params):
        return _("Set status to %(status)s", status=params["status"])

    def run(self, ticket, params, agent, context):
        set_status(ticket, params["status"], actor=agent)


class _SnoozeParams(ma.Schema):
    duration = ma.fields.String(required=True, validate=ma.validate.Length(max=10))

    @ma.validates("duration")
    def _valid(self, value, **kwargs):
        _validated_by(parse_duration, value)


class Snooze(MacroAction):
    """Snooze for a duration counted from when the macro is applied."""

    name = "snooze"
    label = _l("Snooze")
    params_schema = _SnoozeParams

    def describe(self, params):
        return _("Snooze for %(duration)s", duration=params["duration"])

    def run(self, ticket, params, agent, context):
        snooze(ticket, now() + parse_duration(params["duration"]), actor=agent)


class _TagParams(ma.Schema):
    tags = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(min=1, max=MAX_TAG_LENGTH)),
        required=True,
        validate=ma.validate.Length(min=1, max=MAX_TAGS),
    )


class AddTags(MacroAction):
    name = "add_tags"
    label = _l("Add tags")
    params_schema = _TagParams

    def describe(self, params):
        return _("Add tags: %(tags)s", tags=", ".join(params["tags"]))

    def run(self, ticket, params, agent, context):
        change_tags(ticket, add=params["tags"], actor=agent)


class RemoveTags(MacroAction):
    name = "remove_tags"
    label = _l("Remove tags")
    params_schema = _TagParams

    def describe(self, params):
        return _("Remove tags: %(tags)s", tags=", ".join(params["tags"]))

    def run(self, ticket, params, agent, context):
        change_tags(ticket, remove=params["tags"], actor=agent)


class _AssignParams(ma.Schema):
    # An agent id, "me" (whoever applies the macro) or "none" (unassign).
    assignee = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=20))

    @ma.validates("assignee")
    def _valid(self, value, **kwargs):
        if value in ("me", "none"):
            return
        if not value.isdigit():
            raise ma.ValidationError(str(_l('Use an agent id, "me" or "none".')))
        agent = Agent.get_or_none(Agent.id == int(value))
        if agent is None or not agent.is_active:
            raise ma.ValidationError(str(_l("No active agent with this id.")))


class Assign(MacroAction):
    name = "assign"
    label = _l("Assign")
    params_schema = _AssignParams

    def describe(self, params):
        value = params["assignee"]
        if value == "me":
            return _("Assign to me")
        if value == "none":
            return _("Unassign")
        agent = Agent.get_or_none(Agent.id == int(value))
        return _("Assign to %(name)s", name=agent.name if agent else value)

    def run(self, ticket, params, agent, context):
        value = params["assignee"]
        if value == "me":
            target = agent
        elif value == "none":
            target = None
        else:
            target = Agent.get_or_none((Agent.id == int(value)) & (Agent.is_active == True))
            if target is None:
                raise ServiceError(
                    _("The agent this macro assigns to no longer exists."), code="assignee_gone", field="actions"
                )
        assign(ticket, target, actor=agent)


class _NoteParams(ma.Schema):
    text = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=10000))

    @ma.validates("text")
    def _valid(self, value, **kwargs):
        from .render import check

        _validated_by(check, value)


class AddNote(MacroAction):
    """An internal note (a template too, with the reply's variables)."""

    name = "add_note"
    label = _l("Add internal note")
    params_schema = _NoteParams

    def describe(self, params):
        return _("Add an internal note")

    def run(self, ticket, params, agent, context):
        add_note(ticket, agent, context.render(params["text"]))


BUILTIN_ACTIONS = [SetStatus, Snooze, AddTags, RemoveTags, Assign, AddNote]


def available_actions() -> dict[str, type[MacroAction]]:
    """``{name: class}`` of every action enabled plugins offer, in plugin
    order; the first plugin to claim a name keeps it."""
    found = {}
    for result in reversed(hook().helpline_macro_actions()):
        for cls in result if isinstance(result, (list, tuple)) else [result]:
            if cls is not None and cls.name and cls.name not in found:
                found[cls.name] = cls
    return found
