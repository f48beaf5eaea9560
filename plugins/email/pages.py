"""The email plugin's agent pages: one message in full (sender, Cc, the
whole text, what the thread view left out) with its original as an .eml
download, the per-message "show images" action, and for admins the mail the
loop guard dropped."""

import io

from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from app.plugin import ReplyRefused, ServiceError, current_agent, plugin_settings, require
from app.plugin import form_done as done
from app.plugin import form_failed as failed

from . import compose, delivery, dropped, original
from .images import show_images

bp = Blueprint(
    "email_web",
    __name__,
    url_prefix="/email",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


@bp.get("/messages/<dbid:message_id>")
@require("inbox")
def message_page(message_id):
    """The whole message as it came."""
    item = original.load(message_id)
    return render_template("email/message.html", item=item, title=_("Email message"))


@bp.get("/messages/<dbid:message_id>/original.eml")
@require("inbox")
def download_original(message_id):
    """The original bytes, always as a download (never rendered)."""
    return send_raw(original.inbound_email(message_id))


def send_raw(message):
    """The original of ``message`` as an ``.eml`` attachment, or 404."""
    raw = original.raw_bytes(message)
    if raw is None:
        abort(404)
    return send_file(
        io.BytesIO(raw), mimetype="message/rfc822", as_attachment=True, download_name=f"message-{message.id}.eml"
    )


@bp.post("/messages/<dbid:message_id>/images")
@require("inbox")
def allow_images(message_id):
    """Load this message's remote images from now on."""
    message = show_images(original.inbound_email(message_id))
    return redirect(url_for("web.ticket_page", ticket_id=message.ticket_id) + f"#message-{message.id}")


@bp.post("/messages/<dbid:message_id>/retry")
@require("inbox")
def retry_reply(message_id):
    """Try a failed reply again now."""
    message = delivery.retry(message_id)
    return redirect(url_for("web.ticket_page", ticket_id=message.ticket_id) + f"#message-{message.id}")


@bp.get("/dropped")
@require("settings")
def dropped_page():
    """Automatic mail the loop guard kept out of the inbox, newest first."""
    rows, next_cursor = dropped.page(limit=50, cursor=request.args.get("cursor"))
    return render_template(
        "email/dropped.html", rows=rows, next_cursor=next_cursor, why=dropped.why, title=_("Dropped email")
    )


@bp.post("/tickets/<dbid:ticket_id>/reply")
@require("inbox")
def reply_with_files(ticket_id):
    """The composer's reply with attached files and/or the customer's Cc kept."""
    ticket = compose.email_ticket(ticket_id)
    page = url_for("web.ticket_page", ticket_id=ticket.id)
    settings = plugin_settings("email")
    text = (request.form.get("text") or "").strip()
    mode = request.form.get("mode", "reply")
    try:
        if not text:
            raise ServiceError(_("Write a message first."), code="invalid", field="text")
        if mode not in ("reply", "note"):
            raise ServiceError(_("Choose Reply or Internal note."), code="invalid", field="mode")
        files = compose.read_uploads(request.files.getlist("files"), settings)
        message = compose.send(
            ticket, current_agent(), text, settings, files=files, keep_cc=bool(request.form.get("keep_cc")), mode=mode
        )
    except (ReplyRefused, ServiceError) as exc:
        return failed(page, exc.message, field=exc.field or "text", status=exc.status, code=exc.code)
    return done(page, _("Note added.") if mode == "note" else _("Reply queued."), message_id=message.id)
