"""Benchmark: every report over 90 days of 1M tickets (issue 15).

Seeds the reports' facts directly with set-based SQL (``generate_series``
on PostgreSQL, a recursive CTE on SQLite): ``--tickets`` ticket cycles over
90 days on 3 channels, 20 agents (10 % unassigned) and 12 tags (0-2 per
cycle, channel, agent and tags independent), one in twelve reopened (a second cycle), 90 % closed (5 % of them
for inactivity), about 1.4 delivered replies per cycle, one in twenty snoozed.
Then builds the rollup cube with the plugin's own set-based rebuild
(``rebuild_cube``, timed) and times every report endpoint through the real
app (HTTP layer, Bearer token) with and without filters, ``--repeat`` runs
each: p50 and p95 in milliseconds.

    python bench/reports.py --tickets 1000000
    python bench/reports.py --tickets 1000000 --database-url postgresql://postgres@127.0.0.1:5432/helpline_bench_reports

The database is wiped first: never point it at real data.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import make_app, parser  # noqa: E402

DAYS = 90
AGENTS = 20
TAGS = 12
END = dt.date(2026, 3, 31)


def _day(offset, postgres):
    start = (END - dt.timedelta(days=DAYS - 1)).isoformat()
    if postgres:
        return f"(DATE '{start}' + ({offset})::int)"
    return f"date('{start}', '+' || ({offset}) || ' days')"


def _stamp(offset, postgres):
    start = (END - dt.timedelta(days=DAYS - 1)).isoformat()
    if postgres:
        return f"(TIMESTAMP '{start}' + ({offset}) * INTERVAL '1 second')"
    return f"datetime('{start}', '+' || ({offset}) || ' seconds')"


def seed(tickets):
    """Facts for ``tickets`` cycles (plus reopened ones), set-based."""
    from app.db import db, is_postgres
    from app.models import Agent
    from plugins.reports.models import ReportTag

    pg = is_postgres()
    span = DAYS * 86400
    with db.atomic():
        Agent.insert_many(
            [{"email": f"agent{i}@example.com", "name": f"Agent {i:02d}", "role": "support"} for i in range(AGENTS)]
        ).execute()
        ReportTag.insert_many([{"name": f"tag-{i:02d}"} for i in range(TAGS)]).execute()
        agents = [a.id for a in Agent.select(Agent.id).order_by(Agent.id)]
        tags = [t.id for t in ReportTag.select(ReportTag.id).order_by(ReportTag.id)]
        # Channel, agent and tags come from different "digits" of g, so every
        # combination occurs (taking them all modulo g would correlate them).
        agent_case = (
            "CASE WHEN (g / 7) % 10 = 0 THEN -1 "
            + " ".join(f"WHEN (g / 3) % {AGENTS} = {i} THEN {a}" for i, a in enumerate(agents))
            + " END"
        )
        offset = f"(g * {span // tickets} + (g * 7919) % 3600)"  # seconds since the first day, spread evenly
        frt = "((g * 7919) % 5400 + 30)"  # 30 s to 90 min
        res = "((g * 104729) % 259200 + 600)"  # 10 min to 3 days
        closed = f"(g % 10 <> 0 AND {offset} + {res} < {span})"
        cycle_cols = (
            "ticket_id, cycle, channel, agent_key, started_at, start_day, first_customer_at, first_response_at, "
            "responder_key, frt_seconds, frt_day, closed_at, close_day, closed_reason, resolution_seconds"
        )

        def cycle_select(cycle, shift):
            start = f"({offset} + {shift})"
            return (
                f"SELECT g, {cycle}, CASE g % 3 WHEN 0 THEN 'email' WHEN 1 THEN 'sms' ELSE 'webchat' END, "
                f"{agent_case}, {_stamp(start, pg)}, {_day(start + ' / 86400', pg)}, {_stamp(start, pg)}, "
                f"CASE WHEN g % 20 <> 7 THEN {_stamp(start + ' + ' + frt, pg)} END, "
                f"CASE WHEN g % 20 <> 7 THEN {agent_case} END, CASE WHEN g % 20 <> 7 THEN {frt} END, "
                f"CASE WHEN g % 20 <> 7 THEN {_day('(' + start + ' + ' + frt + ') / 86400', pg)} END, "
                f"CASE WHEN {closed} THEN {_stamp(start + ' + ' + res, pg)} END, "
                f"CASE WHEN {closed} THEN {_day('(' + start + ' + ' + res + ') / 86400', pg)} END, "
                f"CASE WHEN {closed} THEN (CASE WHEN g % 20 = 3 THEN 'inactivity' ELSE 'agent' END) END, "
                f"CASE WHEN {closed} THEN {res} END"
            )

        def run(select, table, columns, where="", n=tickets):
            if pg:
                sql = f"INSERT INTO {table} ({columns}) {select} FROM generate_series(1::bigint, {n}) AS g {where}"
                db.execute_sql(sql.replace("%", "%%"), ())
            else:
                sql = (
                    f"INSERT INTO {table} ({columns}) WITH RECURSIVE seq(g) AS "
                    f"(SELECT 1 UNION ALL SELECT g + 1 FROM seq WHERE g < {n}) {select} FROM seq {where}"
                )
                db.execute_sql(sql)

        run(cycle_select(1, 0), "report_cycle", cycle_cols)
        run(cycle_select(2, 86400), "report_cycle", cycle_cols, f"WHERE g % 12 = 0 AND {offset} + 86400 < {span}")
        tag_a = "CASE " + " ".join(f"WHEN (g / 60) % {TAGS} = {i} THEN {t}" for i, t in enumerate(tags)) + " END"
        tag_b = "CASE " + " ".join(f"WHEN (g / 720) % {TAGS} = {i} THEN {t}" for i, t in enumerate(tags)) + " END"
        db.execute_sql(
            f"INSERT INTO report_cycle_tag (cycle_id, tag_id) SELECT id, {tag_a.replace('(g /', '(ticket_id /')} "
            "FROM report_cycle WHERE (ticket_id / 5) % 3 <> 0".replace("%", "%%" if pg else "%"),
            (),
        )
        db.execute_sql(
            f"INSERT INTO report_cycle_tag (cycle_id, tag_id) SELECT id, "
            f"{tag_b.replace('(g /', '(ticket_id /')} FROM report_cycle "
            f"WHERE (ticket_id / 11) % 5 = 0 AND {tag_b.replace('(g /', '(ticket_id /')} <> "
            f"COALESCE(CASE WHEN (ticket_id / 5) % 3 <> 0 THEN {tag_a.replace('(g /', '(ticket_id /')} END, -1)".replace(
                "%", "%%" if pg else "%"
            ),
            (),
        )
        db.execute_sql(
            "INSERT INTO report_reply (message_id, ticket_id, cycle, agent_key, channel, day) "
            "SELECT id, ticket_id, cycle, responder_key, channel, frt_day FROM report_cycle WHERE frt_seconds IS NOT NULL"
        )
        db.execute_sql(
            "INSERT INTO report_reply (message_id, ticket_id, cycle, agent_key, channel, day) "
            "SELECT id + 100000000, ticket_id, cycle, responder_key, channel, COALESCE(close_day, frt_day) "
            "FROM report_cycle WHERE frt_seconds IS NOT NULL AND ticket_id % 2 = 0".replace("%", "%%" if pg else "%"),
            (),
        )
        db.execute_sql(
            "INSERT INTO report_snooze (cycle_id, start_day, end_day) SELECT id, start_day, close_day "
            "FROM report_cycle WHERE ticket_id % 20 = 5".replace("%", "%%" if pg else "%"),
            (),
        )
    db.execute_sql("ANALYZE")


def percentiles(samples):
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered), p95


def main():
    p = parser(__doc__.split("\n")[0])
    p.add_argument("--tickets", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=15)
    args = p.parse_args()
    app, url = make_app(args.database_url)
    from app.auth import create_token
    from app.db import connection, is_postgres
    from app.models import Agent
    from app.plugins import get_plugins
    from plugins.reports.models import ReportCycle, ReportDaily, ReportHist
    from plugins.reports.rebuild import rebuild_cube

    with app.app_context(), connection():
        started = time.perf_counter()
        seed(args.tickets)
        print(f"seeded {ReportCycle.select().count():,} cycles in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        rebuild_cube()
        print(
            f"rebuild_cube: {time.perf_counter() - started:.1f} s -> "
            f"{ReportDaily.select().count():,} daily rows, {ReportHist.select().count():,} histogram rows"
        )
        from app.db import db

        # What autovacuum does on a live system: statistics, and the visibility
        # map that lets PostgreSQL answer from the indexes alone.
        db.execute_sql("VACUUM ANALYZE" if is_postgres() else "ANALYZE")
        owner = Agent.create(email="owner@example.com", name="Owner", role="owner")
        _, token = create_token(owner, "bench")
        agent = Agent.select().where(Agent.role == "support").order_by(Agent.id).first()
        get_plugins().set_settings("reports", {})

    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    window = f"start={(END - dt.timedelta(days=DAYS - 1)).isoformat()}&end={END.isoformat()}"
    filters = {
        "no filter": "",
        "channel": "&channel=sms",
        "agent": f"&agent={agent.id}",
        "tag": "&tag=tag-03",
        "channel+agent+tag": f"&channel=email&agent={agent.id}&tag=tag-03",
    }
    print(f"\n{'endpoint':<10} {'filter':<18} {'p50 ms':>8} {'p95 ms':>8}")
    worst = 0.0
    for endpoint in ("summary", "daily", "channels", "agents", "tags"):
        for label, extra in filters.items():
            url_ = f"/api/v1/reports/{endpoint}?{window}{extra}"
            samples = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                response = client.get(url_, headers=headers)
                samples.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, response.get_json()
            p50, p95 = percentiles(samples)
            worst = max(worst, p95)
            print(f"{endpoint:<10} {label:<18} {p50:8.1f} {p95:8.1f}")
    with app.app_context(), connection():
        from app.auth import login  # noqa: F401  (the page needs a session: use the test client's)
    with client.session_transaction() as session:
        session["agent_id"] = owner.id
        session["pw"] = owner.password_hash[-16:]
    samples = []
    for _ in range(max(3, args.repeat // 3)):
        t0 = time.perf_counter()
        response = client.get(f"/reports?{window}")
        samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
    p50, p95 = percentiles(samples)
    print(f"{'page':<10} {'no filter':<18} {p50:8.1f} {p95:8.1f}   (all five reports + charts, rendered)")
    print(f"\nworst endpoint p95: {worst:.1f} ms ({'within' if worst <= 500 else 'OVER'} the 500 ms target)")


if __name__ == "__main__":
    main()
