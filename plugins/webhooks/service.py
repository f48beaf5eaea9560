"""Webhook endpoints and their delivery log: the domain logic behind the
settings page, the JSON API and the event hooks. Every change to an
endpoint is audit-logged (never with the secret in it)."""

from flask_babel import gettext as _

from app.plugin import (
    NotFound,
    ServiceError,
    after_commit,
    now,
    record_audit,
    valid_id,
    write_transaction,
)

from . import destinations, events, signing
from .models import WebhookDelivery, WebhookEndpoint

MAX_ENDPOINTS = 50
MAX_DESCRIPTION = 200
MAX_PAGE = 100


def _clean_events(selected):
    chosen = sorted(set(selected or ()))
    unknown = [e for e in chosen if e not in events.EVENT_TYPES]
    if unknown:
        raise ServiceError(_("Unknown event type: %(name)s.", name=unknown[0][:64]), field="events")
    if not chosen:
        raise ServiceError(_("Choose at least one event."), field="events")
    return chosen


def _clean_url(url):
    url = (url or "").strip()
    try:
        destinations.check_destination(url, resolve=False)
    except destinations.Refused as exc:
        raise ServiceError(str(exc), code="invalid_url", field="url") from None
    return url


def _clean_description(text):
    text = (text or "").strip()
    if len(text) > MAX_DESCRIPTION:
        raise ServiceError(_("Use at most %(n)d characters.", n=MAX_DESCRIPTION), field="description")
    return text


def endpoints():
    """Every endpoint, oldest first (there are at most ``MAX_ENDPOINTS``)."""
    return list(WebhookEndpoint.select().order_by(WebhookEndpoint.id).limit(MAX_ENDPOINTS))


def get_endpoint(endpoint_id):
    row = WebhookEndpoint.get_or_none(WebhookEndpoint.id == endpoint_id) if valid_id(endpoint_id) else None
    if row is None:
        raise NotFound(_("There is no such webhook endpoint."), code="not_found")
    return row


def create_endpoint(url, events_, description="", enabled=True, actor=None):
    """Register an endpoint with a fresh secret. Returns it; ``.secret`` is
    the only time the caller sees the secret in full."""
    url, chosen, description = _clean_url(url), _clean_events(events_), _clean_description(description)
    with write_transaction():
        if WebhookEndpoint.select().count() >= MAX_ENDPOINTS:
            raise ServiceError(_("At most %(n)d endpoints.", n=MAX_ENDPOINTS), code="too_many")
        endpoint = WebhookEndpoint.create(
            url=url,
            description=description,
            events=chosen,
            enabled=bool(enabled),
            secret=signing.new_secret(),
            created_by=actor,
        )
        record_audit(
            "webhooks.endpoint_created",
            target=url,
            details={"endpoint": endpoint.id, "events": chosen, "enabled": bool(enabled)},
            actor=actor,
        )
    return endpoint


def update_endpoint(endpoint, actor=None, **changes):
    """Change the URL, description, events or enabled flag (only those
    given). Returns the endpoint."""
    fields = {}
    if "url" in changes:
        fields["url"] = _clean_url(changes["url"])
    if "events" in changes:
        fields["events"] = _clean_events(changes["events"])
    if "description" in changes:
        fields["description"] = _clean_description(changes["description"])
    if "enabled" in changes:
        fields["enabled"] = bool(changes["enabled"])
    changed = {k: v for k, v in fields.items() if getattr(endpoint, k) != v}
    if not changed:
        return endpoint
    with write_transaction():
        WebhookEndpoint.update(updated_at=now(), **changed).where(WebhookEndpoint.id == endpoint.id).execute()
        details = {"endpoint": endpoint.id, "changed": sorted(changed)}
        if "url" in changed:
            details["old_url"] = endpoint.url
        record_audit("webhooks.endpoint_changed", target=changed.get("url", endpoint.url), details=details, actor=actor)
    return WebhookEndpoint.get_by_id(endpoint.id)


def rotate_secret(endpoint, actor=None):
    """Replace the endpoint's secret at once; returns the endpoint with the
    new secret (shown once). Attempts from now on are signed with it."""
    with write_transaction():
        WebhookEndpoint.update(secret=signing.new_secret(), secret_rotated_at=now(), updated_at=now()).where(
            WebhookEndpoint.id == endpoint.id
        ).execute()
        record_audit("webhooks.secret_rotated", target=endpoint.url, details={"endpoint": endpoint.id}, actor=actor)
    return WebhookEndpoint.get_by_id(endpoint.id)


def delete_endpoint(endpoint, actor=None):
    """Remove the endpoint and its delivery log; nothing more is sent to it."""
    with write_transaction():
        WebhookEndpoint.delete().where(WebhookEndpoint.id == endpoint.id).execute()
        record_audit("webhooks.endpoint_deleted", target=endpoint.url, details={"endpoint": endpoint.id}, actor=actor)


# --- deliveries ---------------------------------------------------------------


def _queue(rows):
    """Send the new rows once they are committed (the row is the outbox:
    should the enqueue or the worker be lost, the retry sweep sends it)."""
    from .tasks import deliver

    ids = [row.id for row in rows]
    after_commit(lambda: [deliver(i) for i in ids])


def enqueue_event(event_type, data):
    """One delivery row per enabled endpoint subscribed to ``event_type``,
    all carrying the same event; returns the rows."""
    subscribed = [
        e for e in WebhookEndpoint.select().where(WebhookEndpoint.enabled == True) if event_type in (e.events or [])
    ]
    if not subscribed:
        return []
    event_id, body = events.envelope(event_type, data)
    with write_transaction():
        rows = [
            WebhookDelivery.create(
                endpoint=e, uid=events.new_id("dlv"), event_id=event_id, event_type=event_type, body=body
            )
            for e in subscribed
        ]
        _queue(rows)
    return rows


def send_test(endpoint, actor=None):
    """The "Send test event" button: a ``webhook.test`` delivery to this
    endpoint (even when disabled or not subscribed to anything), attempted
    here and now so the merchant sees the answer at once. It is one
    attempt: a failed test is not retried (send another). Returns the row."""
    from .delivery import attempt

    event_id, body = events.sample_event(endpoint)
    with write_transaction():
        row = WebhookDelivery.create(
            endpoint=endpoint, uid=events.new_id("dlv"), event_id=event_id, event_type=events.TEST_EVENT, body=body
        )
    attempt(row.id, manual=True)
    return row


def get_delivery(delivery_id, endpoint=None):
    row = WebhookDelivery.get_or_none(WebhookDelivery.id == delivery_id) if valid_id(delivery_id) else None
    if row is None or (endpoint is not None and row.endpoint_id != endpoint.id):
        raise NotFound(_("There is no such delivery."), code="not_found")
    return row


def deliveries(endpoint=None, limit=50, cursor=None, state=None):
    """A page of the delivery log (one endpoint's, or every endpoint's),
    newest first; ``cursor`` is the previous page's ``next_cursor``.
    Returns ``(rows, next_cursor)``."""
    limit = max(1, min(int(limit), MAX_PAGE))
    query = WebhookDelivery.select()
    if endpoint is not None:
        query = query.where(WebhookDelivery.endpoint == endpoint.id)
    if cursor:
        if not (str(cursor).isdigit() and valid_id(int(cursor))):
            raise ServiceError(_("This cursor is not valid."), code="invalid_cursor", field="cursor")
        query = query.where(WebhookDelivery.id < int(cursor))
    if state:
        query = query.where(WebhookDelivery.state == state)
    rows = list(query.order_by(WebhookDelivery.id.desc()).limit(limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (str(rows[-1].id) if more and rows else None)


def resend(delivery, actor=None):
    """Send a delivery again now, with the same body and delivery id, once
    (a failure is not retried automatically again). Returns its state."""
    from .delivery import attempt

    with write_transaction():
        WebhookDelivery.update(state="pending", next_attempt_at=now()).where(
            WebhookDelivery.id == delivery.id
        ).execute()
        record_audit(
            "webhooks.delivery_resent",
            target=delivery.endpoint.url,
            details={"endpoint": delivery.endpoint_id, "delivery": delivery.uid},
            actor=actor,
        )
    return attempt(delivery.id, manual=True)
