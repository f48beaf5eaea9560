"""Commerce providers are registered like channels, rules and panels: the
register hook is called through pluggy (a wrapper sees it), each class is
kept in the plugin manager's ``{slug: class}`` registry with its plugin, and
a provider is only handed out while its plugin is live."""

from app.commerce import provider, providers
from app.hookspecs import hookimpl
from app.testing import FakeCommercePlugin


class WrappedShop(FakeCommercePlugin):
    """A provider plugin with a wrapper around its own register hook."""

    def __init__(self, seen):
        super().__init__(slug="wrapped", label="Wrapped shop")
        self.seen = seen

    @hookimpl(wrapper=True)
    def helpline_register_commerce_providers(self):
        classes = yield
        self.seen.append(classes)
        return classes

    @hookimpl(specname="helpline_register_commerce_providers")
    def provider_classes(self):
        return [self.provider_class]


def test_the_register_hook_goes_through_pluggy(app, register_plugin):
    pm = app.extensions["helpline.plugins"].pm
    calls, seen = [], []
    undo = pm.add_hookcall_monitoring(
        lambda hook_name, impls, kwargs: calls.append(hook_name), lambda outcome, hook_name, impls, kwargs: None
    )
    try:
        shop = register_plugin(WrappedShop(seen), "wrapped-shop")
    finally:
        undo()
    assert "helpline_register_commerce_providers" in calls
    assert seen == [[[shop.provider_class]]], "the wrapper saw its own plugin's result"
    assert providers(app)["wrapped"] is shop.provider_class
    assert shop.provider_class.plugin == "wrapped-shop"


def test_a_provider_is_handed_out_only_while_its_plugin_is_live(app, register_plugin):
    register_plugin(FakeCommercePlugin(), "fake-commerce")
    plugins = app.extensions["helpline.plugins"]
    assert provider("fakeshop").settings == {"shop_name": "Fake shop"}
    plugins.set_enabled("fake-commerce", False)
    assert provider("fakeshop") is None, "a disabled shop is never called"
    plugins.set_enabled("fake-commerce", True)
    plugins.unregister("fake-commerce")
    assert "fakeshop" not in providers(app) and provider("fakeshop") is None
