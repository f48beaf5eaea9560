"""The core's customer panel: what the customer bought and did, from stored
orders and events (never a call to a shop during a page render). Shown
beside a ticket when the customer has any order or event; the figures come
from ``app.services.customer_history.summary``."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .clock import utc_iso
from .models import Order, ProfileEvent
from .registry import Panel


class CommercePanel(Panel):
    slug = "commerce"
    title = _l("Orders and events")
    template = "web/panel_commerce.html"

    def eligible(self, profile) -> bool:
        return (
            Order.select().where(Order.profile == profile.id).exists()
            or ProfileEvent.select().where(ProfileEvent.profile == profile.id).exists()
        )

    def render_data(self, profile):
        """``{orders_count, total_spent: [{currency, amount}], events_count,
        tickets_count, last_order_at}`` (amounts as decimal strings, times
        ISO 8601 UTC)."""
        from .services.customer_history import summary

        data = summary(profile)
        data["total_spent"] = [{"currency": t["currency"], "amount": f"{t['amount']:.2f}"} for t in data["total_spent"]]
        last = data["last_order_at"]
        data["last_order_at"] = utc_iso(last)
        return data
