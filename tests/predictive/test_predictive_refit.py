"""Fit runs against the database: eligibility, what counts as a purchase,
the atomic swap of scores, pruning, the nightly task, the CLI and settings."""

import datetime as dt

import marshmallow
import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo

from app.cli import main
from app.models import Profile
from app.testing import factories
from plugins.predictive import refit as refit_module
from plugins.predictive import tasks
from plugins.predictive.models import PredictiveRun, PredictiveScore
from plugins.predictive.panel import current_score


@pytest.fixture
def plugins(app):
    return app.extensions["helpline.plugins"]


@pytest.fixture
def cli(app):
    """``cli("predictive", "fit")``: the ``helpline`` command on this app."""
    return lambda *args: CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))


def test_a_young_store_is_not_eligible_and_says_why(app, orders_for, fit):
    for n in range(5):
        orders_for(factories.profile(), (30, 20), (10, 25))
    run = fit()
    assert run.state == "not_eligible" and run.is_current
    assert (run.customers, run.repeat_customers, run.history_days, run.orders) == (5, 5, 20, 10)
    assert run.settings["min_customers"] == 50
    assert PredictiveScore.select().count() == 0


def test_an_empty_store_is_not_eligible(app, fit):
    run = fit()
    assert run.state == "not_eligible" and run.customers == 0 and run.currency == ""


def test_thresholds_come_from_the_settings(app, plugins, orders_for, fit):
    for n in range(12):
        orders_for(factories.profile(), (100 - n, 20), (40 - n, 25), (5, 30))
    plugins.set_settings("predictive", {"min_customers": 12, "min_history_days": 90, "min_repeat_customers": 12})
    assert fit().state == "fitted"
    plugins.set_settings("predictive", {"min_history_days": 200})
    assert fit().state == "not_eligible"


def test_every_customer_with_orders_gets_a_score(app, shoppers, fit):
    customers = shoppers(80)
    nobody = factories.profile()
    run = fit()
    assert run.state == "fitted" and run.is_current and run.customers == 80
    assert PredictiveScore.select().where(PredictiveScore.run == run.id).count() == 80
    assert current_score(nobody.id) == (run, None)
    for profile in customers[:10]:
        _, score = current_score(profile.id)
        assert 0 <= score.p_alive <= 1 and score.predicted_clv >= 0 and score.expected_orders >= 0
        assert score.historic_value > 0 and score.orders >= 1
    bg = run.parameters["bgnbd"]
    assert bg["converged"] and all(bg[k] > 0 for k in ("r", "alpha", "a", "b"))
    assert run.goodness["repeat_purchases"]["histogram"][0]["repeat_purchases"] == "0"
    assert set(run.timings) >= {"aggregate", "fit", "score", "write", "publish", "prune", "total"}


def test_a_purchase_is_a_day_of_orders_not_cancelled_in_the_main_currency(app, clock, shoppers, orders_for, fit):
    shoppers(60)
    profile = orders_for(
        factories.profile(),
        (50, 10.00),
        (50.1, 15.00),  # same day: one purchase of 25.00
        (20, 40.00),
        (10, 99.00, "cancelled"),
        (5, 70.00, "fulfilled", "EUR"),
        (-3, 55.00),  # placed after now: not history yet
    )
    # Make the two orders 50 days ago fall on the same calendar day.
    run = fit()
    _, score = current_score(profile.id)
    assert run.currency == "USD"
    assert score.orders == 3 and score.repeat_purchases == 1
    assert score.historic_value == pytest.approx(65.00)
    assert score.first_order_on == (clock.now() - dt.timedelta(days=50.1)).date()
    assert score.last_order_on == (clock.now() - dt.timedelta(days=20)).date()


def test_refit_swaps_scores_atomically(app, shoppers, orders_for, fit, outside, monkeypatch):
    customers = shoppers(70)
    first = fit()
    loyal = customers[0]
    _, before = current_score(loyal.id)
    orders_for(loyal, *[(d, 500) for d in (1, 2, 3, 4)])
    monkeypatch.setattr(refit_module, "BATCH_ROWS", 25)
    seen = []

    def progress(stage, done=0, total=0):
        if stage == "write" and 0 < done < total:
            # Another connection, as a web request would read it: the new
            # run's first batches are committed, yet the panel still shows
            # the old run, whole.
            def read():
                run, score = current_score(loyal.id)
                written = PredictiveScore.select().where(PredictiveScore.run != run.id).count()
                return run.id, score.orders, written

            seen.append(outside(read))

    second = refit_module.refit(progress=progress)
    assert seen and all(run_id == first.id and orders == before.orders for run_id, orders, _ in seen)
    assert seen[-1][2] > 0
    run, after = current_score(loyal.id)
    assert run.id == second.id and after.orders == before.orders + 4
    assert PredictiveRun.get_by_id(first.id).is_current is False
    assert PredictiveScore.select().where(PredictiveScore.run == first.id).count() == 0


def test_an_older_run_never_replaces_a_newer_one(app, shoppers, monkeypatch):
    shoppers(70)
    monkeypatch.setattr(refit_module, "BATCH_ROWS", 30)
    overtaking = []

    def progress(stage, done=0, total=0):
        if stage == "write" and 0 < done < total and not overtaking:
            overtaking.append(refit_module.refit())  # a second process finishing first

    slow = refit_module.refit(progress=progress)
    fast = overtaking[0]
    assert slow.state == "superseded" and not slow.is_current
    assert PredictiveRun.get_by_id(fast.id).is_current
    assert PredictiveScore.select().where(PredictiveScore.run == fast.id).count() == 70
    assert PredictiveScore.select().where(PredictiveScore.run == slow.id).count() == 0


def test_a_failed_fit_keeps_the_current_scores(app, shoppers, fit, monkeypatch):
    shoppers(70)
    good = fit()
    real_fit = refit_module.bgnbd.fit

    def not_converging(*args, **kwargs):
        result = real_fit(*args, **kwargs)
        result.converged, result.message = False, "ABNORMAL_TERMINATION_IN_LNSRCH"
        return result

    monkeypatch.setattr(refit_module.bgnbd, "fit", not_converging)
    with pytest.raises(refit_module.FitFailed):
        fit()
    failed = PredictiveRun.select().order_by(PredictiveRun.id.desc()).first()
    assert failed.state == "failed" and "did not converge" in failed.message
    assert refit_module.current_run().id == good.id
    assert PredictiveScore.select().where(PredictiveScore.run == good.id).count() == 70


def test_old_runs_are_pruned_and_dead_ones_marked(app, clock, shoppers, fit, monkeypatch):
    shoppers(60)
    monkeypatch.setattr(refit_module, "KEEP_RUNS", 3)
    orphan = PredictiveRun.create(started_at=clock.now() - dt.timedelta(hours=7), as_of=clock.now().date())
    runs = [fit() for _ in range(4)]
    assert [r.id for r in PredictiveRun.select().order_by(PredictiveRun.id)] == [r.id for r in runs[-3:]]
    assert PredictiveScore.select().where(PredictiveScore.run != runs[-1].id).count() == 0
    assert PredictiveRun.get_or_none(PredictiveRun.id == orphan.id) is None  # marked failed, then pruned


def test_nightly_task_refits_and_skips_while_disabled(app, plugins, shoppers):
    shoppers(60)
    huey = app.extensions["helpline.huey"]
    assert tasks.nightly_refit.name == "predictive.nightly_refit"
    due = {task.name for task in huey.read_periodic(dt.datetime(2026, 1, 6, 3, 17))}
    assert "predictive.nightly_refit" in due
    assert "predictive.nightly_refit" not in {t.name for t in huey.read_periodic(dt.datetime(2026, 1, 6, 3, 18))}
    tasks.nightly_refit()  # immediate mode runs the wrapped task here
    assert refit_module.current_run().state == "fitted"
    plugins.set_enabled("predictive", False)
    tasks.nightly_refit()
    assert PredictiveRun.select().count() == 1


def test_cli_fit_prints_parameters_goodness_and_timings(app, cli, shoppers):
    shoppers(70)
    result = cli("predictive", "fit")
    assert result.exit_code == 0, result.output
    run = refit_module.current_run()
    bg = run.parameters["bgnbd"]
    assert f"r={bg['r']:.4f} alpha={bg['alpha']:.4f}" in result.output
    assert "Gamma-Gamma: p=" in result.output and "Chi-square" in result.output
    assert "Timings: aggregate" in result.output and "70 customers with orders" in result.output
    status = cli("predictive", "status")
    assert status.exit_code == 0 and f"Run {run.id}: fitted" in status.output


def test_cli_reports_a_store_that_is_not_eligible_yet(app, cli):
    result = cli("predictive", "fit")
    assert result.exit_code == 0
    assert "Not eligible: needs at least 50 customers with orders over at least 90 days" in result.output


def test_cli_refuses_while_the_plugin_is_disabled(app, plugins, cli):
    plugins.set_enabled("predictive", False)
    result = cli("predictive", "fit")
    assert result.exit_code == 1 and "helpline plugins enable predictive" in result.output


def test_settings_are_validated_with_clear_errors(app, plugins, cli):
    with pytest.raises(marshmallow.ValidationError) as err:
        plugins.set_settings("predictive", {"horizon_months": 0, "monthly_discount_rate": 0.5, "min_customers": "x"})
    assert set(err.value.messages) == {"horizon_months", "monthly_discount_rate", "min_customers"}
    assert "1 to 60" in err.value.messages["horizon_months"][0]
    with pytest.raises(marshmallow.ValidationError) as err:
        plugins.set_settings("predictive", {"churn_medium_from": 0.7, "churn_high_from": 0.5})
    assert "above the medium" in err.value.messages["churn_high_from"][0]
    bad = cli("plugins", "settings", "predictive", "--set", "monthly_discount_rate=nan")
    assert bad.exit_code == 1 and "monthly_discount_rate" in bad.output
    saved = plugins.set_settings("predictive", {"horizon_months": "24", "monthly_discount_rate": "0.02"})
    assert (saved["horizon_months"], saved["monthly_discount_rate"]) == (24, 0.02)


def test_a_longer_horizon_predicts_more_value(app, plugins, shoppers, fit):
    customers = shoppers(70)
    fit()
    short = {p.id: current_score(p.id)[1].predicted_clv for p in customers}
    plugins.set_settings("predictive", {"horizon_months": 36})
    run = fit()
    assert run.settings["horizon_months"] == 36
    longer = {p.id: current_score(p.id)[1].predicted_clv for p in customers}
    assert all(longer[k] >= short[k] for k in short) and sum(longer.values()) > 1.5 * sum(short.values())


def test_deleting_a_customer_deletes_their_scores(app, shoppers, fit):
    customers = shoppers(60)
    fit()
    Profile.delete().where(Profile.id == customers[0].id).execute()
    assert PredictiveScore.select().where(PredictiveScore.profile == customers[0].id).count() == 0


def test_settings_page_for_admins_only(app, client, login, make_agent):
    login(client, make_agent(role="support", password=None))
    assert client.get("/settings/plugins/predictive").status_code == 403
    login(client, make_agent(role="admin", password=None))
    page = client.get("/settings/plugins/predictive").get_data(as_text=True)
    assert "Forecast horizon" in page and ">months<" in page and "Churn risk is high from" in page
    answer = client.post("/settings/plugins/predictive", data={"horizon_months": "0", "churn_high_from": "0.6"})
    assert "The horizon is a whole number of months from 1 to 60." in answer.get_data(as_text=True)
    assert app.extensions["helpline.plugins"].get_settings("predictive")["horizon_months"] == 12
