"""The webhooks settings pages (/settings/webhooks, owners and admins):
endpoints, their secret (shown once, then masked), a test button, and each
endpoint's delivery log with "Resend". Plain forms; destructive actions ask
on a page of their own first, so no script is needed."""

from flask import Blueprint, abort, render_template, request, session, url_for
from flask_babel import gettext as _

from app.plugin import ServiceError, current_agent, form_failed, require
from app.plugin import form_done as done

from . import service, signing
from .events import EVENT_TYPES
from .models import DELIVERY_STATES

bp = Blueprint("webhooks_web", __name__, url_prefix="/settings/webhooks", template_folder="templates")

# The session key that carries a new secret to the one page that shows it.
NEW_SECRET = "webhooks_new_secret"


def _form_values(form):
    return {
        "url": form.get("url", "")[:2000],
        "description": form.get("description", "")[:200],
        "events": [e for e in form.getlist("events") if e in EVENT_TYPES],
        "enabled": bool(form.get("enabled")),
    }


def _endpoint(endpoint_id):
    try:
        return service.get_endpoint(endpoint_id)
    except ServiceError:
        abort(404)


def _show_once(endpoint):
    """Hand the full secret to the endpoint page's next view, and only it."""
    session[NEW_SECRET] = {"id": endpoint.id, "secret": endpoint.secret}


@bp.route("", methods=["GET", "POST"])
@require("settings")
def index():
    """The endpoints, and the form that adds one."""
    error = None
    values = {"url": "", "description": "", "events": sorted(EVENT_TYPES), "enabled": True}
    if request.method == "POST":
        values = _form_values(request.form)
        try:
            endpoint = service.create_endpoint(
                values["url"], values["events"], values["description"], values["enabled"], actor=current_agent()
            )
        except ServiceError as exc:
            error = exc
        else:
            _show_once(endpoint)
            return done(url_for("webhooks_web.endpoint", endpoint_id=endpoint.id), _("Endpoint added."))
    return render_template(
        "webhooks/index.html",
        title=_("Webhooks"),
        endpoints=service.endpoints(),
        event_types=EVENT_TYPES,
        values=values,
        error=error,
        mask=signing.mask,
    ), (422 if error else 200)


@bp.route("/<dbid:endpoint_id>", methods=["GET", "POST"])
@require("settings")
def endpoint(endpoint_id):
    """One endpoint: its settings, its secret, the test button and its log."""
    row = _endpoint(endpoint_id)
    error = None
    values = {"url": row.url, "description": row.description, "events": row.events, "enabled": row.enabled}
    if request.method == "POST":
        values = _form_values(request.form)
        try:
            service.update_endpoint(row, actor=current_agent(), **values)
        except ServiceError as exc:
            error = exc
        else:
            return done(url_for("webhooks_web.endpoint", endpoint_id=row.id), _("Endpoint saved."))
    shown = session.pop(NEW_SECRET, None)
    new_secret = shown["secret"] if shown and shown.get("id") == row.id else None
    state = request.args.get("state") if request.args.get("state") in DELIVERY_STATES else None
    cursor = request.args.get("cursor", "")[:12] or None
    try:
        rows, next_cursor = service.deliveries(row, limit=25, cursor=cursor, state=state)
    except ServiceError:
        abort(404)
    return render_template(
        "webhooks/endpoint.html",
        title=_("Webhook endpoint"),
        endpoint=row,
        values=values,
        error=error,
        event_types=EVENT_TYPES,
        secret_hint=signing.mask(row.secret),
        new_secret=new_secret,
        deliveries=rows,
        next_cursor=next_cursor,
        state=state,
        states=DELIVERY_STATES,
    ), (422 if error else 200)


@bp.post("/<dbid:endpoint_id>/test")
@require("settings")
def send_test(endpoint_id):
    """The "Send test event" button: one ``webhook.test`` delivery now."""
    row = _endpoint(endpoint_id)
    delivery = service.send_test(row, actor=current_agent())
    state = service.get_delivery(delivery.id).state
    if state == "succeeded":
        return done(url_for("webhooks_web.endpoint", endpoint_id=row.id), _("Test event delivered."), state=state)
    return form_failed(
        url_for("webhooks_web.endpoint", endpoint_id=row.id),
        _("The test event failed; see why in the log below."),
        status=502,
        code="delivery_failed",
    )


@bp.route("/<dbid:endpoint_id>/rotate", methods=["GET", "POST"])
@require("settings")
def rotate(endpoint_id):
    """Ask, then replace the signing secret."""
    row = _endpoint(endpoint_id)
    if request.method == "POST":
        _show_once(service.rotate_secret(row, actor=current_agent()))
        return done(url_for("webhooks_web.endpoint", endpoint_id=row.id), _("New secret made."))
    return render_template("webhooks/confirm.html", title=_("Rotate the secret"), endpoint=row, action="rotate")


@bp.route("/<dbid:endpoint_id>/delete", methods=["GET", "POST"])
@require("settings")
def delete(endpoint_id):
    """Ask, then remove the endpoint and its log."""
    row = _endpoint(endpoint_id)
    if request.method == "POST":
        service.delete_endpoint(row, actor=current_agent())
        return done(url_for("webhooks_web.index"), _("Endpoint deleted."))
    return render_template("webhooks/confirm.html", title=_("Delete the endpoint"), endpoint=row, action="delete")


@bp.get("/<dbid:endpoint_id>/deliveries/<dbid:delivery_id>")
@require("settings")
def delivery(endpoint_id, delivery_id):
    """One delivery: the exact body sent and what came back."""
    row = _endpoint(endpoint_id)
    try:
        item = service.get_delivery(delivery_id, endpoint=row)
    except ServiceError:
        abort(404)
    return render_template("webhooks/delivery.html", title=_("Delivery"), endpoint=row, delivery=item)


@bp.post("/<dbid:endpoint_id>/deliveries/<dbid:delivery_id>/resend")
@require("settings")
def resend(endpoint_id, delivery_id):
    """Send one delivery again now."""
    row = _endpoint(endpoint_id)
    try:
        item = service.get_delivery(delivery_id, endpoint=row)
    except ServiceError:
        abort(404)
    state = service.resend(item, actor=current_agent())
    message = _("Delivered.") if state == "succeeded" else _("Sent again; see the result in the log.")
    return done(url_for("webhooks_web.endpoint", endpoint_id=row.id), message, state=state)
