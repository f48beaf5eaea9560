"""CPU of the request around a webhook view, alone (issue 16): the SMS and
email webhooks' views are replaced by a stub that reads the body and answers
204 (their marks kept: CSRF exempt, unlimited), and the inbound bench's signed
requests are driven through ``app.wsgi_app`` with environs built beforehand,
so what is timed is Flask, werkzeug and the app's own before/after/teardown
hooks (routing, the plugin-state 404 check, CSRF, the NUL check, the limiter,
the session, the security headers). The same for a bare Flask app with the
two routes.

    python bench/request_around_view.py [--requests 4000]

``bench/inbound_breakdown.py`` measures the same around the real views (CPU
of ``wsgi_app`` less the view's).
"""

import functools
import logging
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import make_app, parser
from bench.inbound_http import EMAIL_PATH, SMS_PATH, TWILIO_TOKEN, Client


class Options:
    email_share = 0.5
    new_share = 0.3
    replay = 0


def _stub(view):
    @functools.wraps(view)  # keeps the marks the hooks read
    def stub(*args, **kwargs):
        from flask import request

        request.get_data()
        return "", 204

    return stub


def _cpu_per_request(app, environs, rounds=3):
    def start_response(status, headers, exc_info=None):
        start_response.status = status

    def run(batch):
        for environ in batch:
            environ = dict(environ)
            environ["wsgi.input"].seek(0)
            b"".join(app.wsgi_app(environ, start_response))
            assert start_response.status.startswith("204"), start_response.status

    run(environs[:200])  # warm caches
    samples = []
    for _ in range(rounds):
        started = time.thread_time()
        run(environs)
        samples.append((time.thread_time() - started) / len(environs))
    return min(samples), sorted(samples)[len(samples) // 2]


def main():
    p = parser(__doc__)
    p.add_argument("--requests", type=int, default=4000)
    args = p.parse_args()
    logging.disable(logging.INFO)
    from flask import Flask, request
    from twilio.request_validator import RequestValidator
    from werkzeug.test import EnvironBuilder

    scratch = tempfile.mkdtemp(prefix="helpline-around-")
    app, _url = make_app(
        args.database_url,
        HUEY_IMMEDIATE=False,
        HUEY_URL="sqlite:///" + os.path.join(scratch, "huey.sqlite3"),
        ATTACHMENTS_DIR=os.path.join(scratch, "files"),
    )
    adapter = app.url_map.bind("localhost")
    for path in (SMS_PATH, EMAIL_PATH):
        endpoint = adapter.match(path, method="POST")[0]
        app.view_functions[endpoint] = _stub(app.view_functions[endpoint])
    maker = Client(0, Options, None, RequestValidator(TWILIO_TOKEN))
    made = [maker.email() if i % 2 else maker.sms() for i in range(args.requests)]
    environs = [EnvironBuilder(path=r[0], method="POST", data=r[1], headers=r[2]).get_environ() for r in made]
    best, median = _cpu_per_request(app, environs)

    bare = Flask("bare")
    for path in (SMS_PATH, EMAIL_PATH):
        bare.add_url_rule(path, path, lambda: (request.get_data(), ("", 204))[1], methods=["POST"])
    bare_best, bare_median = _cpu_per_request(bare, environs)
    print(f"load average: {os.getloadavg()[0]:.1f}; {args.requests} requests, best and median of 3 rounds")
    print(f"the request around a stub webhook view: {best * 1000:.3f} ms of CPU (median {median * 1000:.3f})")
    print(f"a bare Flask app, the same requests: {bare_best * 1000:.3f} ms (median {bare_median * 1000:.3f})")


if __name__ == "__main__":
    main()
