"""Sending one delivery. An attempt claims the row with a lease (two
workers never send it at once; a worker that dies leaves it to the retry
sweep once the lease ends), POSTs the frozen body outside any transaction,
then records what came back. Failures wait ``backoff_seconds * 2**(n-1)``
after attempt n, until ``max_attempts``; then the delivery is ``failed``."""

import datetime as dt
import logging
import time

import requests
from flask_babel import gettext as _

from app.plugin import after_commit, now, plugin_settings, write_transaction

from . import destinations, signing, transport
from .models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

# A claimed row is left to its worker this long (longer than any timeout).
LEASE = dt.timedelta(minutes=5)
# At most this much of an answer is read and kept in the log.
MAX_EXCERPT = 1000
CONNECT_TIMEOUT = 5


def backoff(attempt_no, base):
    """The wait after failed attempt ``attempt_no`` (1, 2, ...)."""
    return dt.timedelta(seconds=base * 2 ** max(attempt_no - 1, 0))


def _claim(delivery_id):
    at = now()
    with write_transaction():
        claimed = (
            WebhookDelivery.update(attempts=WebhookDelivery.attempts + 1, next_attempt_at=at + LEASE)
            .where(
                (WebhookDelivery.id == delivery_id)
                & (WebhookDelivery.state == "pending")
                & (WebhookDelivery.next_attempt_at <= at)
            )
            .execute()
        )
    return claimed


def _excerpt(response):
    """The first bytes of the answer as text, without reading the rest."""
    try:
        raw = next(response.iter_content(MAX_EXCERPT * 4), b"")
    except requests.RequestException:
        raw = b""
    # PostgreSQL text cannot hold NUL.
    return raw.decode("utf-8", errors="replace").replace("\x00", "")[:MAX_EXCERPT]


def post(endpoint, delivery, timeout):
    """POST the delivery to the endpoint; returns ``(status_code, excerpt,
    error)`` with ``status_code`` None when no answer came."""
    try:
        # DNS is asked once: the connection goes to the address checked.
        destination = destinations.check_destination(endpoint.url)
    except destinations.Refused as exc:
        return None, "", str(exc)
    body = delivery.body.encode()
    timestamp = int(now().replace(tzinfo=dt.UTC).timestamp())
    headers = signing.headers(endpoint.secret, delivery.uid, delivery.event_type, timestamp, body)
    try:
        # Redirects are never followed: a 3xx is a failed attempt, so a
        # receiver cannot bounce the signed body to another (unchecked) host.
        with (
            transport.session_for(destination) as session,
            session.post(
                endpoint.url,
                data=body,
                headers=headers,
                timeout=(CONNECT_TIMEOUT, timeout),
                allow_redirects=False,
                stream=True,
            ) as response,
        ):
            excerpt = _excerpt(response)
            status = response.status_code
    except requests.Timeout:
        return None, "", _("No answer within %(n)d seconds.", n=timeout)
    except requests.RequestException as exc:
        return None, "", _("Could not connect: %(error)s", error=type(exc).__name__)
    if 200 <= status < 300:
        return status, excerpt, ""
    if 300 <= status < 400:
        return status, excerpt, _("Redirects are not followed (%(status)d).", status=status)
    return status, excerpt, _("The endpoint answered %(status)d.", status=status)


def attempt(delivery_id, manual=False, retry=None):
    """Try to send one delivery now; returns its state afterwards
    (``succeeded``, ``pending`` or ``failed``), or None when it is gone.
    ``manual`` (a resend) makes one attempt: a failure is final. After a
    failure that will be retried, ``retry(delivery_id, seconds)`` is called
    once the new state is committed (the tasks module passes its scheduler;
    the minute sweep catches the retry either way)."""
    if not _claim(delivery_id):
        row = WebhookDelivery.get_or_none(WebhookDelivery.id == delivery_id)
        return row.state if row else None
    delivery = WebhookDelivery.get_or_none(WebhookDelivery.id == delivery_id)
    endpoint = WebhookEndpoint.get_or_none(WebhookEndpoint.id == delivery.endpoint_id) if delivery else None
    if delivery is None or endpoint is None:
        return None
    settings = plugin_settings("webhooks")
    started = time.monotonic()
    status, excerpt, error = post(endpoint, delivery, settings["timeout_seconds"])
    duration = int((time.monotonic() - started) * 1000)
    final_failure = manual or delivery.attempts >= settings["max_attempts"]
    if not error:
        state = "succeeded"
    else:
        state = "failed" if final_failure else "pending"
    wait = backoff(delivery.attempts, settings["backoff_seconds"])
    with write_transaction():
        WebhookDelivery.update(
            state=state,
            status_code=status,
            duration_ms=duration,
            error=error[:500],
            response_excerpt=excerpt,
            last_attempt_at=now(),
            next_attempt_at=now() + wait,
        ).where(WebhookDelivery.id == delivery.id).execute()
        if state == "pending" and retry is not None:
            after_commit(lambda: retry(delivery.id, int(wait.total_seconds())))
    if error:
        log.warning(
            "webhook delivery %s to endpoint %s failed (attempt %s%s): %s",
            delivery.uid,
            endpoint.id,
            delivery.attempts,
            ", giving up" if state == "failed" else "",
            error,
        )
    return state


def retry_due(limit=500, retry=None):
    """Attempt every pending delivery whose time has come (retries, and
    rows whose worker died); returns how many. ``retry`` as for
    :func:`attempt`."""
    due = [
        r.id
        for r in WebhookDelivery.select(WebhookDelivery.id)
        .where((WebhookDelivery.state == "pending") & (WebhookDelivery.next_attempt_at <= now()))
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
    ]
    for delivery_id in due:
        attempt(delivery_id, retry=retry)
    return len(due)
