"""Records event hook calls for assertions."""

from ..hookspecs import hookimpl


class HookRecorder:
    def __init__(self):
        self.records = []

    def calls(self, hook_name):
        return [kwargs for name, kwargs in self.records if name == hook_name]

    def names(self):
        return [name for name, _ in self.records]

    def clear(self):
        self.records.clear()

    def _record(self, name, **kwargs):
        self.records.append((name, kwargs))

    @hookimpl
    def helpline_on_ticket_created(self, ticket):
        self._record("helpline_on_ticket_created", ticket=ticket)

    @hookimpl
    def helpline_on_message_received(self, message, ticket):
        self._record("helpline_on_message_received", message=message, ticket=ticket)

    @hookimpl
    def helpline_on_message_created(self, message, ticket):
        self._record("helpline_on_message_created", message=message, ticket=ticket)

    @hookimpl
    def helpline_on_message_sent(self, message, ticket):
        self._record("helpline_on_message_sent", message=message, ticket=ticket)

    @hookimpl
    def helpline_on_ticket_status_changed(self, ticket, old_status, new_status, reason, actor):
        self._record(
            "helpline_on_ticket_status_changed",
            ticket=ticket,
            old_status=old_status,
            new_status=new_status,
            reason=reason,
            actor=actor,
        )

    @hookimpl
    def helpline_on_ticket_assigned(self, ticket, old_assignee, new_assignee, actor):
        self._record(
            "helpline_on_ticket_assigned",
            ticket=ticket,
            old_assignee=old_assignee,
            new_assignee=new_assignee,
            actor=actor,
        )

    @hookimpl
    def helpline_on_agent_presence_changed(self, agent, old_presence, new_presence):
        self._record(
            "helpline_on_agent_presence_changed", agent=agent, old_presence=old_presence, new_presence=new_presence
        )

    @hookimpl
    def helpline_on_message_delivery_failed(self, message, ticket, error):
        self._record("helpline_on_message_delivery_failed", message=message, ticket=ticket, error=error)

    @hookimpl
    def helpline_on_ticket_tags_changed(self, ticket, added, removed, actor):
        self._record("helpline_on_ticket_tags_changed", ticket=ticket, added=added, removed=removed, actor=actor)

    @hookimpl
    def helpline_on_ticket_merged(self, ticket, into, actor):
        self._record("helpline_on_ticket_merged", ticket=ticket, into=into, actor=actor)

    @hookimpl
    def helpline_on_ticket_unmerged(self, ticket, into, actor):
        self._record("helpline_on_ticket_unmerged", ticket=ticket, into=into, actor=actor)

    @hookimpl
    def helpline_on_ticket_split(self, ticket, new_ticket, actor):
        self._record("helpline_on_ticket_split", ticket=ticket, new_ticket=new_ticket, actor=actor)

    @hookimpl
    def helpline_on_profile_updated(self, profile, changes):
        self._record("helpline_on_profile_updated", profile=profile, changes=changes)
