"""Where the CPU of one inbound message goes (issue 16): the same signed SMS
and email webhooks as ``bench/inbound_http.py``, posted in-process through
Flask's test client (no gunicorn, no sockets) under ``cProfile``, one thread.

    python bench/inbound_breakdown.py [--messages 1000] [--database-url postgresql://...]

Prints the wall and CPU time per message (first without the profiler, with
the time the SQLite writer lock is held and the CPU spent while holding
it), the statements per message, the share of the profile spent in a few
buckets (request handling around the view, signature and form checks, email
parsing, SQL building in peewee, the database driver, commits, after-commit
work: hooks, events, assignment) and the top functions by own time.
"""

import cProfile
import io
import logging
import os
import pstats
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import make_app, parser
from bench.inbound_http import EMAIL_SECRET, PUBLIC_URL, TWILIO_TOKEN, Client

BUCKETS = {
    "email: stdlib parser + plugin code": ("/email/", "plugins/email/parsing.py"),
    "peewee SQL building": ("peewee.py",),
    "sqlite3 / psycopg calls": ("method 'execute' of 'sqlite3", "psycopg/", "method 'commit'"),
    "werkzeug + flask request handling": ("werkzeug/", "flask/"),
    "twilio signature": ("twilio/",),
    "marshmallow": ("marshmallow/",),
    "nh3 / html": ("services/html.py", "nh3"),
    "pluggy hooks": ("pluggy/",),
}


# Steps timed without the profiler (this thread's CPU, inclusive: steps nest,
# so they do not add up). cProfile inflates code that makes many small Python
# calls (Flask, peewee) against code that runs in C (SQLite, nh3), so its
# shares mislead; these timers cost a fraction of a microsecond per call.
# (module, class or None, attribute, label); what does not exist (an older
# tree run with this bench) is skipped.
STEPS = (
    ("plugins.sms.views", None, "_verified_form", "SMS: form, signature, validation"),
    ("plugins.sms.twilio_api", None, "signature_is_valid", "SMS: signature alone"),
    ("plugins.email.inbound", None, "parse", "email: MIME parse"),
    ("app.services.storage", None, "save", "email: raw mail to file storage"),
    ("app.services.ingest", None, "_prepare", "ingest: checks, HTML, sender lookup (before the lock)"),
    ("app.services.ingest", None, "_ingest_once", "ingest: transaction (email: with commit and after-commit)"),
    ("app.services.ingest", None, "_route", "ingest: route (under the lock)"),
    ("app.rowsql", None, "insert", "ingest: row inserts"),
    ("app.rowsql", None, "save_dirty", "ingest: ticket update"),
    ("app.db", "SqliteDatabase", "commit", "commit (SQLite)"),
    ("app.events", None, "fire_each", "after commit: event hooks"),
    ("app.events", None, "_flush_deferred", "after commit: deferred work (task enqueue, live events)"),
    ("plugins.reports", None, "_enqueue", "after commit: the reports task enqueue"),
    ("app.services.notifications", None, "on_ticket_created", "after commit: new-ticket notifications"),
    ("app.plugins.state", "StateStore", "_state", "plugin state reads"),
    ("app.plugins.settings", "SettingsStore", "get_settings", "plugin settings reads"),
)


def _time_steps():
    """Wrap each of STEPS with a CPU timer: ``{label: [seconds, calls]}``
    and a function that unwraps them."""
    import importlib

    spent, originals = {}, []
    for module_name, owner, attribute, label in STEPS:
        try:
            target = importlib.import_module(module_name)
        except ImportError:
            continue
        if owner is not None:
            target = getattr(target, owner, None)
        original = getattr(target, attribute, None)
        if original is None:
            continue
        spent[label] = totals = [0.0, 0]
        originals.append((target, attribute, original))

        def timed(*args, _original=original, _totals=totals, **kwargs):
            started = time.thread_time()
            try:
                return _original(*args, **kwargs)
            finally:
                _totals[0] += time.thread_time() - started
                _totals[1] += 1

        setattr(target, attribute, timed)

    def unwrap():
        for target, attribute, original in originals:
            setattr(target, attribute, original)

    return spent, unwrap


def _time_around_views(app, paths):
    """Time the request around the view (Flask, werkzeug and the app's own
    before/after/teardown hooks: routing, CSRF, the NUL check, the limiter,
    the session, the security headers) as the CPU of ``app.wsgi_app`` less
    the CPU inside the views of ``paths``: ``[around seconds, requests]`` and
    a function that unwraps. The test client's own work (building the
    environ) is outside ``wsgi_app`` and so not counted."""
    import functools

    adapter = app.url_map.bind("localhost")
    endpoints = {adapter.match(path, method="POST")[0] for path in paths}
    totals = [0.0, 0]
    inside = [0.0]
    originals = {endpoint: app.view_functions[endpoint] for endpoint in endpoints}
    for endpoint, view in originals.items():

        @functools.wraps(view)  # keeps the marks the hooks read (unlimited, CSRF exempt by name)
        def timed_view(*args, _view=view, **kwargs):
            started = time.thread_time()
            try:
                return _view(*args, **kwargs)
            finally:
                inside[0] += time.thread_time() - started

        app.view_functions[endpoint] = timed_view
    wsgi_app = app.wsgi_app

    def timed_wsgi_app(environ, start_response):
        inside[0] = 0.0
        started = time.thread_time()
        try:
            return wsgi_app(environ, start_response)
        finally:
            totals[0] += time.thread_time() - started - inside[0]
            totals[1] += 1

    app.wsgi_app = timed_wsgi_app

    def unwrap():
        app.wsgi_app = wsgi_app
        app.view_functions.update(originals)

    return totals, unwrap


def _bare_flask_around(requests):
    """The same measure for a bare Flask app with one view per path that
    reads the body: what Flask and werkzeug cost with no hooks at all."""
    from flask import Flask, request

    bare = Flask("bare")
    for path in {path for path, *_rest in requests}:
        bare.add_url_rule(path, path, lambda: (request.get_data(), "")[1], methods=["POST"])
    totals, _unwrap = _time_around_views(bare, {path for path, *_rest in requests})
    client = bare.test_client()
    for path, body, headers, *_rest in requests:
        client.post(path, data=body, headers=headers)
    return totals[0] / max(totals[1], 1)


class Options:
    email_share = 0.5
    new_share = 0.3
    replay = 0


def _time_writer_lock(app):
    """Sum how long the SQLite writer lock is held (acquire to release):
    ``[wall seconds, this thread's CPU seconds]``."""
    lock = getattr(app.extensions["helpline.db"], "writer_lock", None)
    held = [0.0, 0.0]
    if lock is None:
        return held
    acquire, release, since = lock.acquire, lock.release, {}

    def timed_acquire():
        acquire()
        since[threading.get_ident()] = (time.perf_counter(), time.thread_time())

    def timed_release():
        started = since.pop(threading.get_ident(), None)
        if started is not None and lock.held():
            held[0] += time.perf_counter() - started[0]
            held[1] += time.thread_time() - started[1]
        release()

    lock.acquire, lock.release = timed_acquire, timed_release
    return held


def bucket_shares(stats):
    """Own time per bucket, as a share of the whole profile."""
    total = 0.0
    shares = dict.fromkeys(BUCKETS, 0.0)
    for (filename, _line, name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        total += tottime
        label = f"{filename}:{name}"
        for bucket, needles in BUCKETS.items():
            if any(n in label for n in needles):
                shares[bucket] += tottime
                break
    return {k: v / total for k, v in shares.items()}, total


def main():
    p = parser(__doc__)
    p.add_argument("--messages", type=int, default=1000)
    p.add_argument("--profile-out", help="also write the profile here (pstats format, for snakeviz or pstats)")
    args = p.parse_args()
    logging.disable(logging.INFO)
    from twilio.request_validator import RequestValidator

    scratch = tempfile.mkdtemp(prefix="helpline-breakdown-")
    # A real queue, as in production: after-commit tasks (the reports plugin's
    # fact sync...) are enqueued, not run inline as in immediate mode.
    app, url = make_app(
        args.database_url,
        HUEY_IMMEDIATE=False,
        HUEY_URL="sqlite:///" + os.path.join(scratch, "huey.sqlite3"),
        ATTACHMENTS_DIR=os.path.join(scratch, "files"),
    )
    from app.db import connection

    with app.app_context(), connection():
        plugins = app.extensions["helpline.plugins"]
        plugins.set_settings("email", {"support_addresses": ["support@shop.example"], "inbound_secret": EMAIL_SECRET})
        plugins.set_settings(
            "sms",
            {
                "account_sid": "AC" + "0123456789abcdef" * 2,
                "auth_token": TWILIO_TOKEN,
                "from_number": "+15005550006",
                "public_url": PUBLIC_URL,
                "autoresponder_enabled": False,
            },
        )
    maker = Client(0, Options, None, RequestValidator(TWILIO_TOKEN))
    requests = []
    for i in range(args.messages):
        requests.append(maker.email() if i % 2 else maker.sms())
    held = _time_writer_lock(app)
    client = app.test_client()
    for path, body, headers, _token, _kind in requests[:20]:  # warm caches
        client.post(path, data=body, headers=headers)
    todo = requests[20:]
    # Without the profiler first: wall time and how long the writer lock is held.
    held[:] = [0.0, 0.0]
    start, cpu_start = time.perf_counter(), time.thread_time()
    for path, body, headers, _token, _kind in todo[: len(todo) // 2]:
        client.post(path, data=body, headers=headers)
    plain = (time.perf_counter() - start) / (len(todo) // 2)
    cpu = (time.thread_time() - cpu_start) / (len(todo) // 2)
    lock_per_message, lock_cpu_per_message = held[0] / (len(todo) // 2), held[1] / (len(todo) // 2)
    todo = todo[len(todo) // 2 :]
    # Then a third of what is left with the step timers.
    timed, todo = todo[: len(todo) // 3], todo[len(todo) // 3 :]
    spent, unwrap = _time_steps()
    around, unwrap_views = _time_around_views(app, {path for path, *_rest in timed})
    for path, body, headers, _token, _kind in timed:
        client.post(path, data=body, headers=headers)
    unwrap_views()
    unwrap()
    bare_around = _bare_flask_around(timed)
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    for path, body, headers, _token, _kind in todo:
        response = client.post(path, data=body, headers=headers)
        if response.status_code >= 300:
            raise SystemExit(f"{path}: HTTP {response.status_code} {response.get_data()[:200]!r}")
    profiler.disable()
    if args.profile_out:
        profiler.dump_stats(args.profile_out)
    elapsed = time.perf_counter() - start
    backend = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(f"backend={backend} messages={len(todo)} (half SMS, half email; 30% new senders)")
    print(f"wall time without the profiler: {plain * 1000:.2f} ms per message (one thread)")
    # CPU time does not grow with the machine's load the way wall time does.
    print(f"CPU time without the profiler: {cpu * 1000:.2f} ms per message")
    if lock_per_message:
        print(
            f"SQLite writer lock held: {lock_per_message * 1000:.2f} ms per message "
            f"(one writer at a time: at most {1 / lock_per_message:.0f} messages/s at this CPU speed), "
            f"{lock_cpu_per_message * 1000:.2f} ms of CPU while held"
        )
    print(f"CPU by step over {len(timed)} messages, without the profiler (inclusive; steps nest):")
    for label, (seconds, calls) in spent.items():
        print(f"  {label:60s} {seconds * 1000 / len(timed):6.3f} ms per message ({calls} calls)")
    print(
        f"  {'the request around the view (wsgi_app less the view)':60s} "
        f"{around[0] * 1000 / max(around[1], 1):6.3f} ms per message ({around[1]} requests; "
        f"a bare Flask app: {bare_around * 1000:.3f} ms)"
    )
    print(f"wall time under the profiler: {elapsed * 1000 / len(todo):.2f} ms per message")
    stats = pstats.Stats(profiler)
    executes = sum(
        v[1]
        for k, v in stats.stats.items()
        if k[2] == "<method 'execute' of 'sqlite3.Cursor' objects>" or ("psycopg/cursor" in k[0] and k[2] == "execute")
    )
    print(f"statements executed: {executes / len(todo):.1f} per message")
    shares, _total = bucket_shares(stats)
    for bucket, share in sorted(shares.items(), key=lambda kv: -kv[1]):
        print(f"  {bucket:38s} {share * 100:5.1f}% of own time")
    print(f"  {'everything else':38s} {(1 - sum(shares.values())) * 100:5.1f}%")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(20)
    # Our own functions by cumulative time: which step costs what.
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(r"(/app/|/plugins/)", 45)
    print(out.getvalue())


if __name__ == "__main__":
    main()
