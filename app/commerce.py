"""The commerce contract (interfaces.md §3): the records a shop platform
hands to the core, the :class:`CommerceProvider` base class a provider plugin
subclasses, and lookups in the plugin manager's ``{slug: class}`` registry of
providers (filled by ``helpline_register_commerce_providers``).

A provider turns its platform's orders and customer activity into
:class:`OrderData` and :class:`EventData` and stores them through
``app.services.commerce.upsert_order`` / ``upsert_event``; the core keeps
them, shows them beside tickets and, for the operations a provider supports,
calls it back (:meth:`CommerceProvider.edit_line_quantity`,
:meth:`CommerceProvider.cancel`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import ClassVar

import marshmallow

from .registry import EmptySettings, Registry

#: The order operations a provider may support.
EDIT_QUANTITY = "edit_quantity"
CANCEL = "cancel"
OPERATIONS = (EDIT_QUANTITY, CANCEL)


@dataclasses.dataclass
class CustomerRef:
    """Who the shop says the customer is. ``external_id`` is the provider's
    customer id, found again first; email and phone find a customer not
    linked yet only when ``verified`` says the provider proved they are this
    customer's. An unverified address (typed at a checkout, never
    confirmed) is kept on the customer's own profile as a claim and never
    attaches their orders to the customer who owns that address."""

    external_id: str | None = None
    email: str | None = None
    phone: str | None = None
    name: str | None = None
    verified: bool = True


@dataclasses.dataclass
class OrderLine:
    """One line of an order. Money is :class:`~decimal.Decimal` in the
    order's currency; ``total`` is the line total after line discounts."""

    external_id: str
    title: str
    quantity: int
    unit_price: Decimal
    total: Decimal
    sku: str | None = None
    variant: str | None = None


@dataclasses.dataclass
class OrderData:
    """An order as the provider knows it now.

    :param status: the order's overall state: ``open``, ``cancelled``,
        ``closed`` (or the provider's own word, up to 32 characters).
    :param updated_at: when the provider last changed the order; an update
        older than the stored one is ignored (webhooks arrive out of order).
    """

    external_id: str
    customer: CustomerRef
    lines: list[OrderLine]
    total: Decimal
    currency: str
    status: str
    placed_at: dt.datetime
    name: str | None = None
    subtotal: Decimal | None = None
    financial_status: str | None = None
    fulfillment_status: str | None = None
    cancelled_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    url: str | None = None


@dataclasses.dataclass
class EventData:
    """Something the customer did (``metric``: "Viewed Product", "Added to
    Cart", ...), with free-form JSON ``properties``."""

    external_id: str
    metric: str
    occurred_at: dt.datetime
    customer: CustomerRef
    properties: dict = dataclasses.field(default_factory=dict)


class ProviderRefusal(Exception):
    """The provider refused an operation; ``message`` is its own reason,
    shown to the agent unchanged ("Order is already fulfilled")."""

    def __init__(self, message):
        super().__init__(message)
        self.message = str(message)


class CommerceProvider:
    """Base class for shop-platform plugins. Subclasses set ``slug`` and
    ``label`` and override the operations they support; an instance carries
    its plugin's settings."""

    slug: ClassVar[str] = ""
    label: ClassVar[str] = ""
    settings_schema: ClassVar[type[marshmallow.Schema]] = EmptySettings
    #: Set by the registry: the plugin that registered this class.
    plugin: ClassVar[str] = ""

    def __init__(self, settings: dict | None = None):
        self.settings = settings or {}

    def operations(self, order) -> set[str]:
        """The operations (:data:`OPERATIONS`) possible on this stored
        :class:`app.models.Order` now. Called while rendering, so it must
        decide from the stored order alone, without calling the platform."""
        return set()

    def edit_line_quantity(self, order, line_external_id, quantity, actor) -> OrderData:
        """Change one line's quantity at the platform; return the order as it
        is afterwards. Raise :class:`ProviderRefusal` when the platform says no."""
        raise ProviderRefusal(f"{self.label or self.slug} cannot edit orders.")

    def cancel(self, order, actor, reason, refund, restock, notify) -> OrderData:
        """Cancel the order at the platform (``refund``/``restock``/``notify``
        as the agent chose); return the order as it is afterwards. Raise
        :class:`ProviderRefusal` when the platform says no."""
        raise ProviderRefusal(f"{self.label or self.slug} cannot cancel orders.")


def providers(app=None) -> Registry:
    """``{slug: class}`` of every loaded plugin's commerce providers
    (``helpline_register_commerce_providers``), kept by the plugin manager."""
    from .plugins import get_plugins

    return get_plugins(app).commerce_providers


def provider(slug, app=None) -> CommerceProvider | None:
    """An instance of the provider with its plugin's settings, or None when
    the provider is unknown or its plugin is not live."""
    from .plugins import get_plugins

    return get_plugins(app).commerce_provider(slug)
