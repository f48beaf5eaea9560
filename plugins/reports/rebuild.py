"""Rebuilding every fact from the tickets' history, then the cube from the
facts with set-based SQL (``helpline reports rebuild``). Installing the
plugin on an existing deployment fills the reports this way; running it
again gives the same numbers."""

from __future__ import annotations

from app.plugin import Ticket, db, is_postgres, write_transaction

from . import facts as facts_mod
from .config import fact_config
from .models import DAILY_FIELDS, FRT, FRT_BH, RESOLUTION, RESOLUTION_BH
from .store import compute_with_ids, remember_config, replace_facts

BATCH = 500
MAX_EXPONENT = 40  # durations up to 2**41 seconds


def rebuild(progress=None, batch=BATCH):
    """Recompute the facts of every ticket, then the cube. ``progress`` is
    an optional ``tqdm``-like factory ``progress(total=n, unit=...)``.
    Returns the number of tickets read."""
    config = fact_config()
    total = Ticket.select().count()
    bar = progress(total=total, unit="tickets", desc="facts") if progress else None
    _drop_orphans()
    done, after = 0, 0
    while True:
        ids = [
            t for (t,) in Ticket.select(Ticket.id).where(Ticket.id > after).order_by(Ticket.id).limit(batch).tuples()
        ]
        if not ids:
            break
        with write_transaction():
            if is_postgres():
                # The same per-ticket locks as the hooks, so a live event
                # never interleaves with the rewrite of its ticket.
                db.execute_sql(
                    "SELECT pg_advisory_xact_lock(hashtextextended('reports:ticket:' || t::text, 0)) "
                    "FROM unnest(%s::int[]) AS t ORDER BY t",
                    (ids,),
                )
            history = facts_mod.load_history(ids)
            replace_facts(compute_with_ids(history, config))
        done += len(ids)
        after = ids[-1]
        if bar is not None:
            bar.update(len(ids))
    if bar is not None:
        bar.close()
    rebuild_cube(config)
    return done


def _drop_orphans():
    """Facts of tickets that no longer exist."""
    with write_transaction():
        db.execute_sql(
            "DELETE FROM report_cycle_tag WHERE cycle_id IN (SELECT id FROM report_cycle "
            "WHERE ticket_id NOT IN (SELECT id FROM ticket))"
        )
        db.execute_sql(
            "DELETE FROM report_snooze WHERE cycle_id IN (SELECT id FROM report_cycle "
            "WHERE ticket_id NOT IN (SELECT id FROM ticket))"
        )
        db.execute_sql("DELETE FROM report_cycle WHERE ticket_id NOT IN (SELECT id FROM ticket)")
        db.execute_sql("DELETE FROM report_reply WHERE ticket_id NOT IN (SELECT id FROM ticket)")


def bucket_sql(column):
    """SQL for :func:`plugins.reports.buckets.bucket_of` of an integer column."""
    parts = [f"WHEN {column} < 0 THEN 0", f"WHEN {column} < 64 THEN {column}"]
    for e in range(6, MAX_EXPONENT + 1):
        parts.append(f"WHEN {column} < {2 ** (e + 1)} THEN {64 + (e - 6) * 16 - 16} + ({column} >> {e - 4})")
    return "CASE " + " ".join(parts) + " END"


def _row(**values):
    """One SELECT list of the contributions union, zeros for the rest."""
    names = ("cycle_id", "day", "channel", "agent_key", *DAILY_FIELDS)
    cols = [f"{values.pop(name, 0)} AS {name}" for name in names]
    assert not values, values
    return ", ".join(cols)


def _daily_contributions():
    """The facts as ``(cycle_id, day, channel, agent_key, <DAILY_FIELDS>)``
    rows: the same definitions as ``store.contributions``, in SQL."""
    cycle = {"cycle_id": "c.id", "channel": "c.channel"}
    auto = "CASE WHEN c.closed_reason = 'inactivity' THEN 1 ELSE 0 END"
    parts = [
        (
            "report_cycle c",
            {
                **cycle,
                "day": "c.start_day",
                "agent_key": "c.agent_key",
                "created": "CASE WHEN c.cycle = 1 THEN 1 ELSE 0 END",
                "reopened": "CASE WHEN c.cycle > 1 THEN 1 ELSE 0 END",
            },
        ),
        (
            "report_cycle c WHERE c.closed_at IS NOT NULL",
            {
                **cycle,
                "day": "c.close_day",
                "agent_key": "c.agent_key",
                "closed": 1,
                "auto_closed": auto,
                "resolution_sum": "c.resolution_seconds",
                "resolution_bh_n": "CASE WHEN c.resolution_bh_seconds IS NULL THEN 0 ELSE 1 END",
                "resolution_bh_sum": "COALESCE(c.resolution_bh_seconds, 0)",
            },
        ),
        (
            "report_cycle c WHERE c.frt_seconds IS NOT NULL",
            {
                **cycle,
                "day": "c.frt_day",
                "agent_key": "c.responder_key",
                "frt_n": 1,
                "frt_sum": "c.frt_seconds",
                "frt_bh_n": "CASE WHEN c.frt_bh_seconds IS NULL THEN 0 ELSE 1 END",
                "frt_bh_sum": "COALESCE(c.frt_bh_seconds, 0)",
            },
        ),
        (
            "report_snooze s JOIN report_cycle c ON c.id = s.cycle_id",
            {**cycle, "day": "s.start_day", "agent_key": "c.agent_key", "snoozed_in": 1},
        ),
        (
            "report_snooze s JOIN report_cycle c ON c.id = s.cycle_id WHERE s.end_day IS NOT NULL",
            {**cycle, "day": "s.end_day", "agent_key": "c.agent_key", "snoozed_out": 1},
        ),
        (
            "report_reply r JOIN report_cycle c ON c.ticket_id = r.ticket_id AND c.cycle = r.cycle",
            {"cycle_id": "c.id", "day": "r.day", "channel": "r.channel", "agent_key": "r.agent_key", "replies": 1},
        ),
    ]
    return "\nUNION ALL\n".join(f"SELECT {_row(**values)} FROM {source}" for source, values in parts)


def _hist_contributions():
    rows = [
        (FRT, "c.frt_day", "c.responder_key", "c.frt_seconds"),
        (FRT_BH, "c.frt_day", "c.responder_key", "c.frt_bh_seconds"),
        (RESOLUTION, "c.close_day", "c.agent_key", "c.resolution_seconds"),
        (RESOLUTION_BH, "c.close_day", "c.agent_key", "c.resolution_bh_seconds"),
    ]
    return "\nUNION ALL\n".join(
        f"SELECT c.id AS cycle_id, {day} AS day, c.channel AS channel, {agent} AS agent_key, {metric} AS metric, "
        f"{value} AS s FROM report_cycle c WHERE {value} IS NOT NULL"
        for metric, day, agent, value in rows
    )


# Every fact counts in its own channel and agent and in "all", and in "all
# tags" plus each tag of its cycle: the same cells as ``store.cells``. The
# facts are first summed per (day, channel, agent, tag), then those few rows
# are rolled up into the "all channels" and "all agents" cells.
_TAGS = """
JOIN (SELECT id AS cycle_id, 0 AS tag_key FROM report_cycle
      UNION ALL SELECT cycle_id, tag_id FROM report_cycle_tag) t ON t.cycle_id = k.cycle_id
"""
_ROLLUP = """
CROSS JOIN (SELECT 0 AS all_ch, 0 AS all_ag UNION ALL SELECT 0, 1 UNION ALL SELECT 1, 0 UNION ALL SELECT 1, 1) x
"""
_CELL = (
    "CASE WHEN x.all_ch = 1 THEN '' ELSE f.channel END AS channel, "
    "CASE WHEN x.all_ag = 1 THEN 0 ELSE f.agent_key END AS agent_key, f.tag_key AS tag_key"
)


def rebuild_cube(config=None):
    """Replace the cube with the aggregate of the stored facts, in one
    transaction (on PostgreSQL the fact tables are locked against writers
    meanwhile, so no live event is lost or counted twice). Rows are written
    in key order, so each slice's rows sit together on disk."""
    cols = ", ".join(DAILY_FIELDS)
    with write_transaction():
        if is_postgres():
            db.execute_sql(
                "LOCK TABLE report_cycle, report_cycle_tag, report_snooze, report_reply IN SHARE ROW EXCLUSIVE MODE"
            )
        db.execute_sql("DELETE FROM report_daily")
        db.execute_sql("DELETE FROM report_hist")
        db.execute_sql("DELETE FROM report_hist_week")
        for table in ("report_tmp_fine", "report_tmp_fine_hist", "report_tmp_daily", "report_tmp_hist"):
            db.execute_sql(f"DROP TABLE IF EXISTS {table}")
        fine = ", ".join(f"SUM(k.{f}) AS {f}" for f in DAILY_FIELDS)
        db.execute_sql(
            "CREATE TEMPORARY TABLE report_tmp_fine AS SELECT k.day AS day, k.channel AS channel, "
            f"k.agent_key AS agent_key, t.tag_key AS tag_key, {fine} "
            f"FROM ({_daily_contributions()}) k {_TAGS} GROUP BY 1, 2, 3, 4"
        )
        db.execute_sql(
            "CREATE TEMPORARY TABLE report_tmp_fine_hist AS SELECT k.day AS day, k.channel AS channel, "
            f"k.agent_key AS agent_key, t.tag_key AS tag_key, k.metric AS metric, {bucket_sql('k.s')} AS bucket, "
            f"COUNT(*) AS n, SUM(k.s) AS total FROM ({_hist_contributions()}) k {_TAGS} GROUP BY 1, 2, 3, 4, 5, 6"
        )
        sums = ", ".join(f"SUM(f.{f}) AS {f}" for f in DAILY_FIELDS)
        db.execute_sql(
            f"CREATE TEMPORARY TABLE report_tmp_daily AS SELECT f.day AS day, {_CELL}, {sums} "
            f"FROM report_tmp_fine f {_ROLLUP} GROUP BY 1, 2, 3, 4"
        )
        db.execute_sql(
            f"CREATE TEMPORARY TABLE report_tmp_hist AS SELECT f.day AS day, {_CELL}, f.metric AS metric, "
            "f.bucket AS bucket, SUM(f.n) AS n, SUM(f.total) AS total "
            f"FROM report_tmp_fine_hist f {_ROLLUP} GROUP BY 1, 2, 3, 4, 5, 6"
        )
        db.execute_sql(
            "INSERT INTO report_cell (channel, agent_key, tag_key) "
            "SELECT DISTINCT channel, agent_key, tag_key FROM report_tmp_daily WHERE true ON CONFLICT DO NOTHING"
        )
        join = "JOIN report_cell cell ON cell.channel = d.channel AND cell.agent_key = d.agent_key AND cell.tag_key = d.tag_key"
        db.execute_sql(
            f"INSERT INTO report_daily (cell_id, day, {cols}) "
            f"SELECT cell.id, d.day, {', '.join('d.' + f for f in DAILY_FIELDS)} FROM report_tmp_daily d {join} "
            "ORDER BY cell.id, d.day"
        )
        db.execute_sql(
            "INSERT INTO report_hist (cell_id, metric, day, bucket, n, total) "
            f"SELECT cell.id, d.metric, d.day, d.bucket, d.n, d.total FROM report_tmp_hist d {join} "
            "ORDER BY cell.id, d.metric, d.day, d.bucket"
        )
        week = "date_trunc('week', day)::date" if is_postgres() else "date(day, 'weekday 0', '-6 days')"
        db.execute_sql(
            "INSERT INTO report_hist_week (cell_id, metric, week, bucket, n, total) "
            f"SELECT cell_id, metric, {week}, bucket, SUM(n), SUM(total) FROM report_hist GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
        )
        for table in ("report_tmp_fine", "report_tmp_fine_hist", "report_tmp_daily", "report_tmp_hist"):
            db.execute_sql(f"DROP TABLE {table}")
        remember_config(config or fact_config(), replace=True)
