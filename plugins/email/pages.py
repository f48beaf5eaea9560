"""The email plugin's agent pages: one message in full (sender, Cc, the
whole text, what the thread view left out) with its original as an .eml
download, the per-message "show images" action, and for admins the mail the
loop guard dropped."""

from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from app.plugin import require

from . import delivery, dropped, original
from .images import show_images

bp = Blueprint(
    "email_web",
    __name__,
    url_prefix="/email",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


@bp.get("/messages/<int(min=1, max=2147483647):message_id>")
@require("inbox")
def message_page(message_id):
    """The whole message as it came."""
    item = original.load(message_id)
    return render_template("email/message.html", item=item, title=_("Email message"))


@bp.get("/messages/<int(min=1, max=2147483647):message_id>/original.eml")
@require("inbox")
def download_original(message_id):
    """The original bytes, always as a download (never rendered)."""
    return send_raw(original.inbound_email(message_id))


def send_raw(message):
    """The original of ``message`` as an ``.eml`` attachment, or 404."""
    path = original.raw_path(message)
    if path is None:
        abort(404)
    return send_file(path, mimetype="message/rfc822", as_attachment=True, download_name=f"message-{message.id}.eml")


@bp.post("/messages/<int(min=1, max=2147483647):message_id>/images")
@require("inbox")
def allow_images(message_id):
    """Load this message's remote images from now on."""
    message = show_images(original.inbound_email(message_id))
    return redirect(url_for("web.ticket_page", ticket_id=message.ticket_id) + f"#message-{message.id}")


@bp.post("/messages/<int(min=1, max=2147483647):message_id>/retry")
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
