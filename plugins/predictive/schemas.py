"""Predictive settings: validated on write (each error names its field and
rule), read with defaults filled in. Horizon and discount rate apply from
the next fit; churn bands apply at once (the panel bands the stored risk)."""

import marshmallow as ma
from flask_babel import lazy_gettext as _l


def _integer(default, low, high, error, label, help_text, unit=None):
    return ma.fields.Integer(
        load_default=default,
        validate=ma.validate.Range(min=low, max=high, error=error),
        error_messages={"invalid": error, "null": error, "required": error},
        metadata={"label": label, "help": help_text, "unit": unit},
    )


def _share(default, low, high, error, label, help_text):
    return ma.fields.Float(
        load_default=default,
        validate=ma.validate.Range(min=low, max=high, error=error),
        error_messages={"invalid": error, "null": error, "special": error, "required": error},
        metadata={"label": label, "help": help_text},
    )


class PredictiveSettings(ma.Schema):
    """Forecast horizon and discounting, churn-risk bands, and how much order
    history the store needs before predictions are shown."""

    horizon_months = _integer(
        12,
        1,
        60,
        _l("The horizon is a whole number of months from 1 to 60."),
        _l("Forecast horizon"),
        _l("Predicted customer value and expected orders cover this many months ahead."),
        _l("months"),
    )
    monthly_discount_rate = _share(
        0.01,
        0,
        0.2,
        _l("The monthly discount rate is a number from 0 to 0.2 (0.01 means 1% a month)."),
        _l("Monthly discount rate"),
        _l("Future months count for less: month m is divided by (1 + rate) to the power m. 0.01 is 1% a month."),
    )
    churn_medium_from = _share(
        0.3,
        0.01,
        0.99,
        _l("The medium churn-risk band starts between 0.01 and 0.99."),
        _l("Churn risk is medium from"),
        _l("A churn risk (0 to 1) at or above this, and below the high band, shows as medium."),
    )
    churn_high_from = _share(
        0.6,
        0.01,
        0.99,
        _l("The high churn-risk band starts between 0.01 and 0.99."),
        _l("Churn risk is high from"),
        _l("A churn risk (0 to 1) at or above this shows as high."),
    )
    min_customers = _integer(
        50,
        10,
        1_000_000,
        _l("The minimum number of customers is a whole number from 10 to 1,000,000."),
        _l("Customers with orders needed"),
        _l("Predictions start once at least this many customers have ordered."),
        _l("customers"),
    )
    min_history_days = _integer(
        90,
        7,
        3650,
        _l("The minimum history is a whole number of days from 7 to 3650."),
        _l("Order history needed"),
        _l("Days between the store's first and latest order before predictions start."),
        _l("days"),
    )
    min_repeat_customers = _integer(
        10,
        3,
        1_000_000,
        _l("The minimum number of repeat buyers is a whole number from 3 to 1,000,000."),
        _l("Repeat buyers needed"),
        _l("Customers who ordered on at least two different days."),
        _l("customers"),
    )

    @ma.validates_schema
    def bands_in_order(self, data, **kwargs):
        medium, high = data.get("churn_medium_from"), data.get("churn_high_from")
        if medium is not None and high is not None and medium >= high:
            raise ma.ValidationError(
                _l("The high churn-risk band must start above the medium one."), field_name="churn_high_from"
            )
