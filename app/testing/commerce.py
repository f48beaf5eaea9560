"""Commerce in the test kit: :class:`CommerceProviderContract`, the contract
test class a commerce provider plugin subclasses, and
:class:`FakeCommercePlugin`, a provider whose "shop" lives in memory (for
tests of the core's order panels and operations without a real platform).

Example::

    class TestWooCommerce(CommerceProviderContract):
        plugin_name = slug = "woocommerce"

        @pytest.fixture
        def commerce_env(self, app, fake_woo_server):
            ...  # settings pointing at the fake server; return what the methods need

        def deliver_order(self, env, client, key, email, quantity=2, updated_at=None):
            ...  # POST a signed order webhook through the plugin's endpoint;
            return order_id  # the platform's id of the order it reported

        def refuse_next(self, env, message):
            ...  # make the fake server refuse the next change with ``message``
"""

from __future__ import annotations

import abc
import copy
import datetime as dt
import itertools
from decimal import Decimal

import marshmallow
import pytest

from ..commerce import (
    CANCEL,
    EDIT_QUANTITY,
    OPERATIONS,
    CommerceProvider,
    CustomerRef,
    EventData,
    OrderData,
    OrderLine,
    ProviderRefusal,
    providers,
)
from ..hookspecs import hookimpl
from ..models import Activity, Message, Order
from .contracts import check_settings_validation


class CommerceProviderContract(abc.ABC):
    """What every commerce provider plugin must do (docs/commerce.md)."""

    plugin_name: str = ""
    slug: str = ""
    #: The operations the provider offers on an open, unfulfilled order.
    operations: tuple = OPERATIONS
    #: settings that must validate
    valid_settings: dict = {}
    #: settings that must be refused; every key must appear in the errors
    invalid_settings: dict = {}

    # --- to implement -------------------------------------------------
    @pytest.fixture
    def commerce_env(self, app):
        """Set the provider up (settings, fake platform servers); return
        whatever the methods below need."""
        return None

    @abc.abstractmethod
    def deliver_order(self, env, client, key, email, quantity=2, updated_at=None):
        """Make the platform report an open, unfulfilled order through the
        plugin's real entry point (a webhook, a sync task): one line of
        ``quantity`` items, for a customer with this email, last changed at
        ``updated_at`` (a naive UTC datetime; now when None). ``key`` is the
        contract's name for the order: the same key again means the same
        order, reported again (changed or not). Return the order's id as the
        platform numbers it (what the plugin stores as ``external_id``)."""

    @abc.abstractmethod
    def refuse_next(self, env, message):
        """Make the platform refuse the next order change with ``message``."""

    # --- helpers ---------------------------------------------------------
    def _order(self, external_id):
        return Order.get((Order.source == self.slug) & (Order.external_id == str(external_id)))

    def _ticket_for(self, fake_channel, email):
        return fake_channel.receive("About my order", email=email).ticket

    # --- the contract ------------------------------------------------------
    def test_provider_is_registered(self, app, commerce_env):
        cls = providers(app)[self.slug]
        assert issubclass(cls, CommerceProvider)
        assert cls.plugin == self.plugin_name
        assert cls.label

    def test_order_delivery_is_idempotent(self, app, client, commerce_env):
        delivered = {self.deliver_order(commerce_env, client, "contract-1", "buyer1@example.net") for _ in range(3)}
        assert len(delivered) == 1, "the platform reported one order"
        rows = Order.select().where((Order.source == self.slug) & (Order.external_id == str(delivered.pop())))
        assert rows.count() == 1
        order = rows.get()
        assert order.profile.email == "buyer1@example.net"
        assert [line["quantity"] for line in order.lines] == [2]
        assert order.status == "open"

    def test_an_older_update_changes_nothing(self, app, client, commerce_env, clock):
        later = clock.now() + dt.timedelta(minutes=5)
        order_id = self.deliver_order(
            commerce_env, client, "contract-2", "buyer2@example.net", quantity=3, updated_at=later
        )
        self.deliver_order(commerce_env, client, "contract-2", "buyer2@example.net", quantity=1, updated_at=clock.now())
        assert [line["quantity"] for line in self._order(order_id).lines] == [3]

    def test_offered_operations(self, app, client, commerce_env):
        from ..commerce import provider

        order_id = self.deliver_order(commerce_env, client, "contract-3", "buyer3@example.net")
        assert provider(self.slug).operations(self._order(order_id)) == set(self.operations)

    def test_edit_quantity_round_trip(self, app, client, commerce_env, fake_channel, make_agent):
        from ..services.commerce import order_operation

        order_id = self.deliver_order(commerce_env, client, "contract-4", "buyer4@example.net", quantity=2)
        order = self._order(order_id)
        ticket = self._ticket_for(fake_channel, "buyer4@example.net")
        assert ticket.profile_id == order.profile_id, "the order's customer is the ticket's customer (by email)"
        agent = make_agent(role="manager", name="Mia Manager")
        line = order.lines[0]
        if EDIT_QUANTITY not in self.operations:
            with pytest.raises(Exception) as refused:
                order_operation(order, EDIT_QUANTITY, agent, ticket, line_external_id=line["external_id"], quantity=1)
            assert getattr(refused.value, "code", None) == "operation_unavailable"
            return
        stored = order_operation(order, EDIT_QUANTITY, agent, ticket, line_external_id=line["external_id"], quantity=1)
        assert [x["quantity"] for x in Order.get_by_id(stored.id).lines] == [1]
        notice = Message.select().where((Message.ticket == ticket.id) & (Message.kind == "notice")).get()
        assert "2 → 1" in notice.text and "Mia Manager" in notice.text
        assert (
            Activity.select().where(Activity.ticket == ticket.id, Activity.action == "order_quantity_changed").exists()
        )

    def test_cancel_round_trip(self, app, client, commerce_env, fake_channel, make_agent):
        from ..services.commerce import order_operation

        order_id = self.deliver_order(commerce_env, client, "contract-5", "buyer5@example.net")
        order = self._order(order_id)
        ticket = self._ticket_for(fake_channel, "buyer5@example.net")
        agent = make_agent(role="admin", name="Ada Admin")
        if CANCEL not in self.operations:
            with pytest.raises(Exception) as refused:
                order_operation(order, CANCEL, agent, ticket, reason="customer")
            assert getattr(refused.value, "code", None) == "operation_unavailable"
            return
        order_operation(order, CANCEL, agent, ticket, reason="customer", refund=True, restock=True, notify=True)
        stored = self._order(order_id)
        assert stored.status == "cancelled" and stored.cancelled_at is not None
        notice = Message.select().where((Message.ticket == ticket.id) & (Message.kind == "notice")).get()
        assert "cancelled by Ada Admin" in notice.text

    def test_refusal_reaches_the_agent_unchanged(self, app, client, commerce_env, fake_channel, make_agent):
        from ..services.commerce import order_operation

        order_id = self.deliver_order(commerce_env, client, "contract-6", "buyer6@example.net")
        order = self._order(order_id)
        ticket = self._ticket_for(fake_channel, "buyer6@example.net")
        operation = self.operations[0] if self.operations else None
        if operation is None:
            assert provider_operations_are_empty(self.slug, order)
            return
        self.refuse_next(commerce_env, "The order was already fulfilled.")
        params = (
            {"line_external_id": order.lines[0]["external_id"], "quantity": 1}
            if operation == EDIT_QUANTITY
            else {"reason": "customer"}
        )
        with pytest.raises(ProviderRefusal) as refused:
            order_operation(order, operation, make_agent(role="owner"), ticket, **params)
        assert "The order was already fulfilled." in refused.value.message
        after = self._order(order_id)
        assert after.lines == order.lines and after.status == order.status
        assert not Message.select().where((Message.ticket == ticket.id) & (Message.kind == "notice")).exists()

    def test_settings_validation(self, app, commerce_env):
        check_settings_validation(app, self.plugin_name, self.valid_settings, self.invalid_settings)


def provider_operations_are_empty(slug, order):
    from ..commerce import provider

    return provider(slug).operations(order) == set()


# --- a provider whose shop lives in memory ---------------------------------------


class FakeCommerceSettings(marshmallow.Schema):
    shop_name = marshmallow.fields.String(load_default="Fake shop", validate=marshmallow.validate.Length(max=100))


class FakeCommercePlugin:
    """A plugin object providing one commerce provider (``fakeshop``). The
    "shop" is ``self.orders`` (``{external_id: OrderData}``); orders and
    events reach Helpline through :meth:`place` / :meth:`track`, as a
    provider's webhooks would. ``calls`` records every operation asked of the
    shop; :meth:`refuse_next` makes the next one fail with a message.
    Fulfilled or cancelled orders cannot be changed."""

    def __init__(self, slug="fakeshop", label="Fake shop"):
        self.slug = slug
        self.orders: dict[str, OrderData] = {}
        self.calls: list[tuple] = []
        self.refusals: list[str] = []
        self._ids = itertools.count(1001)
        plugin = self

        class _FakeProvider(CommerceProvider):
            def operations(self, order):
                if order.status != "open" or order.fulfillment_status == "fulfilled":
                    return set()
                return {EDIT_QUANTITY, CANCEL}

            def edit_line_quantity(self, order, line_external_id, quantity, actor):
                plugin.calls.append((EDIT_QUANTITY, order.external_id, line_external_id, quantity, actor.email))
                return plugin._change(order.external_id, lambda data: _set_quantity(data, line_external_id, quantity))

            def cancel(self, order, actor, reason, refund, restock, notify):
                plugin.calls.append((CANCEL, order.external_id, reason, refund, restock, notify, actor.email))
                return plugin._change(order.external_id, _cancel)

        _FakeProvider.slug = slug
        _FakeProvider.label = label
        self.provider_class = _FakeProvider

    @hookimpl
    def helpline_register_commerce_providers(self):
        return [self.provider_class]

    @hookimpl
    def helpline_register_settings(self):
        return FakeCommerceSettings

    def refuse_next(self, message):
        self.refusals.append(message)

    def order(
        self,
        email="customer@example.net",
        lines=(("Blue mug", 2, "12.50"),),
        external_id=None,
        customer_id=None,
        name=None,
        currency="EUR",
        status="open",
        fulfillment_status=None,
        placed_at=None,
        updated_at=None,
    ) -> OrderData:
        """An OrderData as the shop would report it; ``lines`` are
        ``(title, quantity, unit price)``."""
        from ..clock import now

        number = next(self._ids)
        external_id = external_id or f"fake-order-{number}"
        data = OrderData(
            external_id=external_id,
            customer=CustomerRef(external_id=customer_id, email=email, name=None),
            lines=[
                OrderLine(
                    external_id=f"{external_id}-line-{n}",
                    title=title,
                    quantity=quantity,
                    unit_price=Decimal(price),
                    total=Decimal(price) * quantity,
                    sku=f"SKU-{n}",
                )
                for n, (title, quantity, price) in enumerate(lines, 1)
            ],
            total=Decimal(0),
            currency=currency,
            status=status,
            placed_at=placed_at or now(),
            name=name or f"#{number}",
            financial_status="paid",
            fulfillment_status=fulfillment_status,
            updated_at=updated_at or now(),
        )
        _retotal(data)
        return data

    def place(self, data: OrderData | None = None, **kwargs):
        """Put an order in the shop and deliver it to Helpline; returns the stored Order."""
        from ..services.commerce import upsert_order

        data = data or self.order(**kwargs)
        self.orders[data.external_id] = copy.deepcopy(data)
        return upsert_order(self.slug, data)

    def track(self, metric, email="customer@example.net", occurred_at=None, external_id=None, **properties):
        """Deliver a customer event; returns the stored ProfileEvent."""
        from ..clock import now
        from ..services.commerce import upsert_event

        return upsert_event(
            self.slug,
            EventData(
                external_id=external_id or f"fake-event-{next(self._ids)}",
                metric=metric,
                occurred_at=occurred_at or now(),
                customer=CustomerRef(email=email),
                properties=properties,
            ),
        )

    def _change(self, external_id, change):
        from ..clock import now

        if self.refusals:
            raise ProviderRefusal(self.refusals.pop(0))
        data = self.orders.get(external_id)
        if data is None:
            raise ProviderRefusal("Order not found in the shop.")
        data = copy.deepcopy(data)
        change(data)
        # The shop's clock ticks at least a second per change, so the answer
        # is always newer than what Helpline stored.
        data.updated_at = max(now(), (data.updated_at or now()) + dt.timedelta(seconds=1))
        _retotal(data)
        self.orders[external_id] = data
        return copy.deepcopy(data)


def _retotal(data):
    for line in data.lines:
        line.total = line.unit_price * line.quantity
    data.subtotal = sum((line.total for line in data.lines), Decimal(0))
    data.total = data.subtotal


def _set_quantity(data, line_external_id, quantity):
    for line in data.lines:
        if line.external_id == line_external_id:
            line.quantity = quantity
            return
    raise ProviderRefusal("The line is not in this order.")


def _cancel(data):
    from ..clock import now

    if data.status == "cancelled":
        raise ProviderRefusal("The order is already cancelled.")
    data.status = "cancelled"
    data.cancelled_at = now()
    data.financial_status = "refunded"


__all__ = ["CommerceProviderContract", "FakeCommercePlugin"]
