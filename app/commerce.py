"""The commerce contract (interfaces.md §3): the records a shop platform
hands to the core, the :class:`CommerceProvider` base class a provider plugin
subclasses, and the ``{slug: class}`` registry of providers.

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
import logging
from decimal import Decimal
from typing import ClassVar

import marshmallow

from .hookspecs import hookspec
from .registry import EmptySettings, Registry

log = logging.getLogger(__name__)

#: The order operations a provider may support.
EDIT_QUANTITY = "edit_quantity"
CANCEL = "cancel"
OPERATIONS = (EDIT_QUANTITY, CANCEL)


@dataclasses.dataclass
class CustomerRef:
    """Who the shop says the customer is. ``external_id`` is the provider's
    customer id; email and phone are used when no identity is linked yet."""

    external_id: str | None = None
    email: str | None = None
    phone: str | None = None
    name: str | None = None


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


class CommerceHookSpecs:
    """Hooks of the commerce contract (added to the plugin manager by the core plugin)."""

    @hookspec
    def helpline_register_commerce_providers():
        """Return :class:`app.commerce.CommerceProvider` subclasses this plugin provides."""


def providers(app=None) -> Registry:
    """``{slug: class}`` of every loaded plugin's commerce providers.

    Built from the register hook and kept on the plugin manager until the set
    of registered plugins changes (tests register plugins after startup)."""
    from .plugins import get_plugins

    plugins = get_plugins(app)
    key = tuple(sorted(name for name, info in plugins.infos.items() if info.loaded))
    cached = getattr(plugins, "_commerce_providers", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    registry = Registry("commerce provider")
    caller = plugins.pm.hook.helpline_register_commerce_providers
    for impl in caller.get_hookimpls():
        if impl.plugin_name not in key:
            continue
        try:
            result = impl.function()
            for cls in result if isinstance(result, (list, tuple)) else [result] if result else []:
                registry.add(cls, impl.plugin_name)
        except Exception:
            if plugins.strict:
                raise
            log.exception("plugin %s: commerce providers could not be registered", impl.plugin_name)
    plugins._commerce_providers = (key, registry)
    return registry


def provider(slug, app=None) -> CommerceProvider | None:
    """An instance of the provider with its plugin's settings, or None when
    the provider is unknown or its plugin is disabled."""
    from .plugins import get_plugins

    cls = providers(app).get(slug)
    plugins = get_plugins(app)
    if cls is None or not plugins.is_enabled(cls.plugin):
        return None
    return cls(settings=plugins.get_settings(cls.plugin))
