"""The panel beside a ticket and in the profile API: every state an agent
can meet, what each number says on hover, and what it costs to render."""

import json
import re

import pytest
from playhouse.test_utils import assert_query_count

from app.testing import PanelContract, factories
from plugins.predictive.models import PredictiveScore
from plugins.predictive.panel import PredictivePanel


class TestPredictivePanelContract(PanelContract):
    plugin_name = slug = "predictive"


@pytest.fixture
def agent(make_agent, login, client):
    agent = make_agent(role="support", password=None)
    login(client, agent)
    return agent


@pytest.fixture
def store(shoppers, orders_for, fit, fake_channel):
    """An eligible store, fitted, with tickets from a loyal regular, a lapsed
    regular, a one-time buyer and someone who never ordered."""
    shoppers(80)
    people = {
        "loyal": orders_for(
            factories.profile(name="Lou Loyal"), *[(d, 80) for d in (200, 170, 140, 110, 80, 50, 20, 5)]
        ),
        "lapsed": orders_for(factories.profile(name="Lee Lapsed"), *[(d, 60) for d in (390, 375, 360, 345, 330, 315)]),
        "once": orders_for(factories.profile(name="Olly Once"), (30, 45)),
        "never": factories.profile(name="Nia Never"),
    }
    run = fit()
    tickets = {name: fake_channel.receive("Hello", email=p.email, name=p.name).ticket for name, p in people.items()}
    fake_channel.receive("Hello again", email=people["loyal"].email, name="Lou Loyal")
    return run, people, tickets


def metrics(data):
    return {m["key"]: m for m in data["metrics"]}


def test_before_the_first_fit(app):
    data = PredictivePanel().render_data(factories.profile())
    assert data["state"] == "not_computed" and "helpline predictive fit" in data["message"]
    assert metrics(data)["tickets"]["value"] == 0


def test_not_eligible_says_what_is_missing(app, orders_for, fit):
    customer = orders_for(factories.profile(), (40, 10), (2, 12))
    fit()
    data = PredictivePanel().render_data(customer)
    assert data["state"] == "not_eligible"
    assert data["message"] == (
        "Not enough order history yet: predictions need at least 50 customers with orders over at least 90 days "
        "and 10 repeat buyers. So far: 1 customers over 38 days, 1 repeat buyers."
    )
    assert list(metrics(data)) == ["tickets"]


def test_scored_customers(app, store):
    run, people, _ = store
    panel = PredictivePanel()
    loyal = panel.render_data(people["loyal"])
    assert loyal["state"] == "scored" and loyal["computed_at"].endswith("+00:00") and loyal["currency"] == "USD"
    m = metrics(loyal)
    assert list(m) == ["predicted_clv", "historic_clv", "orders", "churn_risk", "next_order", "tickets"]
    assert m["orders"]["value"] == 8 and m["historic_clv"]["display"] == "$640.00"
    assert m["tickets"]["value"] == 1
    assert m["churn_risk"]["band"] == "low" and m["predicted_clv"]["value"] > 100
    assert re.fullmatch(r"\w{3} \d{1,2}, \d{4}", m["next_order"]["display"])
    assert "next 12 months" in m["predicted_clv"]["label"] and "1%" in m["predicted_clv"]["help"]
    lapsed = metrics(panel.render_data(people["lapsed"]))
    assert lapsed["churn_risk"]["band"] == "high" and lapsed["next_order"]["display"] == "Unlikely"
    assert lapsed["predicted_clv"]["value"] < m["predicted_clv"]["value"] / 5
    once = metrics(panel.render_data(people["once"]))
    assert once["churn_risk"]["band"] == "unknown" and once["churn_risk"]["value"] is None
    assert "ordered on one day only" in once["churn_risk"]["help"]
    never = panel.render_data(people["never"])
    assert never["state"] == "no_orders"
    assert metrics(never)["orders"]["display"] == "No orders yet"
    json.dumps(loyal)


def test_bands_follow_the_settings_at_once(app, store):
    _, people, _ = store
    app.extensions["helpline.plugins"].set_settings("predictive", {"churn_medium_from": 0.01, "churn_high_from": 0.02})
    assert metrics(PredictivePanel().render_data(people["loyal"]))["churn_risk"]["band"] == "high"


def test_render_reads_one_score_row_and_counts_tickets(app, store):
    _, people, _ = store
    profile = people["loyal"]
    panel = PredictivePanel()
    panel.render_data(profile)  # settings cached for this state version
    with assert_query_count(3):  # score + run (one join), tickets count, plugin state version
        panel.render_data(profile)


def test_ticket_page_shows_each_number_with_its_explanation(app, client, agent, store):
    run, _, tickets = store
    page = client.get(f"/t/{tickets['loyal'].id}").get_data(as_text=True)
    assert 'href="/predictive/static/predictive.css"' in page
    panel = page[page.index('id="predictive-panel"') :]
    panel = panel[: panel.index("</section>")]
    for key in ("predicted_clv", "historic_clv", "orders", "churn_risk", "next_order", "tickets"):
        assert f'aria-describedby="predictive-help-{key}"' in panel
        assert (
            f'id="predictive-help-{key}" role="tooltip"' in panel
            or f'role="tooltip" id="predictive-help-{key}"' in panel
        )
    assert "Computed " + run.finished_at.strftime("%Y-%m-%d %H:%M") in panel
    assert "<script" not in panel and "style=" not in panel
    assert client.get("/predictive/static/predictive.css").status_code == 200


def test_ticket_page_of_a_store_without_enough_history(app, client, agent, fake_channel, fit):
    ticket = fake_channel.receive("Hi", email="new@example.net").ticket
    fit()
    page = client.get(f"/t/{ticket.id}").get_data(as_text=True)
    assert "Not enough order history yet" in page


def test_disabled_plugin_shows_no_panel_and_serves_nothing(app, client, agent, store):
    _, _, tickets = store
    app.extensions["helpline.plugins"].set_enabled("predictive", False)
    page = client.get(f"/t/{tickets['loyal'].id}").get_data(as_text=True)
    assert "predictive-panel" not in page and "predictive.css" not in page
    assert client.get("/predictive/static/predictive.css").status_code == 404


def test_profile_api_carries_the_panel(app, client, store, make_agent):
    from app.auth import create_token

    _, people, _ = store
    _, token = create_token(make_agent(role="support", password=None), "test")
    body = client.get(f"/api/v1/profiles/{people['lapsed'].id}", headers={"Authorization": f"Bearer {token}"})
    panels = {p["slug"]: p for p in body.get_json()["panels"]}
    data = panels["predictive"]["data"]
    assert panels["predictive"]["error"] is None and data["state"] == "scored"
    assert metrics(data)["churn_risk"]["band"] == "high"


def test_a_customer_scored_in_no_run_yet_reads_as_no_orders(app, store, orders_for):
    _, people, _ = store
    orders_for(people["never"], (1, 30))  # ordered after the last fit
    assert PredictiveScore.select().where(PredictiveScore.profile == people["never"].id).count() == 0
    assert PredictivePanel().render_data(people["never"])["state"] == "no_orders"
