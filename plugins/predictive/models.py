"""The predictive plugin's tables: one row per fit run, and per run one
score row per customer with orders. The panel reads the score of the
current run (at most one run has ``is_current``)."""

import peewee

from app.plugin import BaseModel, Profile, now

RUN_STATES = ("running", "fitted", "not_eligible", "failed", "superseded")


class PredictiveRun(BaseModel):
    """One fit: what it saw, what it found, how long it took.

    ``settings`` keeps the settings the run used (horizon, discount rate,
    eligibility thresholds), so a stored score is explained by its own run
    even after the merchant changes them."""

    started_at = peewee.DateTimeField(default=now)
    finished_at = peewee.DateTimeField(null=True)
    as_of = peewee.DateField()
    state = peewee.CharField(max_length=16, default="running")
    is_current = peewee.BooleanField(default=False)
    message = peewee.TextField(default="")
    customers = peewee.IntegerField(default=0)
    repeat_customers = peewee.IntegerField(default=0)
    orders = peewee.IntegerField(default=0)
    history_days = peewee.IntegerField(default=0)
    currency = peewee.CharField(max_length=3, default="")
    settings = peewee.JSONField(default=dict)
    parameters = peewee.JSONField(default=dict)
    goodness = peewee.JSONField(default=dict)
    timings = peewee.JSONField(default=dict)

    class Meta:
        table_name = "predictive_run"
        indexes = ((("is_current",), False),)


class PredictiveScore(BaseModel):
    """A customer's figures in one run. Times are whole days (UTC dates)."""

    run = peewee.ForeignKeyField(PredictiveRun, on_delete="CASCADE", index=False)
    profile = peewee.ForeignKeyField(Profile, on_delete="CASCADE")
    orders = peewee.IntegerField()
    repeat_purchases = peewee.IntegerField()
    first_order_on = peewee.DateField()
    last_order_on = peewee.DateField()
    historic_value = peewee.FloatField()
    expected_orders = peewee.FloatField()
    p_alive = peewee.FloatField()
    expected_spend = peewee.FloatField()
    predicted_clv = peewee.FloatField()
    next_order_on = peewee.DateField(null=True)

    class Meta:
        table_name = "predictive_score"
        primary_key = peewee.CompositeKey("run", "profile")


MODELS = [PredictiveRun, PredictiveScore]
