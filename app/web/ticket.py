"""The ticket page: thread, composer (reply / internal note), status,
assignee, tags, the overview panel, typing signals and read markers."""

from __future__ import annotations

import marshmallow as ma
from flask import abort, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from peewee import JOIN

from ..auth import current_agent, require
from ..clock import now
from ..errors import error_response
from ..models import Agent, Message, Ticket
from ..plugins import get_plugins
from ..plugins.parts import NOT_SHOWN, isolated
from ..services import NotFound, ServiceError, agents, collision, identities, messages, notifications, tickets, views
from ..validation import MAX_ID
from .blueprint import bp
from .helpers import done, failed, from_local_input, wants_json
from .inbox import SNOOZE_PRESETS, inbox_agents

THREAD_PAGE = 50


def _ticket_or_404(ticket_id):
    try:
        return tickets.get(ticket_id)
    except NotFound:
        abort(404)


def _list_view():
    view = request.values.get("view", "")
    return view if view in views.BUILTIN_VIEWS or view.isdigit() else "mine"


def _ticket_and_page(ticket_id):
    """The ticket a form posts to and the page to answer with (the ticket
    page, keeping the list it was opened from)."""
    ticket = _ticket_or_404(ticket_id)
    return ticket, url_for("web.ticket_page", ticket_id=ticket.id, view=_list_view())


def neighbours(agent, view, ticket):
    """The tickets before and after this one in a view (newest activity
    first), found with the keyset cursor: two small indexed queries."""
    result = {}
    try:
        for key, order in (("next", "desc"), ("previous", "asc")):
            cursor = views.encode_cursor("updated", order, ticket)
            rows, _more = views.list_tickets(agent, view=view, sort="updated", order=order, limit=1, cursor=cursor)
            result[key] = rows[0].id if rows else None
    except ServiceError:  # an unknown saved view: no neighbours
        return {"next": None, "previous": None}
    return result


def panels_for(profile):
    """``[(panel, data, error)]`` for enabled panel plugins eligible here; a
    failing panel (its data, or a template that cannot be found or compiled)
    shows an error instead of breaking the page."""
    shown = []
    for panel in get_plugins().enabled_panels():

        def render(panel=panel):
            if not panel.eligible(profile):
                return NOT_SHOWN
            data = panel.render_data(profile)
            if panel.template:
                current_app.jinja_env.get_template(panel.template)
            return data

        data, error = isolated("panel", panel.slug, render)
        if data is not NOT_SHOWN:
            shown.append((panel, data, error))
    return shown


def channel_card_for(ticket):
    """``(card, error)`` from the ticket's channel: its :class:`ChannelCard`
    when it has facts to show, or a short error when the channel failed (the
    page still renders)."""
    channel = get_plugins().channel(ticket.channel)
    if channel is None:
        return None, None
    card, error = isolated("channel card", ticket.channel, lambda: channel.card(ticket))
    return (card if card is not None and card.facts else None), error


def agent_choices():
    """``[(agent, state)]`` for the assign picker: the agents who may hold
    tickets, with the presence others see (``online``, ``away`` or
    ``offline``; a lapsed heartbeat counts as offline). One query."""
    fresh_after = now() - agents.ttl()
    return [
        (a, a.presence_effective if a.heartbeat_at and a.heartbeat_at >= fresh_after else "offline")
        for a in inbox_agents()
    ]


def sidebar_context(ticket):
    profile = ticket.profile
    card, card_error = channel_card_for(ticket)
    return {
        "ticket": ticket,
        "profile": profile,
        "tags": tickets.tags_of(ticket),
        "profile_ticket_count": Ticket.select().where(Ticket.profile == profile.id).count(),
        "identities": identities.for_agents(profile),
        "panels": panels_for(profile),
        "channel_card": card,
        "channel_card_error": card_error,
        "agent_choices": agent_choices(),
        "snooze_presets": SNOOZE_PRESETS,
    }


@bp.get("/t/<dbid:ticket_id>")
@require("inbox")
def ticket_page(ticket_id):
    """Show a ticket and mark its messages read for this agent."""
    return render_ticket(_ticket_or_404(ticket_id))


def render_ticket(ticket, draft="", refusal=None, newer=None, status=200):
    """The ticket page; after a refused reply (without scripts) it shows the
    reason and keeps the draft, never putting the text in a URL. ``newer``
    is another agent's reply that arrived while the draft was written (the
    warning above the composer)."""
    agent = current_agent()
    thread, more = messages.thread(ticket, limit=THREAD_PAGE)
    views.mark_read(agent, ticket)
    notifications.mark_ticket_read(agent, ticket)  # opening the ticket reads what it was about
    view = _list_view()
    refusal = refusal or messages.refusal_for(ticket)
    return render_template(
        "web/ticket.html",
        thread=thread,
        more=more,
        view=view,
        neighbours=neighbours(agent, view, ticket),
        refusal=refusal,
        draft=draft,
        newer=newer,
        # What the reply form says it has seen: the guard against answering
        # twice compares it with the replies sent since.
        after_message_id=max((m.id for m in thread), default=0),
        presence_ttl={"viewing": collision.VIEWING_TTL, "typing": collision.TYPING_TTL},
        presence_heartbeat=collision.HEARTBEAT,
        stream_ticket=ticket.id,  # the page's event stream also carries this ticket's presence and typing
        **sidebar_context(ticket),
    ), status


@bp.get("/t/<dbid:ticket_id>/messages")
@require("inbox")
def thread_part(ticket_id):
    """Older messages (``?before=<id>``) or newer ones (``?after=<id>``) as
    HTML for the page's script."""
    ticket = _ticket_or_404(ticket_id)
    try:
        before = int(request.args.get("before", 0) or 0)
        after = int(request.args.get("after", 0) or 0)
    except ValueError:
        raise ServiceError(_("Message ids are numbers."), field="before")
    if after:
        # Newer messages, oldest first; ``more`` says another call is needed.
        rows = list(
            Message.select(Message, Agent)
            .join(Agent, JOIN.LEFT_OUTER, on=(Message.author_agent == Agent.id))
            .where((Message.ticket == ticket.id) & (Message.id > after))
            .order_by(Message.id)
            .limit(THREAD_PAGE + 1)
        )
        more = len(rows) > THREAD_PAGE
        rows = rows[:THREAD_PAGE]
    else:
        rows, more = messages.thread(ticket, limit=THREAD_PAGE, before=before or None)
    html = render_template("web/_messages.html", thread=rows, ticket=ticket)
    return jsonify(html=html, more=more, ids=[m.id for m in rows])


@bp.get("/t/<dbid:ticket_id>/messages/<dbid:message_id>")
@require("inbox")
def message_part(ticket_id, message_id):
    """One message, re-rendered when its delivery state changes."""
    ticket = _ticket_or_404(ticket_id)
    message = (
        Message.select(Message, Agent)
        .join(Agent, JOIN.LEFT_OUTER, on=(Message.author_agent == Agent.id))
        .where((Message.id == message_id) & (Message.ticket == ticket.id))
        .first()
    )
    if message is None:
        abort(404)
    return render_template("web/_messages.html", thread=[message], ticket=ticket)


@bp.get("/t/<dbid:ticket_id>/sidebar")
@require("inbox")
def sidebar_part(ticket_id):
    """The overview panel and controls, refreshed on ``ticket.updated``."""
    return render_template("web/_sidebar.html", **sidebar_context(_ticket_or_404(ticket_id)))


class ComposeSchema(ma.Schema):
    mode = ma.fields.String(load_default="reply", validate=ma.validate.OneOf(("reply", "note")))
    text = ma.fields.String(required=True, validate=ma.validate.Length(min=1))
    # The newest message the page showed when the draft was started; absent
    # (an old page, a script of the agent's own) means no check.
    after_message_id = ma.fields.Integer(load_default=None, validate=ma.validate.Range(min=0, max=MAX_ID))


@bp.post("/t/<dbid:ticket_id>/messages")
@require("inbox")
def compose(ticket_id):
    """Send a reply on the ticket's channel or add an internal note. A
    refused reply answers 409 with the channel's reason; the draft is kept.
    A reply written while another agent's reply reached the customer (one
    newer than ``after_message_id``) answers 409 ``newer_reply``: the page
    shows that reply and sending again (with its id) sends anyway."""
    agent = current_agent()
    ticket, page = _ticket_and_page(ticket_id)
    form = {"mode": request.form.get("mode", "reply"), "text": request.form.get("text", "")}
    if request.form.get("after_message_id"):
        form["after_message_id"] = request.form["after_message_id"][:20]
    try:
        data = ComposeSchema().load(form)
    except ma.ValidationError as err:
        field = next(iter(err.messages))
        message = {
            "text": _("Write a message first."),
            "mode": _("Choose Reply or Internal note."),
        }.get(field, _("Reload the page and send again."))
        return failed(page, message, field=field)
    try:
        if data["mode"] == "reply":
            collision.check_no_newer_reply(ticket, agent, data["after_message_id"])
        if data["mode"] == "note":
            message = messages.add_note(ticket, agent, data["text"])
        else:
            message = messages.reply(ticket, agent, data["text"])
    except collision.NewerReply as exc:
        if wants_json():
            # The one error shape, plus which reply it was (the page links to it).
            error = {
                "code": exc.code,
                "message": str(exc.message),
                "fields": {"after_message_id": [str(exc.message)]},
                "newer": {"id": exc.newer.id, "author": exc.author},
            }
            return jsonify(error=error), 409
        return render_ticket(ticket, draft=data["text"], newer=exc, status=409)
    except messages.ReplyRefused as exc:
        if wants_json():
            return error_response(409, exc.code, exc.message, {"text": [exc.message]})
        return render_ticket(ticket, draft=data["text"], refusal=exc.refusal)
    except ServiceError as exc:
        return failed(page, exc.message, field=exc.field or "text")
    text = _("Note added.") if data["mode"] == "note" else _("Reply queued.")
    return done(page, text, message_id=message.id)


class StatusSchema(ma.Schema):
    action = ma.fields.String(required=True, validate=ma.validate.OneOf(("close", "reopen", "snooze")))
    preset = ma.fields.String(validate=ma.validate.OneOf(SNOOZE_PRESETS))
    until = ma.fields.String(validate=ma.validate.Length(max=40))


@bp.post("/t/<dbid:ticket_id>/status")
@require("inbox")
def change_status(ticket_id):
    """Close, reopen, or snooze (a preset or a date and time)."""
    agent = current_agent()
    ticket, page = _ticket_and_page(ticket_id)
    try:
        data = StatusSchema().load({k: v for k, v in request.form.items() if v and k in ("action", "preset", "until")})
    except ma.ValidationError:
        return failed(page, _("Choose close, reopen or a snooze time."), field="action")
    try:
        if data["action"] == "close":
            tickets.close(ticket, actor=agent)
            message = _("Ticket closed.")
        elif data["action"] == "reopen":
            tickets.reopen(ticket, actor=agent)
            message = _("Ticket reopened.")
        else:
            # A preset comes only from the menu item clicked, so it wins over
            # a date left typed in the (hidden) picker.
            if data.get("preset"):
                until = now() + tickets.parse_duration(data["preset"])
            elif data.get("until"):
                until = from_local_input(data["until"])
                if until is None:
                    return failed(page, _("Pick a valid date and time."), field="until")
            else:
                return failed(page, _("Choose how long to snooze."), field="preset")
            tickets.snooze(ticket, until, actor=agent)
            message = _("Ticket snoozed.")
    except ServiceError as exc:
        return failed(page, exc.message, field=exc.field)
    return done(page, message)


@bp.post("/t/<dbid:ticket_id>/assign")
@require("inbox")
def change_assignee(ticket_id):
    agent = current_agent()
    ticket, page = _ticket_and_page(ticket_id)
    raw = request.form.get("assignee_id", "")
    target = None
    if raw:
        if not raw.isdigit():
            return failed(page, _("Choose an agent."), field="assignee_id")
        target = Agent.get_or_none((Agent.id == int(raw)) & (Agent.is_active == True))
        if target is None:
            return failed(page, _("Choose an agent."), field="assignee_id")
    try:
        tickets.assign(ticket, target, actor=agent)
    except ServiceError as exc:
        return failed(page, exc.message, field=exc.field)
    return done(page, _("Assigned to %(name)s.", name=target.name) if target else _("Unassigned."))


@bp.post("/t/<dbid:ticket_id>/tags")
@require("inbox")
def change_tags(ticket_id):
    """Add tags (comma separated) and/or remove one."""
    agent = current_agent()
    ticket, page = _ticket_and_page(ticket_id)
    add = [t for t in request.form.get("add", "")[:500].split(",") if t.strip()]
    remove = [request.form["remove"][:64]] if request.form.get("remove") else []
    if not add and not remove:
        return failed(page, _("Type a tag to add."), field="add")
    try:
        tickets.change_tags(ticket, add=add, remove=remove, actor=agent)
    except ServiceError as exc:
        return failed(page, exc.message, field="add")
    return done(page, _("Tags updated."))


@bp.post("/t/<dbid:ticket_id>/read")
@require("inbox")
def mark_read(ticket_id):
    """Called when a new message arrives in an open ticket page."""
    views.mark_read(current_agent(), _ticket_or_404(ticket_id))
    return jsonify(ok=True)
