"""Which API tokens an agent sees and may revoke: their own, always; every
agent's live tokens too for those who manage agents (the ``agents``
permission: owners and admins), so a departing colleague's or a leaked
token can be ended. Nobody sees a token's secret after it was created;
creating and revoking are ``app.auth.create_token`` / ``revoke_token``."""

from __future__ import annotations

from ..models import Agent, ApiToken
from ..permissions import can

# The page lists tokens without pages: a person has a handful; the bound
# keeps a runaway script's thousands from making it unusable.
MAX_LISTED = 500


def own_tokens(agent):
    """``agent``'s tokens, revoked ones included, newest first."""
    query = ApiToken.select().where(ApiToken.agent == agent.id).order_by(ApiToken.id.desc()).limit(MAX_LISTED)
    return list(query)


def may_manage_all(agent):
    """Whether ``agent`` sees and revokes every agent's tokens."""
    return can(agent, "agents")


def others_tokens(agent):
    """Other agents' tokens that are not revoked, newest first, each with
    its agent (one query); empty unless ``agent`` manages all tokens."""
    if not may_manage_all(agent):
        return []
    query = (
        ApiToken.select(ApiToken, Agent)
        .join(Agent)
        .where((ApiToken.agent != agent.id) & ApiToken.revoked_at.is_null())
        .order_by(ApiToken.id.desc())
        .limit(MAX_LISTED)
    )
    return list(query)


def revocable(agent, token_id):
    """The token ``token_id`` if ``agent`` may revoke it (their own, or any
    for those who manage all tokens), else None."""
    query = ApiToken.select(ApiToken, Agent).join(Agent).where(ApiToken.id == token_id)
    if not may_manage_all(agent):
        query = query.where(ApiToken.agent == agent.id)
    return query.first()
