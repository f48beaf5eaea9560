"""The test kit for Helpline and its plugins. Fixtures come from the
``helpline`` pytest plugin (``app.testing.plugin``); contract test classes
live in :mod:`app.testing.contracts` (commerce providers:
:mod:`app.testing.commerce`)."""

from .commerce import CommerceProviderContract, FakeCommercePlugin
from .contracts import ChannelContract, PanelContract, RuleContract
from .fake import FakeChannelPlugin
from .recorder import HookRecorder

__all__ = [
    "ChannelContract",
    "CommerceProviderContract",
    "PanelContract",
    "RuleContract",
    "FakeChannelPlugin",
    "FakeCommercePlugin",
    "HookRecorder",
]
