"""Every hook Helpline calls. Each is documented in full in docs/hooks.md
(tests/test_hook_docs.py fails when a hook or argument is missing there).

Three families:

* ``helpline_register_*``: called once at startup; return a list (or one
  item, or None). Results are merged in plugin order.
* ``helpline_on_*``: events, called after the change is committed; return
  values are ignored; an exception is logged and never undoes the change.
* decision hooks (``firstresult``): the first non-None answer wins; the core
  registers its default as a ``trylast`` implementation.

Every call goes through pluggy, so ``wrapper=True`` implementations and
tracing work on all three. The contract is versioned (:data:`HOOK_API_VERSION`,
changelog in docs/hooks.md); a hook on its way out is marked with
``@hookspec(warn_on_impl=HookDeprecationWarning(...))``.
"""

import pluggy

#: The version of this hook contract: the major number changes when a hook is
#: removed or changes meaning, the minor number when hooks or arguments are added.
HOOK_API_VERSION = "2.5"

hookspec = pluggy.HookspecMarker("helpline")
hookimpl = pluggy.HookimplMarker("helpline")


class HookDeprecationWarning(DeprecationWarning):
    """Warned when a plugin implements a deprecated hook (pluggy's
    ``warn_on_impl``), pointing at the implementation; the loader also logs it.
    A deprecated hook keeps working until the next major HOOK_API_VERSION."""


# --- register hooks -------------------------------------------------------


@hookspec
def helpline_register_channels():
    """Return :class:`app.registry.Channel` subclasses this plugin provides."""


@hookspec
def helpline_register_rules():
    """Return :class:`app.registry.Rule` subclasses this plugin provides."""


@hookspec
def helpline_register_panels():
    """Return :class:`app.registry.Panel` subclasses this plugin provides."""


@hookspec
def helpline_register_commerce_providers():
    """Return :class:`app.commerce.CommerceProvider` subclasses this plugin provides."""


@hookspec
def helpline_register_blueprints():
    """Return Flask blueprints; their routes answer 404 while the plugin is disabled."""


@hookspec
def helpline_register_models():
    """Return peewee models this plugin owns (created by its own migrations)."""


@hookspec
def helpline_register_commands():
    """Return click commands or groups added under ``helpline``."""


@hookspec
def helpline_register_settings():
    """Return this plugin's settings marshmallow Schema class."""


@hookspec
def helpline_register_settings_sections():
    """Return :class:`app.registry.SettingsSection` subclasses shown under
    this plugin's generated settings form."""


@hookspec
def helpline_register_tasks():
    """Return modules (or dotted names) whose ``app.tasks`` tasks to load."""


@hookspec
def helpline_register_hookspecs():
    """Return classes or modules of extra hookspecs this plugin defines for others."""


@hookspec
def helpline_register_services():
    """Return callables ``start(app)`` run by the embedded quickstart
    (``helpline run``); each returns a ``stop()`` callable or None."""


@hookspec
def helpline_register_streams():
    """Return :class:`app.stream_routes.StreamRoute` objects: live streams
    served by ``helpline streams`` (the async stream server); they answer 404
    while the plugin is disabled."""


@hookspec
def helpline_register_ui_fragments():
    """Return ``(slot, template name)`` pairs the agent UI includes in its
    slots: ``head``, ``nav``, ``composer_tools``, ``bulk_actions``, ``ticket_sidebar``,
    ``message_footer``, ``settings_nav``."""


@hookspec
def helpline_register_permissions():
    """Return :class:`app.permissions.Permission` objects: the permissions
    this plugin's views and services check, with the roles that have them."""


# --- event hooks (after commit) ------------------------------------------


@hookspec
def helpline_on_ticket_created(ticket):
    """A ticket was created.

    :param ticket: the new :class:`app.models.Ticket`.
    """


@hookspec
def helpline_on_message_received(message, ticket):
    """A customer message was ingested (not called for duplicates).

    :param message: the inbound :class:`app.models.Message`.
    :param ticket: its ticket, after routing (new, appended or reopened).
    """


@hookspec
def helpline_on_message_created(message, ticket):
    """An agent, bot or system message (reply, note, notice) was added.

    :param message: the :class:`app.models.Message`; replies are ``queued``.
    :param ticket: its ticket.
    """


@hookspec
def helpline_on_message_sent(message, ticket):
    """An outbound reply was delivered by its channel.

    :param message: the :class:`app.models.Message`, now ``sent``.
    :param ticket: its ticket.
    """


@hookspec
def helpline_on_ticket_status_changed(ticket, old_status, new_status, reason, actor):
    """A ticket's status changed (open, snoozed, closed).

    :param ticket: the ticket after the change.
    :param old_status: the previous status.
    :param new_status: the new status.
    :param reason: why: ``agent``, ``inactivity``, ``customer_message``,
        ``snooze_expired``, ``bulk`` or a rule's own word.
    :param actor: the :class:`app.models.Agent` who acted, or None.
    """


@hookspec
def helpline_on_ticket_assigned(ticket, old_assignee, new_assignee, actor):
    """A ticket's assignee changed.

    :param ticket: the ticket after the change.
    :param old_assignee: the previous Agent or None.
    :param new_assignee: the new Agent or None (unassigned).
    :param actor: the Agent who acted, or None for a rule.
    """


@hookspec
def helpline_on_agent_presence_changed(agent, old_presence, new_presence):
    """An agent's effective presence changed (manual switch or heartbeat).

    :param agent: the :class:`app.models.Agent`.
    :param old_presence: ``online``, ``away`` or ``offline``.
    :param new_presence: ``online``, ``away`` or ``offline``.
    """


@hookspec
def helpline_on_message_delivery_failed(message, ticket, error):
    """The outbox gave up on an outbound reply: a permanent error, or the
    last attempt failed. The message is now ``failed``.

    :param message: the :class:`app.models.Message`, ``delivery_state`` ``failed``.
    :param ticket: its ticket.
    :param error: the last error text (also in ``message.delivery_error``).
    """


@hookspec
def helpline_on_ticket_tags_changed(ticket, added, removed, actor):
    """A ticket's tags changed (one call per ticket, also for bulk actions).

    :param ticket: the :class:`app.models.Ticket`.
    :param added: tag names added, sorted (may be empty).
    :param removed: tag names removed, sorted (may be empty).
    :param actor: the Agent who acted, or None for a rule or the system.
    """


@hookspec
def helpline_on_ticket_merged(ticket, into, actor):
    """A ticket was merged into another ticket of the same customer: its
    messages moved to ``into`` and it is closed (reason ``merged``).

    :param ticket: the merged (now closed) :class:`app.models.Ticket`.
    :param into: the ticket that received the messages.
    :param actor: the Agent who merged, or None for a rule or the system.
    """


@hookspec
def helpline_on_ticket_unmerged(ticket, into, actor):
    """A merge was undone: the messages moved back from ``into`` to
    ``ticket``, which is as it was before the merge.

    :param ticket: the restored :class:`app.models.Ticket`.
    :param into: the ticket it had been merged into.
    :param actor: the Agent who undid the merge, or None.
    """


@hookspec
def helpline_on_ticket_split(ticket, new_ticket, actor):
    """A ticket was split: a message and every later one moved to
    ``new_ticket`` (for which ``helpline_on_ticket_created`` was called
    just before).

    :param ticket: the :class:`app.models.Ticket` that was split.
    :param new_ticket: the new ticket holding the moved messages.
    :param actor: the Agent who split it, or None.
    """


@hookspec
def helpline_on_profile_updated(profile, changes):
    """A customer profile's fields changed.

    :param profile: the :class:`app.models.Profile` after the change.
    :param changes: ``{field: (old, new)}`` for each changed field; also
        ``identities`` (the identity lists before and after) and
        ``merged_profile_ids`` (``([], [ids merged into this profile])``).
    """


@hookspec
def helpline_on_demo_seeded():
    """Demo data was added to an empty database (``helpline demo``, first
    ``helpline run``): a plugin may add its own demo data or compute what
    depends on it, so the quickstart shows it working at once."""


# --- decision hooks --------------------------------------------------------


@hookspec(firstresult=True)
def helpline_can_reply(ticket, channel):
    """Decide whether an agent may reply on the ticket's channel now.
    Stops at first non-None result.

    :param ticket: the :class:`app.models.Ticket`.
    :param channel: the ticket's channel instance (settings bound).
    :return: an :class:`app.registry.Refusal` to refuse; ``False`` to allow
        and skip later implementations; ``None`` to defer to the next one
        (the core default asks ``channel.can_reply(ticket)``).
    """


@hookspec(firstresult=True)
def helpline_choose_assignee(ticket):
    """Pick the agent for a new or reopened unassigned ticket.
    Stops at first non-None result.

    :param ticket: the unassigned :class:`app.models.Ticket`.
    :return: an Agent to claim the ticket for, or None to leave it unassigned
        (the core default).
    """


@hookspec(firstresult=True)
def helpline_email_available():
    """Can an enabled plugin send notification email now? Stops at first
    non-None result. Lets a plugin warn in its settings before it needs to send.

    :return: True when ``helpline_send_email`` would accept a message; None
        (no opinion) otherwise.
    """


@hookspec(firstresult=True)
def helpline_send_email(message):
    """Send a notification email on behalf of another plugin (alerts,
    follow-ups). Stops at first non-None result.

    :param message: an ``email.message.EmailMessage`` with To, Subject and a
        body; From is filled in by the sender when missing.
    :return: True once accepted for delivery; None when no enabled plugin
        can send email (the email plugin is off or not configured).
    """
