"""Where login sessions are kept: the ``agent_session`` table (the default)
or Redis (``SESSION_URL=redis://...``). Both stores hold the same record per
session, keyed by the SHA-256 digest of the cookie's random id; the policy
(timeouts, revocation, audit) lives in :mod:`app.services.sessions`."""

from __future__ import annotations

import dataclasses
import datetime as dt

from ..models import Agent, AgentSession


@dataclasses.dataclass
class SessionRecord:
    """One session as both stores return it."""

    id: int
    agent_id: int
    id_hash: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    ip: str = ""
    user_agent: str = ""
    # The session's agent when the store read it along (the table joins it:
    # one query per request); None means "load it by agent_id".
    agent: object = dataclasses.field(default=None, repr=False, compare=False)


def _record(row, agent=None):
    return SessionRecord(
        id=row.id,
        agent_id=row.agent_id,
        id_hash=row.id_hash,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
        ip=row.ip,
        user_agent=row.user_agent,
        agent=agent,
    )


class DatabaseStore:
    """Sessions in the ``agent_session`` table: every process sharing the
    database shares them, no other server needed."""

    def create(self, agent_id, id_hash, at, ip, user_agent, max_age):
        row = AgentSession.create(
            agent=agent_id, id_hash=id_hash, created_at=at, last_seen_at=at, ip=ip, user_agent=user_agent
        )
        return row.id

    def get(self, id_hash):
        row = AgentSession.select(AgentSession, Agent).join(Agent).where(AgentSession.id_hash == id_hash).first()
        return _record(row, agent=row.agent) if row else None

    def touch(self, record, at):
        AgentSession.update(last_seen_at=at).where(AgentSession.id == record.id).execute()

    def delete(self, id_hash):
        AgentSession.delete().where(AgentSession.id_hash == id_hash).execute()

    def delete_agent(self, agent_id, keep_hash=None):
        query = AgentSession.delete().where(AgentSession.agent == agent_id)
        if keep_hash:
            query = query.where(AgentSession.id_hash != keep_hash)
        return query.execute()

    def list_agent(self, agent_id):
        rows = AgentSession.select().where(AgentSession.agent == agent_id)
        return [_record(row) for row in rows]

    def purge(self, agent_id, seen_before, created_before):
        query = AgentSession.delete().where(
            (AgentSession.last_seen_at < seen_before) | (AgentSession.created_at < created_before)
        )
        if agent_id is not None:
            query = query.where(AgentSession.agent == agent_id)
        return query.execute()


# Ends every session of one agent but the kept one, in one step: a login
# racing "log out everywhere" is either ended or started after it, never half.
_DELETE_AGENT = """
local n = 0
for _, digest in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if digest ~= ARGV[2] then
    n = n + redis.call('DEL', ARGV[1] .. digest)
    redis.call('SREM', KEYS[1], digest)
  end
end
return n
"""

_TOUCH = """
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'last_seen_at', ARGV[1]) end
"""

_TIME = "%Y-%m-%dT%H:%M:%S.%f"


class RedisStore:
    """Sessions in Redis, for many web hosts with a busy inbox: a hash per
    session (``<prefix>:sessions:s:<digest>``), a set of digests per agent
    (``<prefix>:sessions:agent:<id>``) for "log out everywhere", and a
    counter for the ids the sessions list shows. Keys expire by themselves
    after the absolute timeout; the idle timeout is checked on each use,
    against the app clock, as with the table."""

    def __init__(self, url, prefix):
        import redis

        self.redis = redis.Redis.from_url(url, decode_responses=True)
        self.prefix = f"{prefix}:sessions"
        self._delete_agent = self.redis.register_script(_DELETE_AGENT)
        self._touch = self.redis.register_script(_TOUCH)

    def ping(self):
        """Raises when Redis cannot be reached (the readiness check)."""
        self.redis.ping()

    def _key(self, id_hash):
        return f"{self.prefix}:s:{id_hash}"

    def _agent_key(self, agent_id):
        return f"{self.prefix}:agent:{int(agent_id)}"

    def create(self, agent_id, id_hash, at, ip, user_agent, max_age):
        session_id = self.redis.incr(f"{self.prefix}:next_id")
        ttl = max(int(max_age.total_seconds()) + 60, 60)
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                self._key(id_hash),
                mapping={
                    "id": session_id,
                    "agent_id": int(agent_id),
                    "created_at": at.strftime(_TIME),
                    "last_seen_at": at.strftime(_TIME),
                    "ip": ip,
                    "user_agent": user_agent,
                },
            )
            pipe.expire(self._key(id_hash), ttl)
            pipe.sadd(self._agent_key(agent_id), id_hash)
            pipe.expire(self._agent_key(agent_id), ttl)
            pipe.execute()
        return session_id

    def _load(self, id_hash, data):
        if not data or "id" not in data:
            return None
        return SessionRecord(
            id=int(data["id"]),
            agent_id=int(data["agent_id"]),
            id_hash=id_hash,
            created_at=dt.datetime.strptime(data["created_at"], _TIME),
            last_seen_at=dt.datetime.strptime(data["last_seen_at"], _TIME),
            ip=data.get("ip", ""),
            user_agent=data.get("user_agent", ""),
        )

    def get(self, id_hash):
        return self._load(id_hash, self.redis.hgetall(self._key(id_hash)))

    def touch(self, record, at):
        # Only a session that still exists is touched: a revoke between the
        # read and this write must not bring back a half record.
        self._touch(keys=[self._key(record.id_hash)], args=[at.strftime(_TIME)])

    def delete(self, id_hash):
        record = self.get(id_hash)
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._key(id_hash))
            if record is not None:
                pipe.srem(self._agent_key(record.agent_id), id_hash)
            pipe.execute()

    def delete_agent(self, agent_id, keep_hash=None):
        return int(self._delete_agent(keys=[self._agent_key(agent_id)], args=[f"{self.prefix}:s:", keep_hash or ""]))

    def list_agent(self, agent_id):
        digests = sorted(self.redis.smembers(self._agent_key(agent_id)))
        with self.redis.pipeline(transaction=False) as pipe:
            for digest in digests:
                pipe.hgetall(self._key(digest))
            found = pipe.execute()
        records, gone = [], []
        for digest, data in zip(digests, found, strict=True):
            record = self._load(digest, data)
            (records if record else gone).append(record or digest)
        if gone:  # expired by Redis itself: drop them from the agent's set too
            self.redis.srem(self._agent_key(agent_id), *gone)
        return records

    def purge(self, agent_id, seen_before, created_before):
        if agent_id is None:
            # Redis expires every key after the absolute timeout by itself;
            # idle ones are dropped when next presented or listed.
            return 0
        ended = 0
        for record in self.list_agent(agent_id):
            if record.last_seen_at < seen_before or record.created_at < created_before:
                self.delete(record.id_hash)
                ended += 1
        return ended


def make_store(app):
    """The store ``SESSION_URL`` names: empty for the database, ``redis://``
    (or ``rediss://``, ``unix://``) for Redis. Anything else stops startup."""
    url = app.config.get("SESSION_URL") or ""
    if not url or url == "database":
        return DatabaseStore()
    if url.split(":", 1)[0] in ("redis", "rediss", "unix"):
        return RedisStore(url, app.config["REDIS_PREFIX"])
    raise RuntimeError(f"HELPLINE_SESSION_URL must be empty (the database) or redis://..., not {url!r}")
