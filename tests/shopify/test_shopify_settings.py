"""Connecting a shop: settings validation, the secrets kept out of sight,
the settings page (owners and admins only) with its connection check and
order import, and the ``helpline shopify`` commands."""

import marshmallow
import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo

from app.cli import main
from app.models import Order
from plugins.shopify.models import BackfillState


def _plugins(app):
    return app.extensions["helpline.plugins"]


def test_the_shop_domain_is_a_myshopify_address(app):
    plugins = _plugins(app)
    stored = plugins.set_settings("shopify", {"shop_domain": "  https://My-Shop.myshopify.com/admin "})
    assert stored["shop_domain"] == "my-shop.myshopify.com"
    for wrong in ("my-shop.com", "shop.myshopify.com.evil.net", "-x.myshopify.com", "a b.myshopify.com"):
        with pytest.raises(marshmallow.ValidationError) as err:
            plugins.set_settings("shopify", {"shop_domain": wrong})
        assert "shop_domain" in err.value.messages
    with pytest.raises(marshmallow.ValidationError) as err:
        plugins.set_settings("shopify", {"backfill_page_size": 0, "access_token": "shpat_a b"})
    assert {"backfill_page_size", "access_token"} <= set(err.value.messages)


def test_secrets_are_masked_and_kept_when_echoed(app):
    plugins = _plugins(app)
    plugins.set_settings("shopify", {"access_token": "shpat_secret", "webhook_secret": "hush"})
    shown = plugins.public_settings("shopify")
    assert shown["access_token"] == shown["webhook_secret"] == "********"
    plugins.set_settings("shopify", {**shown, "shop_domain": "my-shop.myshopify.com"})
    assert plugins.get_settings("shopify")["access_token"] == "shpat_secret"


def test_the_settings_page_shows_how_to_connect(app, client, login, make_agent, shop):
    login(client, make_agent(role="admin"))
    page = client.get("/settings/shopify")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "http://localhost/shopify/webhooks" in html and "2025-07" in html
    for topic in ("orders/create", "orders/updated", "orders/cancelled", "customers/create", "customers/update"):
        assert topic in html
    assert "helpline-test.myshopify.com" in html and "Not started." in html
    assert shop.access_token not in html and shop.webhook_secret not in html


def test_support_and_managers_cannot_open_the_page(app, client, login, make_agent, shop):
    for role in ("support", "manager"):
        login(client, make_agent(role=role))
        assert client.get("/settings/shopify").status_code == 403
        assert client.post("/settings/shopify/backfill").status_code == 403
        assert client.post("/settings/shopify/check").status_code == 403
    assert shop.requests == [] and BackfillState.select().count() == 0


def test_the_connection_check_names_the_shop_or_the_problem(app, client, login, make_agent, shop):
    login(client, make_agent(role="owner"))
    ok = client.post("/settings/shopify/check", follow_redirects=True)
    assert "Connected to Helpline Test (helpline-test.myshopify.com)." in ok.get_data(as_text=True)
    shop.access_token = "shpat_other"
    refused = client.post("/settings/shopify/check", follow_redirects=True)
    assert "Could not connect to Shopify: Shopify refused the access token (HTTP 401)" in refused.get_data(as_text=True)
    assert [r["operation"] for r in shop.requests] == ["ShopInfo", "ShopInfo"]
    assert {r["version"] for r in shop.requests} == {"2025-07"}


def test_the_import_runs_from_the_page_and_shows_its_progress(app, client, login, make_agent, shop):
    shop.add_orders(120, customers=4)
    login(client, make_agent(role="admin"))
    started = client.post("/settings/shopify/backfill", follow_redirects=True)
    assert "The order import has started." in started.get_data(as_text=True)
    # Tasks run at once in tests: the import is done.
    assert Order.select().count() == 120
    page = client.get("/settings/shopify").get_data(as_text=True)
    assert "Done: 120 orders imported." in page and 'data-status="done"' in page


def test_the_page_offers_to_resume_a_failed_import(app, client, login, make_agent, shop):
    shop.add_orders(120, customers=4)
    _plugins(app).set_settings("shopify", {"backfill_page_size": 50})
    shop.fail("BackfillOrders", status=500, after=1, times=3)
    login(client, make_agent(role="admin"))
    client.post("/settings/shopify/backfill")
    page = client.get("/settings/shopify").get_data(as_text=True)
    assert "Stopped after 50 of 120 orders: Shopify answered HTTP 500." in page
    assert "Resume the import" in page
    client.post("/settings/shopify/backfill")
    assert Order.select().count() == 120
    assert [call["after"] is None for call in shop.calls("BackfillOrders")] == [True, False, False]


def _cli(app, *args):
    return CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))


def test_cli_check_and_backfill(app, shop):
    shop.add_orders(60, customers=3)
    checked = _cli(app, "shopify", "check")
    assert checked.exit_code == 0 and "Connected to Helpline Test (helpline-test.myshopify.com, USD)." in checked.output
    done = _cli(app, "shopify", "backfill")
    assert done.exit_code == 0, done.output
    assert "Done: 60 orders imported." in done.output and "60/60" in done.output
    assert Order.select().count() == 60
    assert "Done: 60 orders imported." in _cli(app, "shopify", "status").output


def test_cli_backfill_failure_says_how_to_resume(app, shop):
    shop.add_orders(60, customers=3)
    _plugins(app).set_settings("shopify", {"backfill_page_size": 20})
    shop.fail("BackfillOrders", status=502, after=2, times=3)
    failed = _cli(app, "shopify", "backfill")
    assert failed.exit_code == 1
    assert "Shopify answered HTTP 502." in failed.output and "Run the command again to resume" in failed.output
    assert "Stopped after 40 of 60 orders" in _cli(app, "shopify", "status").output
    assert _cli(app, "shopify", "backfill").exit_code == 0 and Order.select().count() == 60


def test_cli_refuses_while_the_plugin_is_off(app, shop):
    _plugins(app).set_enabled("shopify", False)
    result = _cli(app, "shopify", "backfill")
    assert result.exit_code == 1 and "disabled" in result.output
    assert shop.requests == []


class TestWithCsrf:
    @pytest.fixture
    def helpline_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_webhooks_need_no_token_but_the_page_does(self, app, client, login, make_agent, shop, deliver):
        placed = shop.add_order(shop.add_customer(email="csrf@example.net"))
        assert deliver("orders/create", shop.order_payload(placed["id"])).status_code == 200
        assert Order.select().count() == 1
        login(client, make_agent(role="owner"))
        refused = client.post("/settings/shopify/backfill")
        assert refused.status_code == 400
        assert BackfillState.select().count() == 0 and shop.requests == []


def test_a_dev_dashboard_app_connects_with_its_client_id_and_secret(app, fake_shopify, clock, client):
    from app.testing.shopify import post_webhook

    _plugins(app).set_settings("shopify", fake_shopify.app_settings())
    fake_shopify.add_orders(30, customers=3)
    assert _cli(app, "shopify", "backfill").exit_code == 0 and Order.select().count() == 30
    grants = [r for r in fake_shopify.requests if r["operation"] == "AccessToken"]
    assert len(grants) == 1, "one token serves every request while it is valid"
    # A day later the token is about to expire: a new one is fetched before use.
    clock.advance(hours=23, minutes=55)
    assert _cli(app, "shopify", "check").exit_code == 0
    # Revoked early: refused once, renewed, asked again.
    fake_shopify.revoke_granted_tokens()
    assert _cli(app, "shopify", "check").exit_code == 0
    outcomes = [(r["operation"], r["outcome"]) for r in fake_shopify.requests[-3:]]
    assert outcomes == [("ShopInfo", "unauthorized"), ("AccessToken", "ok"), ("ShopInfo", "ok")]
    assert len([r for r in fake_shopify.requests if r["operation"] == "AccessToken"]) == 3
    # Its webhooks are signed with the client secret.
    placed = fake_shopify.add_order(fake_shopify.add_customer(email="dev@example.net"))
    signed = post_webhook(client, "orders/create", fake_shopify.order_payload(placed["id"]), fake_shopify.client_secret)
    assert signed.status_code == 200 and Order.select().count() == 31


def test_a_wrong_client_secret_is_named(app, fake_shopify):
    _plugins(app).set_settings("shopify", {**fake_shopify.app_settings(), "client_secret": "shpss_wrong"})
    result = _cli(app, "shopify", "check")
    assert result.exit_code == 1
    assert "Shopify refused the app's client ID and secret (HTTP 400) (Client credentials are invalid)" in result.output
    assert [r["operation"] for r in fake_shopify.requests] == ["AccessToken"]


def test_a_refused_client_secret_is_explained_in_the_agents_language(app, client, login, make_agent, fake_shopify):
    _plugins(app).set_settings("shopify", {**fake_shopify.app_settings(), "client_secret": "shpss_wrong"})
    admin = make_agent(role="admin")
    admin.language = "es"
    admin.save()
    login(client, admin)
    page = client.post("/settings/shopify/check", follow_redirects=True).get_data(as_text=True)
    assert (
        "Shopify rechazó el ID y el secreto de cliente de la app (HTTP 400) (Client credentials are invalid): "
        "revíselos y compruebe que la app esté instalada en la tienda."
    ) in page


def test_a_client_id_and_secret_win_over_an_old_token(app, fake_shopify):
    _plugins(app).set_settings("shopify", {**fake_shopify.settings(), "access_token": "shpat_old_and_revoked"})
    assert _cli(app, "shopify", "check").exit_code == 1
    _plugins(app).set_settings("shopify", fake_shopify.app_settings())
    assert _plugins(app).get_settings("shopify")["access_token"] == "shpat_old_and_revoked"
    assert _cli(app, "shopify", "check").exit_code == 0
    assert fake_shopify.requests[-1]["token"] in fake_shopify.granted
