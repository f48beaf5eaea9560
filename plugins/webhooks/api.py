"""The webhooks REST API at /api/v1/webhooks (owners and admins). Views
only translate HTTP to :mod:`plugins.webhooks.service` calls and back."""

from flask_smorest import Blueprint

from app.plugin import current_agent, require

from . import schemas, service, signing
from .events import EVENT_TYPES

bp = Blueprint(
    "webhooks",
    __name__,
    url_prefix="/webhooks",
    description="Outgoing webhooks: endpoints, their signing secrets and their delivery log.",
)


def endpoint_out(endpoint, with_secret=False):
    out = {
        "id": endpoint.id,
        "url": endpoint.url,
        "description": endpoint.description,
        "events": endpoint.events,
        "enabled": endpoint.enabled,
        "secret_hint": signing.mask(endpoint.secret),
        "secret_rotated_at": endpoint.secret_rotated_at,
        "created_at": endpoint.created_at,
        "updated_at": endpoint.updated_at,
    }
    if with_secret:
        out["secret"] = endpoint.secret
    return out


def delivery_out(row, with_body=False):
    out = {
        "id": row.id,
        "uid": row.uid,
        "endpoint_id": row.endpoint_id,
        "event_id": row.event_id,
        "event_type": row.event_type,
        "state": row.state,
        "attempts": row.attempts,
        "status_code": row.status_code,
        "duration_ms": row.duration_ms,
        "error": row.error,
        "response_excerpt": row.response_excerpt,
        "next_attempt_at": row.next_attempt_at if row.state == "pending" else None,
        "last_attempt_at": row.last_attempt_at,
        "created_at": row.created_at,
    }
    if with_body:
        out["body"] = row.body
    return out


@bp.route("/event-types")
@require("settings")
@bp.response(200, schemas.EventTypeListSchema)
def event_types():
    """The events an endpoint can subscribe to."""
    return {"items": [{"name": name, "label": str(label)} for name, label in sorted(EVENT_TYPES.items())]}


@bp.route("/endpoints")
@require("settings")
@bp.response(200, schemas.EndpointListSchema)
def list_endpoints():
    """Every endpoint (at most 50), oldest first; secrets masked."""
    return {"items": [endpoint_out(e) for e in service.endpoints()]}


@bp.route("/endpoints", methods=["POST"])
@require("settings")
@bp.arguments(schemas.EndpointInSchema)
@bp.response(201, schemas.EndpointWithSecretSchema)
def create_endpoint(data):
    """Register an endpoint. The answer carries its signing secret in full:
    the only time it is shown."""
    endpoint = service.create_endpoint(
        data["url"], data["events"], data["description"], data["enabled"], actor=current_agent()
    )
    return endpoint_out(endpoint, with_secret=True)


@bp.route("/endpoints/<int(min=1, max=2147483647):endpoint_id>")
@require("settings")
@bp.response(200, schemas.EndpointSchema)
def get_endpoint(endpoint_id):
    return endpoint_out(service.get_endpoint(endpoint_id))


@bp.route("/endpoints/<int(min=1, max=2147483647):endpoint_id>", methods=["PATCH"])
@require("settings")
@bp.arguments(schemas.EndpointPatchSchema)
@bp.response(200, schemas.EndpointSchema)
def update_endpoint(data, endpoint_id):
    """Change the URL, description, events or enabled flag."""
    endpoint = service.update_endpoint(service.get_endpoint(endpoint_id), actor=current_agent(), **data)
    return endpoint_out(endpoint)


@bp.route("/endpoints/<int(min=1, max=2147483647):endpoint_id>", methods=["DELETE"])
@require("settings")
@bp.response(204)
def delete_endpoint(endpoint_id):
    """Remove the endpoint and its delivery log."""
    service.delete_endpoint(service.get_endpoint(endpoint_id), actor=current_agent())


@bp.route("/endpoints/<int(min=1, max=2147483647):endpoint_id>/rotate-secret", methods=["POST"])
@require("settings")
@bp.response(200, schemas.EndpointWithSecretSchema)
def rotate_secret(endpoint_id):
    """Replace the signing secret now; the answer carries the new one in full."""
    endpoint = service.rotate_secret(service.get_endpoint(endpoint_id), actor=current_agent())
    return endpoint_out(endpoint, with_secret=True)


@bp.route("/endpoints/<int(min=1, max=2147483647):endpoint_id>/test", methods=["POST"])
@require("settings")
@bp.response(201, schemas.DeliverySchema)
def send_test(endpoint_id):
    """Send a ``webhook.test`` event to the endpoint now, once; the answer
    is the delivery after that attempt (``succeeded`` or ``failed``)."""
    row = service.send_test(service.get_endpoint(endpoint_id), actor=current_agent())
    return delivery_out(service.get_delivery(row.id))


@bp.route("/deliveries")
@require("settings")
@bp.arguments(schemas.DeliveryListQuerySchema, location="query")
@bp.response(200, schemas.DeliveryListSchema)
def list_deliveries(query):
    """The delivery log, newest first, with keyset pagination: every
    endpoint's, or one endpoint's (``endpoint_id``)."""
    endpoint = service.get_endpoint(query["endpoint_id"]) if query.get("endpoint_id") else None
    rows, next_cursor = service.deliveries(
        endpoint, limit=query["limit"], cursor=query.get("cursor"), state=query.get("state")
    )
    return {"items": [delivery_out(r) for r in rows], "next_cursor": next_cursor}


@bp.route("/deliveries/<int(min=1, max=2147483647):delivery_id>")
@require("settings")
@bp.response(200, schemas.DeliveryDetailSchema)
def get_delivery(delivery_id):
    """One delivery with the exact body it sends."""
    return delivery_out(service.get_delivery(delivery_id), with_body=True)


@bp.route("/deliveries/<int(min=1, max=2147483647):delivery_id>/resend", methods=["POST"])
@require("settings")
@bp.response(200, schemas.DeliverySchema)
def resend(delivery_id):
    """Send the delivery again now (same body, same delivery id), once."""
    row = service.get_delivery(delivery_id)
    service.resend(row, actor=current_agent())
    return delivery_out(service.get_delivery(delivery_id))
