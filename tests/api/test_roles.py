"""Every operation of the OpenAPI document x every role (and anonymous):
the answer is allowed or denied exactly as DESIGN.md §6 says. Operations are
read from the generated document, so a new endpoint is covered as soon as it
exists, and one that does not declare its permission fails here."""

import pytest
from flask import current_app

from app.auth import create_token
from app.models import Activity, Message, SavedView
from app.plugins import get_plugins
from app.services import identities, notifications, tickets
from app.services.commerce import upsert_order
from app.services.event_views import create_view as create_event_view
from app.services.views import create_view
from app.testing.commerce import FakeCommercePlugin

# DESIGN.md §6, written out again on purpose: the test must not trust the
# table it checks (app.permissions and the plugins' declarations).
INBOX = {"owner", "admin", "manager", "support"}
EXPECTED = {
    "public": INBOX | {"analyst", "content_creator", None},
    "authenticated": INBOX | {"analyst", "content_creator"},
    "inbox": INBOX,
    "reports.read": INBOX,
    "shared_views": {"owner", "admin", "manager"},
    "shared_macros": {"owner", "admin", "manager"},
    "reports": {"owner", "admin", "manager"},
    "settings": {"owner", "admin"},
    "plugins": {"owner", "admin"},
    "agents": {"owner", "admin"},
    "audit_log": {"owner"},
    "orders.edit": {"owner", "admin", "manager"},
    "commerce.import": {"owner", "admin"},
}
# The core's operations and what each needs, from DESIGN.md §6 and the API
# issue. An operation not listed here (a plugin's, or a new one) is checked
# against the permission it declares.
V = "/api/v1"
CORE_OPERATIONS = {
    ("GET", V + "/tickets"): "inbox",
    ("GET", V + "/tickets/{ticket_id}"): "inbox",
    ("PATCH", V + "/tickets/{ticket_id}"): "inbox",
    ("GET", V + "/tickets/{ticket_id}/messages"): "inbox",
    ("POST", V + "/tickets/{ticket_id}/messages"): "inbox",
    ("PUT", V + "/tickets/{ticket_id}/read"): "inbox",
    ("GET", V + "/tickets/{ticket_id}/activities"): "inbox",
    ("POST", V + "/tickets/{ticket_id}/activities/{activity_id}/undo"): "inbox",
    ("POST", V + "/tickets/{ticket_id}/merge"): "inbox",
    ("POST", V + "/tickets/{ticket_id}/unmerge"): "inbox",
    ("POST", V + "/tickets/{ticket_id}/split"): "inbox",
    ("POST", V + "/tickets/bulk"): "inbox",
    ("GET", V + "/views"): "inbox",
    ("POST", V + "/views"): "inbox",  # sharing needs shared_views: test_resources
    ("GET", V + "/views/{view_id}"): "inbox",
    ("PATCH", V + "/views/{view_id}"): "inbox",
    ("DELETE", V + "/views/{view_id}"): "inbox",
    ("GET", V + "/agents"): "inbox",
    ("GET", V + "/agents/{agent_id}"): "inbox",
    ("POST", V + "/agents"): "agents",
    ("PATCH", V + "/agents/{agent_id}"): "agents",
    ("DELETE", V + "/agents/{agent_id}"): "agents",
    ("GET", V + "/audit"): "audit_log",
    ("GET", V + "/me"): "authenticated",
    ("PUT", V + "/me/presence"): "inbox",
    ("GET", V + "/profiles/{profile_id}"): "inbox",
    ("POST", V + "/profiles/{profile_id}/identities/{identity_id}/verify"): "inbox",
    ("GET", V + "/plugins"): "plugins",
    ("POST", V + "/plugins/{name}/enable"): "plugins",
    ("POST", V + "/plugins/{name}/disable"): "plugins",
    ("GET", V + "/settings/{plugin}"): "settings",
    ("PUT", V + "/settings/{plugin}"): "settings",
    ("GET", V + "/session"): "public",
    ("POST", V + "/session"): "public",
    ("DELETE", V + "/session"): "public",
    ("GET", V + "/tokens"): "authenticated",
    ("POST", V + "/tokens"): "authenticated",
    ("DELETE", V + "/tokens/{token_id}"): "authenticated",
    ("GET", V + "/profiles/{profile_id}/orders"): "inbox",
    ("POST", V + "/profiles/{profile_id}/orders"): "commerce.import",
    ("GET", V + "/profiles/{profile_id}/events"): "inbox",
    ("POST", V + "/profiles/{profile_id}/events"): "commerce.import",
    ("GET", V + "/profiles/{profile_id}/event-metrics"): "inbox",
    ("POST", V + "/orders/bulk"): "commerce.import",
    ("POST", V + "/events/bulk"): "commerce.import",
    ("GET", V + "/orders/{order_id}"): "inbox",
    ("POST", V + "/orders/{order_id}/edit-quantity"): "orders.edit",
    ("POST", V + "/orders/{order_id}/cancel"): "orders.edit",
    ("GET", V + "/event-views"): "inbox",
    ("POST", V + "/event-views"): "inbox",
    ("DELETE", V + "/event-views/{event_view_id}"): "inbox",
    ("GET", V + "/notifications"): "inbox",
    ("POST", V + "/notifications/{notification_id}/read"): "inbox",
    ("POST", V + "/notifications/read-all"): "inbox",
    ("GET", V + "/notifications/preferences"): "inbox",
    ("PUT", V + "/notifications/preferences"): "inbox",
}
SITE_KEY = "wc_roles_walk_site_key_0001"
CASES = ("owner", "admin", "manager", "support", "analyst", "content_creator", None)  # None: anonymous


class DummyPlugin:
    """A plugin with nothing but a name, to toggle in the walk."""


def operations(spec):
    for path, item in sorted(spec["paths"].items()):
        for method, op in item.items():
            if isinstance(op, dict) and "responses" in op:
                yield method.upper(), path, op


def targets(make_agent, actor, ticket):
    """Path parameter values that exist and that the actor may touch."""
    owner = actor or make_agent(role="owner", password=None)
    view = create_view(owner, "Mine", {"status": ["open"]})
    token, _ = create_token(owner, "to revoke")
    # Path values of first-party plugin endpoints (the macros plugin's API).
    from plugins.macros import service as macros

    user = owner if owner.role in INBOX else make_agent(role="owner", password=None)
    macro = macros.create(user, "Thanks", "Thanks {{ customer.first_name }}")
    job = macros.start_bulk(macro, [ticket.id], user)
    claim = identities.link(ticket.profile, "email", "typed-in-chat@example.net", verified=False)
    # ... and of the web chat widget's (a site key, a conversation and its visitor token).
    from plugins.webchat import conversations as chats

    get_plugins().set_settings("webchat", {"site_keys": [SITE_KEY]})
    chat, visitor_token = chats.start(SITE_KEY, "Ada")
    order = upsert_order("api", FakeCommercePlugin().order(email=ticket.profile.email), profile=ticket.profile)
    # ... and of the email plugin's (an inbound email with its original).
    from plugins.email.inbound import receive

    mail = b"From: Ann <ann@example.net>\r\nMessage-ID: <roles@example.net>\r\nSubject: Hi\r\n\r\nHello\r\n"
    email_message = receive(mail, get_plugins().get_settings("email"))
    # ... and of the webhooks plugin's (off by default: on for the walk), aimed at a closed local port so a
    # test event or resend fails at once without leaving the machine.
    from plugins.webhooks import service as webhooks

    get_plugins().set_enabled("webhooks", True)
    current_app.config["WEBHOOKS_ALLOW_PRIVATE_DESTINATIONS"] = True
    hook = webhooks.create_endpoint("http://127.0.0.1:9/hooks", ["ticket.created"], actor=user)
    delivery = webhooks.send_test(hook, actor=user)
    # An agent's own assignment: not automatic, so its undo answers 409.
    tickets.assign(ticket, user, actor=user)
    activity = Activity.select().where(Activity.ticket == ticket.id).order_by(Activity.id.desc()).first()
    return {
        "ticket_id": ticket.id,
        "activity_id": activity.id,
        "view_id": view.id,
        "agent_id": make_agent(role="support", password=None).id,
        "token_id": token.id,
        "profile_id": ticket.profile_id,
        "identity_id": claim.id,
        "name": "dummy",
        "plugin": "core",
        "macro_id": macro.id,
        "job_id": job.id,
        "cid": chat.public_id,
        "message_id": Message.get(Message.external_id == email_message.message_id).id,
        # query and header parameters an operation documents
        "key": SITE_KEY,
        "X-Webchat-Token": visitor_token,
        "order_id": order.id,
        "event_view_id": create_event_view(user, "Carts", "Added to Cart").id,
        "notification_id": notifications.notify([user.id], "assigned", ticket)[0].id,
        "endpoint_id": hook.id,
        "delivery_id": delivery.id,
    }


def parameters(op, values, where):
    """Values for the operation's documented query or header parameters."""
    return {p["name"]: values[p["name"]] for p in op.get("parameters", []) if p["in"] == where and p["name"] in values}


@pytest.mark.parametrize("role", CASES, ids=lambda r: r or "anonymous")
def test_every_operation_for_role(app, client, role, make_agent, bearer, register_plugin, ticket):
    register_plugin(DummyPlugin(), "dummy")
    spec = client.get("/api/v1/openapi.json").get_json()
    actor = make_agent(role=role, password=None) if role else None
    headers = bearer(actor) if actor else {}
    values = targets(make_agent, actor, ticket)
    problems, walked = [], 0
    for method, path, op in operations(spec):
        permission = CORE_OPERATIONS.get((method, path), op.get("x-permission"))
        if op.get("x-permission") != permission:
            problems.append(f"{method} {path}: documents {op.get('x-permission')!r}, must need {permission!r}")
        if permission not in EXPECTED:
            problems.append(f"{method} {path}: declares no known x-permission ({permission!r})")
            continue
        url = path.format(**values)
        kwargs = {"json": {}} if "requestBody" in op else {}
        response = client.open(
            url,
            method=method,
            headers={**headers, **parameters(op, values, "header")},
            query_string=parameters(op, values, "query"),
            **kwargs,
        )
        walked += 1
        allowed = role in EXPECTED[permission]
        status = response.status_code
        if status >= 500:
            problems.append(f"{method} {path} as {role}: {status}")
        elif not allowed:
            want = 401 if role is None else 403
            body = response.get_json(silent=True) or {}
            if status != want or body.get("error", {}).get("code") not in ("unauthorized", "forbidden"):
                problems.append(f"{method} {path} as {role}: expected {want}, got {status} {body}")
        elif status in (401, 403):
            problems.append(f"{method} {path} as {role}: denied ({status}) but {permission} allows it")
        elif method == "GET" and status != 200:
            problems.append(f"{method} {path} as {role}: expected 200, got {status} {response.get_json()}")
    documented = {(method, path) for method, path, _ in operations(spec)}
    assert set(CORE_OPERATIONS) <= documented, f"missing: {set(CORE_OPERATIONS) - documented}"
    assert not problems, "\n".join(problems)


def test_saved_views_of_others_stay_private(client, make_agent, bearer):
    mine = make_agent(role="support", password=None)
    other = make_agent(role="support", password=None)
    view = create_view(other, "Theirs", {})
    response = client.get(f"/api/v1/views/{view.id}", headers=bearer(mine))
    assert response.status_code == 404
    assert SavedView.get_by_id(view.id).name == "Theirs"
