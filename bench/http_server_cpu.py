"""The HTTP server's own CPU per request (issue 16): a trivial WSGI app (reads
the body, answers a small JSON) served by gunicorn gthread or granian with the
same processes and threads, 8 keep-alive client threads posting the inbound
bench's signed webhook bodies. What is left of the server's CPU is its HTTP
parsing, sockets and hand-over to the Python threads.

    python bench/http_server_cpu.py --server gunicorn|granian [--duration 10] [-- extra server options]
"""

import argparse
import http.client
import os
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.inbound_http import TWILIO_TOKEN, Client, cpu_seconds, free_port, process_tree

TRIVIAL_APP = """
def app(environ, start_response):
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    body = b'{"status": "ok"}'
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
"""


class Options:
    email_share = 0.5
    new_share = 0.3
    replay = 0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--server", choices=("gunicorn", "granian"), default="gunicorn")
    p.add_argument("--duration", type=float, default=10.0)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("extra", nargs="*", help="more server options, after --")
    args = p.parse_args()
    from twilio.request_validator import RequestValidator

    work = tempfile.mkdtemp(prefix="helpline-http-server-")
    with open(os.path.join(work, "trivial_app.py"), "w") as f:
        f.write(TRIVIAL_APP)
    port = free_port()
    if args.server == "granian":
        command = [sys.executable, "-m", "granian", "--interface", "wsgi", "trivial_app:app", "--no-ws"]
        command += ["--workers", str(args.workers), "--blocking-threads", str(args.threads)]
        command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    else:
        command = [sys.executable, "-m", "gunicorn", "trivial_app:app", "-k", "gthread", "-w", str(args.workers)]
        command += ["--threads", str(args.threads), "-b", f"127.0.0.1:{port}", "--log-level", "warning"]
    server = subprocess.Popen(command + args.extra, cwd=work)
    try:
        for _ in range(300):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/")
                conn.getresponse().read()
                break
            except OSError:
                time.sleep(0.1)
        validator = RequestValidator(TWILIO_TOKEN)
        clients = [Client(i, Options, port, validator) for i in range(args.clients)]
        bodies = [[(c.email() if k % 2 else c.sms())[:3] for k in range(200)] for c in clients]
        count, stop = [0] * args.clients, [False]

        def run(i):
            k = 0
            while not stop[0]:
                clients[i].post(*bodies[i][k % 200])
                count[i] += 1
                k += 1

        threads = [threading.Thread(target=run, args=(i,)) for i in range(args.clients)]
        for thread in threads:
            thread.start()
        time.sleep(2)  # warm-up
        pids = process_tree(server.pid)
        load = os.getloadavg()
        cpu0, n0, t0 = cpu_seconds(pids), sum(count), time.monotonic()
        time.sleep(args.duration)
        cpu1, n1, t1 = cpu_seconds(pids), sum(count), time.monotonic()
        stop[0] = True
        for thread in threads:
            thread.join()
    finally:
        server.terminate()
        server.wait()
    n = n1 - n0
    print(
        f"{args.server} {' '.join(args.extra)} (load {load[0]:.1f}): {n / (t1 - t0):.0f} requests/s, "
        f"server CPU {(cpu1 - cpu0) * 1000 / n:.3f} ms per request ({(cpu1 - cpu0) / (t1 - t0):.2f} cores busy)"
    )


if __name__ == "__main__":
    main()
