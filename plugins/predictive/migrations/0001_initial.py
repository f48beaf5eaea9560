"""Predictive analytics: fit runs and per-customer scores."""

# Generated with playhouse.migrations.template; Python-side defaults (clock.now)
# live in the models, not in the schema.
from peewee import *


def up(migrator, db):
    class Profile(Model):
        class Meta:
            database = db
            table_name = "profile"

    class PredictiveRun(Model):
        started_at = DateTimeField()
        finished_at = DateTimeField(null=True)
        as_of = DateField()
        state = CharField(max_length=16, default="running")
        is_current = BooleanField(default=False)
        message = TextField(default="")
        customers = IntegerField(default=0)
        repeat_customers = IntegerField(default=0)
        orders = IntegerField(default=0)
        history_days = IntegerField(default=0)
        currency = CharField(max_length=3, default="")
        settings = JSONField(default=dict)
        parameters = JSONField(default=dict)
        goodness = JSONField(default=dict)
        timings = JSONField(default=dict)

        class Meta:
            database = db
            table_name = "predictive_run"
            indexes = ((("is_current",), False),)

    class PredictiveScore(Model):
        run = ForeignKeyField(PredictiveRun, on_delete="CASCADE", index=False)
        profile = ForeignKeyField(Profile, on_delete="CASCADE")
        orders = IntegerField()
        repeat_purchases = IntegerField()
        first_order_on = DateField()
        last_order_on = DateField()
        historic_value = FloatField()
        expected_orders = FloatField()
        p_alive = FloatField()
        expected_spend = FloatField()
        predicted_clv = FloatField()
        next_order_on = DateField(null=True)

        class Meta:
            database = db
            table_name = "predictive_score"
            primary_key = CompositeKey("run", "profile")

    db.create_tables([PredictiveRun, PredictiveScore])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("predictive_score"), migrator.drop_table("predictive_run"))
