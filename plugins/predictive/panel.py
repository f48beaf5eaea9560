"""The panel beside a ticket: the customer's predicted value, orders, churn
risk, expected next order and tickets, each with an explanation.

It reads one row (the customer's score in the current run, joined to the
run) and counts the customer's tickets; it never fits anything.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import format_currency, format_date, format_decimal, format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import JOIN

from app.plugin import Panel, Ticket, plugin_settings

from .models import PredictiveRun, PredictiveScore

PLUGIN = "predictive"
BANDS = ("low", "medium", "high")


def current_score(profile_id):
    """``(run, score)`` for the current run, score None when the customer
    had no orders then; ``(None, None)`` before the first fit. One query."""
    run = (
        PredictiveRun.select(PredictiveRun, PredictiveScore)
        .join(
            PredictiveScore,
            JOIN.LEFT_OUTER,
            on=(PredictiveScore.run == PredictiveRun.id) & (PredictiveScore.profile == profile_id),
            attr="score",
        )
        .where(PredictiveRun.is_current)
        .first()
    )
    if run is None:
        return None, None
    score = getattr(run, "score", None)
    return run, (score if score is not None and score.orders is not None else None)


def churn_band(risk, settings):
    """``low``, ``medium`` or ``high`` for a churn risk (0 to 1)."""
    if risk >= settings["churn_high_from"]:
        return "high"
    if risk >= settings["churn_medium_from"]:
        return "medium"
    return "low"


def _money(value, currency):
    return format_currency(value, currency) if currency else format_decimal(value, format="#,##0.00")


def _iso(moment):
    return moment.replace(microsecond=0, tzinfo=dt.UTC).isoformat() if moment else None


class PredictivePanel(Panel):
    """Predicted customer value and churn risk (BG/NBD + Gamma-Gamma)."""

    slug = "predictive"
    title = _l("Customer value and churn")
    template = "predictive/panel.html"

    def eligible(self, profile):
        """Always shown while the plugin is on: when the store's order
        history is too short, the panel says so rather than disappearing."""
        return True

    def render_data(self, profile):
        """JSON data: ``state`` (``scored``, ``no_orders``, ``not_eligible``
        or ``not_computed``), a ``message`` for the last two, ``computed_at``,
        and ``metrics``: ``[{key, label, value, display, help}]`` (churn risk
        adds ``band``)."""
        run, score = current_score(profile.id)
        tickets = Ticket.select().where(Ticket.profile == profile.id).count()
        data = {
            "state": "not_computed",
            "message": "",
            "computed_at": _iso(run.finished_at) if run else None,
            "as_of": run.as_of.isoformat() if run else None,
            "currency": run.currency if run else None,
            "horizon_months": run.settings.get("horizon_months") if run else None,
            "metrics": [],
        }
        tickets_metric = self._metric(
            "tickets",
            _("Tickets"),
            tickets,
            format_decimal(tickets),
            _("Tickets this customer has opened with the team, open or closed."),
        )
        if run is None:
            data["message"] = _(
                "No prediction yet: customer value and churn risk are computed every night, or now with "
                "`helpline predictive fit`."
            )
        elif run.state == "not_eligible":
            data["state"] = "not_eligible"
            data["message"] = self._not_eligible_message(run)
        elif score is None:
            data["state"] = "no_orders"
            data["metrics"] = self._no_orders_metrics(run)
        else:
            data["state"] = "scored"
            data["metrics"] = self._scored_metrics(run, score, plugin_settings(PLUGIN))
        data["metrics"].append(tickets_metric)
        return data

    @staticmethod
    def _metric(key, label, value, display, help_text, **extra):
        return {"key": key, "label": label, "value": value, "display": display, "help": help_text, **extra}

    def _not_eligible_message(self, run):
        need = run.settings
        return _(
            "Not enough order history yet: predictions need at least %(customers)s customers with orders over at "
            "least %(days)s days and %(repeat)s repeat buyers. So far: %(have_customers)s customers over "
            "%(have_days)s days, %(have_repeat)s repeat buyers.",
            customers=format_decimal(need.get("min_customers", 0)),
            days=format_decimal(need.get("min_history_days", 0)),
            repeat=format_decimal(need.get("min_repeat_customers", 0)),
            have_customers=format_decimal(run.customers),
            have_days=format_decimal(run.history_days),
            have_repeat=format_decimal(run.repeat_customers),
        )

    def _no_orders_metrics(self, run):
        as_of = format_date(run.as_of)
        return [
            self._metric(
                "orders",
                _("Orders"),
                0,
                _("No orders yet"),
                _(
                    "This customer had no orders on %(day)s, when predictions were last computed, so there is "
                    "nothing to predict from yet.",
                    day=as_of,
                ),
            )
        ]

    def _scored_metrics(self, run, score, settings):
        months = run.settings.get("horizon_months", 12)
        rate = run.settings.get("monthly_discount_rate", 0)
        currency = run.currency
        risk = 1.0 - score.p_alive
        repeat_buyer = score.repeat_purchases > 0
        metrics = [
            self._metric(
                "predicted_clv",
                _("Predicted value, next %(months)s months", months=months),
                round(score.predicted_clv, 2),
                _money(score.predicted_clv, currency),
                _(
                    "What this customer's orders over the next %(months)s months are expected to be worth today: "
                    "expected orders times expected order value, each month discounted by %(rate)s. Estimated by "
                    "the BG/NBD and Gamma-Gamma models from the order history of %(customers)s customers.",
                    months=months,
                    rate=format_percent(rate, format="#,##0.##%"),
                    customers=format_decimal(run.customers),
                ),
            ),
            self._metric(
                "historic_clv",
                _("Spent so far"),
                round(score.historic_value, 2),
                _money(score.historic_value, currency),
                _(
                    "Total of this customer's orders up to %(day)s, not counting cancelled orders or orders in "
                    "other currencies than %(currency)s.",
                    day=format_date(run.as_of),
                    currency=currency,
                ),
            ),
            self._metric(
                "orders",
                _("Orders"),
                score.orders,
                format_decimal(score.orders),
                _(
                    "Orders placed from %(first)s to %(last)s, not counting cancelled ones. The models count "
                    "several orders on one day as one purchase.",
                    first=format_date(score.first_order_on),
                    last=format_date(score.last_order_on),
                ),
            ),
        ]
        band = churn_band(risk, settings) if repeat_buyer else "unknown"
        if repeat_buyer:
            labels = {"low": _("Low"), "medium": _("Medium"), "high": _("High")}
            metrics.append(
                self._metric(
                    "churn_risk",
                    _("Churn risk"),
                    round(risk, 4),
                    _("%(band)s (%(risk)s)", band=labels[band], risk=format_percent(risk)),
                    _(
                        "The chance this customer has stopped buying, given how often they ordered and how long it "
                        "has been since their last order. Low below %(medium)s, medium from %(medium)s, high from "
                        "%(high)s.",
                        medium=format_percent(settings["churn_medium_from"]),
                        high=format_percent(settings["churn_high_from"]),
                    ),
                    band=band,
                )
            )
        else:
            metrics.append(
                self._metric(
                    "churn_risk",
                    _("Churn risk"),
                    None,
                    _("Not known yet"),
                    _(
                        "This customer has ordered on one day only. The model learns whether someone stopped "
                        "buying from the gaps between their orders, so it cannot tell yet."
                    ),
                    band=band,
                )
            )
        metrics.append(self._next_order_metric(score, months, churned=band == "high"))
        return metrics

    def _next_order_metric(self, score, months, churned):
        """The date by which a still-active customer has even chances of
        ordering again; "unlikely" when the customer has probably churned."""
        expected = _(
            "Expected orders in the next %(months)s months: %(orders)s.",
            months=months,
            orders=format_decimal(round(score.expected_orders, 1)),
        )
        alive = format_percent(score.p_alive)
        day = score.next_order_on
        if day is None:
            display = _("Not expected soon")
            explained = _("Even if this customer is still buying, at their pace the next order is years away.")
        elif churned:
            display = _("Unlikely")
            explained = _(
                "This customer has probably stopped buying (%(alive)s chance they still are). If they still are, "
                "even chances they order again by %(day)s.",
                alive=alive,
                day=format_date(day),
            )
        else:
            display = format_date(day)
            explained = _(
                "If this customer is still buying, even chances they order again by this date (%(alive)s chance "
                "they are still buying).",
                alive=alive,
            )
        return self._metric(
            "next_order",
            _("Expected next order"),
            day.isoformat() if day else None,
            display,
            f"{explained} {expected}",
        )


def parse_time(value):
    """An ISO time from ``render_data`` back to naive UTC (for templates)."""
    if not value:
        return None
    moment = dt.datetime.fromisoformat(value)
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment
