"""Stored facts and the rollup cube, kept in step.

``sync_ticket`` is what every event hook calls: it recomputes the ticket's
facts from its history (:mod:`.facts`), compares them with the stored ones
and, when they differ, replaces them and adds the *difference* of their
contributions to the cube, in one transaction under a per-ticket lock. Run it
twice, or after a rebuild, and the second run finds nothing to change: hooks
are idempotent by construction."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict

import peewee

from app.plugin import db, is_postgres, write_transaction

from . import facts as facts_mod
from .buckets import bucket_of
from .config import fact_config
from .models import (
    ALL_AGENTS,
    ALL_CHANNELS,
    ALL_TAGS,
    DAILY_FIELDS,
    FRT,
    FRT_BH,
    RESOLUTION,
    RESOLUTION_BH,
    ReportCell,
    ReportCycle,
    ReportCycleTag,
    ReportDaily,
    ReportHist,
    ReportHistWeek,
    ReportMeta,
    ReportReply,
    ReportSnooze,
    ReportTag,
)

CHUNK = 400  # rows per multi-row INSERT (SQLite's variable limit)


# --- tags -----------------------------------------------------------------------


def tag_ids(names):
    """``{name: id}`` of ``report_tag``, creating the names not seen yet."""
    names = sorted(set(names))
    if not names:
        return {}
    ReportTag.insert_many([{"name": n} for n in names]).on_conflict_ignore().execute()
    return dict(ReportTag.select(ReportTag.name, ReportTag.id).where(ReportTag.name.in_(names)).tuples())


def _with_tag_ids(ticket_facts, ids):
    cycles = [dataclasses.replace(c, tags=frozenset(ids[t] for t in c.tags)) for c in ticket_facts.cycles]
    return facts_mod.TicketFacts(cycles, ticket_facts.replies)


def compute_with_ids(history, config):
    """``{ticket_id: TicketFacts}`` (tags as ids) for loaded history."""
    computed = {tid: facts_mod.compute(t, acts, msgs, config) for tid, (t, acts, msgs) in history.items()}
    ids = tag_ids(t for f in computed.values() for c in f.cycles for t in c.tags)
    return {tid: _with_tag_ids(f, ids) for tid, f in computed.items()}


# --- stored facts ------------------------------------------------------------------


def stored(ticket_ids):
    """The stored facts of some tickets: ``{ticket_id: TicketFacts}``."""
    ids = list(ticket_ids)
    rows = list(ReportCycle.select().where(ReportCycle.ticket_id.in_(ids)))
    by_id = {r.id: r for r in rows}
    tags, snoozes = defaultdict(set), defaultdict(list)
    if by_id:
        for cycle_id, tag_id in (
            ReportCycleTag.select(ReportCycleTag.cycle_id, ReportCycleTag.tag_id)
            .where(ReportCycleTag.cycle_id.in_(list(by_id)))
            .tuples()
        ):
            tags[cycle_id].add(tag_id)
        for s in ReportSnooze.select().where(ReportSnooze.cycle_id.in_(list(by_id))).order_by(ReportSnooze.id):
            snoozes[s.cycle_id].append((s.start_day, s.end_day))
    out = {tid: facts_mod.TicketFacts([], []) for tid in ids}
    names = [f.name for f in dataclasses.fields(facts_mod.Cycle) if f.name not in ("tags", "snoozes")]
    for r in rows:
        values = {n: getattr(r, n) for n in names}
        out[r.ticket_id].cycles.append(
            facts_mod.Cycle(**values, tags=frozenset(tags[r.id]), snoozes=tuple(snoozes[r.id]))
        )
    for r in ReportReply.select().where(ReportReply.ticket_id.in_(ids)):
        out[r.ticket_id].replies.append(facts_mod.Reply(r.message_id, r.cycle, r.agent_key, r.channel, r.day))
    return out


def replace_facts(facts_by_ticket):
    """Store these tickets' facts in place of what was stored for them."""
    ids = list(facts_by_ticket)
    if not ids:
        return
    old_cycles = [c for (c,) in ReportCycle.select(ReportCycle.id).where(ReportCycle.ticket_id.in_(ids)).tuples()]
    for start in range(0, len(old_cycles), CHUNK):
        part = old_cycles[start : start + CHUNK]
        ReportCycleTag.delete().where(ReportCycleTag.cycle_id.in_(part)).execute()
        ReportSnooze.delete().where(ReportSnooze.cycle_id.in_(part)).execute()
    ReportCycle.delete().where(ReportCycle.ticket_id.in_(ids)).execute()
    ReportReply.delete().where(ReportReply.ticket_id.in_(ids)).execute()

    cycles = [(tid, c) for tid, f in facts_by_ticket.items() for c in f.cycles]
    for start in range(0, len(cycles), CHUNK // 20):
        part = cycles[start : start + CHUNK // 20]
        query = ReportCycle.insert_many([{"ticket_id": tid, **c.row()} for tid, c in part])
        if is_postgres():
            new_ids = [r[0] for r in query.returning(ReportCycle.id).tuples().execute()]
        else:
            query.execute()
            keys = {(tid, c.cycle) for tid, c in part}
            found = dict(
                ((t, n), i)
                for t, n, i in ReportCycle.select(ReportCycle.ticket_id, ReportCycle.cycle, ReportCycle.id)
                .where(ReportCycle.ticket_id.in_(list({t for t, _ in keys})))
                .tuples()
            )
            new_ids = [found[(tid, c.cycle)] for tid, c in part]
        tag_rows = [{"cycle_id": i, "tag_id": t} for i, (_, c) in zip(new_ids, part) for t in c.tags]
        snooze_rows = [
            {"cycle_id": i, "start_day": s, "end_day": e} for i, (_, c) in zip(new_ids, part) for s, e in c.snoozes
        ]
        for rows, model in ((tag_rows, ReportCycleTag), (snooze_rows, ReportSnooze)):
            for j in range(0, len(rows), CHUNK // 4):
                model.insert_many(rows[j : j + CHUNK // 4]).execute()
    replies = [dataclasses.asdict(r) | {"ticket_id": tid} for tid, f in facts_by_ticket.items() for r in f.replies]
    for start in range(0, len(replies), CHUNK // 8):
        ReportReply.insert_many(replies[start : start + CHUNK // 8]).execute()


# --- the cube ----------------------------------------------------------------------


@dataclasses.dataclass
class Contributions:
    """What a set of facts adds to the cube, keyed by cell ``(channel,
    agent_key, tag_key)``: daily amounts and histogram counts and sums."""

    daily: Counter = dataclasses.field(default_factory=Counter)  # (cell, day, field) -> amount
    hist_n: Counter = dataclasses.field(default_factory=Counter)  # (cell, metric, day, bucket) -> count
    hist_total: Counter = dataclasses.field(default_factory=Counter)  # same key -> seconds

    def minus(self, other):
        out = Contributions(Counter(self.daily), Counter(self.hist_n), Counter(self.hist_total))
        out.daily.subtract(other.daily)
        out.hist_n.subtract(other.hist_n)
        out.hist_total.subtract(other.hist_total)
        return out


def cells(channel, agent_key, tags):
    """Every cube cell a fact counts in: its channel and agent or "all",
    and "all tags" plus each of its tags."""
    return [
        (ch, ag, tg) for ch in (channel, ALL_CHANNELS) for ag in (agent_key, ALL_AGENTS) for tg in (ALL_TAGS, *tags)
    ]


def contributions(ticket_facts_list):
    """The cube contributions of some tickets' facts (docs/reports.md says
    which day and which agent each number is counted on)."""
    out = Contributions()

    def add(channel, agent, tags, day, field, amount=1):
        for cell in cells(channel, agent, tags):
            out.daily[(cell, day, field)] += amount

    def add_duration(channel, agent, tags, day, metric, seconds):
        bucket = bucket_of(seconds)
        for cell in cells(channel, agent, tags):
            out.hist_n[(cell, metric, day, bucket)] += 1
            out.hist_total[(cell, metric, day, bucket)] += seconds

    for f in ticket_facts_list:
        tags_of = {c.cycle: c.tags for c in f.cycles}
        for c in f.cycles:
            ch, ag, tags = c.channel, c.agent_key, c.tags
            add(ch, ag, tags, c.start_day, "created" if c.cycle == 1 else "reopened")
            if c.frt_seconds is not None:
                add(ch, c.responder_key, tags, c.frt_day, "frt_n")
                add(ch, c.responder_key, tags, c.frt_day, "frt_sum", c.frt_seconds)
                add_duration(ch, c.responder_key, tags, c.frt_day, FRT, c.frt_seconds)
                if c.frt_bh_seconds is not None:
                    add(ch, c.responder_key, tags, c.frt_day, "frt_bh_n")
                    add(ch, c.responder_key, tags, c.frt_day, "frt_bh_sum", c.frt_bh_seconds)
                    add_duration(ch, c.responder_key, tags, c.frt_day, FRT_BH, c.frt_bh_seconds)
            if c.closed_at is not None:
                add(ch, ag, tags, c.close_day, "closed")
                if c.closed_reason == "inactivity":
                    add(ch, ag, tags, c.close_day, "auto_closed")
                add(ch, ag, tags, c.close_day, "resolution_sum", c.resolution_seconds)
                add_duration(ch, ag, tags, c.close_day, RESOLUTION, c.resolution_seconds)
                if c.resolution_bh_seconds is not None:
                    add(ch, ag, tags, c.close_day, "resolution_bh_n")
                    add(ch, ag, tags, c.close_day, "resolution_bh_sum", c.resolution_bh_seconds)
                    add_duration(ch, ag, tags, c.close_day, RESOLUTION_BH, c.resolution_bh_seconds)
            for start_day, end_day in c.snoozes:
                add(ch, ag, tags, start_day, "snoozed_in")
                if end_day is not None:
                    add(ch, ag, tags, end_day, "snoozed_out")
        for r in f.replies:
            add(r.channel, r.agent_key, tags_of.get(r.cycle, ()), r.day, "replies")
    return out


def cell_ids(keys):
    """``{(channel, agent_key, tag_key): id}``, creating missing cells."""
    keys = sorted(set(keys))
    if not keys:
        return {}
    found = {}
    for start in range(0, len(keys), CHUNK // 3):
        part = keys[start : start + CHUNK // 3]
        ReportCell.insert_many(
            [{"channel": c, "agent_key": a, "tag_key": t} for c, a, t in part]
        ).on_conflict_ignore().execute()
        query = ReportCell.select(ReportCell.channel, ReportCell.agent_key, ReportCell.tag_key, ReportCell.id).where(
            peewee.Tuple(ReportCell.channel, ReportCell.agent_key, ReportCell.tag_key).in_(part)
        )
        found.update(((c, a, t), i) for c, a, t, i in query.tuples())
    return found


def apply(delta: Contributions):
    """Add a difference of contributions to the cube (upserts in key order,
    so concurrent writers lock rows in the same order)."""
    daily = {k: v for k, v in delta.daily.items() if v}
    hist = {k for k in set(delta.hist_n) | set(delta.hist_total) if delta.hist_n[k] or delta.hist_total[k]}
    ids = cell_ids({k[0] for k in daily} | {k[0] for k in hist})
    rows = defaultdict(lambda: dict.fromkeys(DAILY_FIELDS, 0))
    for (cell, day, field), amount in daily.items():
        rows[(ids[cell], day)][field] += amount
    daily_rows = [{"cell_id": c, "day": d, **v} for (c, d), v in sorted(rows.items())]
    update = {getattr(ReportDaily, f): getattr(ReportDaily, f) + peewee.EXCLUDED[f] for f in DAILY_FIELDS}
    for start in range(0, len(daily_rows), CHUNK // 16):
        ReportDaily.insert_many(daily_rows[start : start + CHUNK // 16]).on_conflict(
            conflict_target=[ReportDaily.cell_id, ReportDaily.day], update=update
        ).execute()
    weekly = defaultdict(lambda: [0, 0])
    hist_rows = []
    for cell, metric, day, bucket in sorted(hist, key=lambda k: (ids[k[0]], k[1], k[2], k[3])):
        n, total = delta.hist_n[(cell, metric, day, bucket)], delta.hist_total[(cell, metric, day, bucket)]
        hist_rows.append((ids[cell], metric, day, bucket, n, total))
        sums = weekly[(ids[cell], metric, week_of(day), bucket)]
        sums[0] += n
        sums[1] += total
    week_rows = [(*key, n, total) for key, (n, total) in sorted(weekly.items()) if n or total]
    for model, time_field, rows in ((ReportHist, "day", hist_rows), (ReportHistWeek, "week", week_rows)):
        key = [model.cell_id, model.metric, getattr(model, time_field), model.bucket]
        update = {model.n: model.n + peewee.EXCLUDED.n, model.total: model.total + peewee.EXCLUDED.total}
        for start in range(0, len(rows), CHUNK // 6):
            model.insert_many(rows[start : start + CHUNK // 6], fields=[*key, model.n, model.total]).on_conflict(
                conflict_target=key, update=update
            ).execute()


def week_of(day):
    """The Monday of the week holding ``day``."""
    return day - dt.timedelta(days=day.weekday())


# --- the entry point of the hooks ------------------------------------------------------


def _lock_ticket(ticket_id):
    if is_postgres():
        db.execute_sql("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"reports:ticket:{ticket_id}",))


def remember_config(config, replace=False):
    """Record which settings the facts follow (to warn when they change)."""
    query = ReportMeta.insert(key="signature", value=config.signature)
    if replace:
        query.on_conflict(conflict_target=[ReportMeta.key], update={ReportMeta.value: config.signature}).execute()
    else:
        query.on_conflict_ignore().execute()


def stored_signature():
    row = ReportMeta.get_or_none(ReportMeta.key == "signature")
    return row.value if row else None


def sync_ticket(ticket_id, config=None):
    """Bring one ticket's facts and their cube contributions up to date.
    Returns True when something changed.

    A reply that moved between tickets (a merge, a split) may still be
    stored under the ticket that held it: that ticket is recomputed in the
    same transaction, so the reply is counted once and the cube stays
    right whichever ticket's event comes first."""
    config = config or fact_config()
    with write_transaction():
        _lock_ticket(ticket_id)
        history = facts_mod.load_history([ticket_id])
        new = compute_with_ids(history, config)
        new.setdefault(ticket_id, facts_mod.EMPTY)
        moved = [r.message_id for r in new[ticket_id].replies]
        holders = set()
        for start in range(0, len(moved), CHUNK):
            holders |= {
                tid
                for (tid,) in ReportReply.select(ReportReply.ticket_id)
                .where(ReportReply.message_id.in_(moved[start : start + CHUNK]) & (ReportReply.ticket_id != ticket_id))
                .tuples()
            }
        if holders:
            for tid in sorted(holders):
                _lock_ticket(tid)
            others = compute_with_ids(facts_mod.load_history(holders), config)
            new.update({tid: others.get(tid, facts_mod.EMPTY) for tid in holders})
        old = stored(list(new))
        changed = {tid: facts for tid, facts in new.items() if facts != old[tid]}
        if not changed:
            return False
        apply(contributions(list(changed.values())).minus(contributions([old[tid] for tid in changed])))
        replace_facts(changed)
        remember_config(config)
    return True
