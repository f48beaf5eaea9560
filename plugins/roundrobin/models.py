"""Round-robin bookkeeping: each agent's place in the rotation."""

import peewee

from app.plugin import Agent, BaseModel


class RoundRobinTurn(BaseModel):
    """The rotation counter of the last ticket the rule gave an agent.

    ``Agent.last_assigned_at`` decides who is least recently assigned; the
    counter breaks ties between equal times (several claims within one clock
    tick, or a frozen clock) so the rotation never repeats an agent early."""

    agent = peewee.ForeignKeyField(Agent, primary_key=True, on_delete="CASCADE")
    turn = peewee.BigIntegerField(default=0)

    class Meta:
        table_name = "roundrobin_turn"


MODELS = [RoundRobinTurn]
