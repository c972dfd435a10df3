"""`make load`: a bounded load test of the service as an organisation runs it:
API keys from the database, rate limits and check counters on, events written
to the database. Prints requests per second and latency percentiles for checks,
events and a mix, beside the bare Flask floor of `make bench`.

Method as `make bench`: one gunicorn worker (gthread, 4 threads) pinned to
CPU 1, wrk pinned to CPU 0, 127.0.0.1, a fixed time per phase. SQLite in a
temporary folder unless DATABASE_URL names a database (then events go there).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from .bench import ROOT, ensure_wrk, run_wrk, start_server

LUA = """
local bodies = {}
for line in io.lines(os.getenv("IMPARTIAL_BENCH_BODIES")) do bodies[#bodies + 1] = line end
local key = os.getenv("IMPARTIAL_LOAD_KEY")
local prefix = os.getenv("IMPARTIAL_LOAD_PREFIX")
local every = tonumber(os.getenv("IMPARTIAL_LOAD_EVENTS_EVERY"))  -- one events request in this many; 1: only events
local i, n = 0, 0
local check_headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key}
request = function()
  n = n + 1
  if every > 0 and n % every == 0 then
    -- Ten events with ids no other request uses: prefix, request number, position.
    local events = {}
    for j = 1, 10 do
      events[j] = string.format('{"id":"%s-%d-%d","type":"presend","at":"%s","platform":"x",' ..
        '"rule_ids":["attack.shaming"],"categories":["attack"],"decision":"posted_with_reason",' ..
        '"reason":"quoting the minister","officer":"officer-%d"}', prefix, n, j, os.date("!%Y-%m-%dT%H:%M:%SZ"), j)
    end
    return wrk.format("POST", "/v1/events", check_headers, '{"events":[' .. table.concat(events, ",") .. ']}')
  end
  i = i % #bodies + 1
  return wrk.format("POST", "/v1/check", check_headers, bodies[i])
end
"""


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children's threads so far, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total, pids = 0.0, [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            pids += [int(p) for p in (task / "children").read_text().split()]
        for p in pids:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            if p == pid:  # workers that exited and were reaped count in their parent's cutime/cstime
                total += (int(fields[13]) + int(fields[14])) / tick
    except OSError:
        return float("nan")
    return total


def wsgi_cpu(posts, tmp: str, rounds: int = 5) -> dict:
    """CPU per /v1/check called straight through WSGI (no HTTP, no other process): the
    engine floor, the service with keys and limits off, and with both on. Rounds
    alternate and each keeps its best: the steadiest comparison this machine allows."""
    import io
    import logging

    from .app import create_app
    from .bench_floor import create_engine_app
    from .config import Settings
    from .db import Database
    from .keys import KeyRing

    logging.disable(logging.WARNING)
    bodies = [json.dumps({"text": t, "platform": "x"}).encode() for t in posts]
    full_url = f"sqlite:///{tmp}/wsgi-full.db"
    Database(full_url).upgrade()
    key = KeyRing(Database(full_url)).create("make load (in process)")[1]
    apps = {
        "floor: Flask + the same engine": (create_engine_app(), {}),
        "service, no key, no limits": (create_app(Settings(rate_limit="", database_url=f"sqlite:///{tmp}/wsgi.db")),
                                       {}),
        "service, database key, limits on": (create_app(Settings(rate_limit="10000000/minute",
                                                                  database_url=full_url)),
                                             {"HTTP_AUTHORIZATION": f"Bearer {key}"}),
    }

    def one_pass(app, extra) -> float:
        def start_response(status, headers, exc_info=None):
            if not status.startswith("200"):
                raise RuntimeError(f"/v1/check answered {status} in the in-process run")
        t = time.process_time()
        for body in bodies:
            environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/v1/check", "SERVER_NAME": "load", "SERVER_PORT": "80",
                       "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
                       "wsgi.errors": sys.stderr, "CONTENT_TYPE": "application/json",
                       "CONTENT_LENGTH": str(len(body)), "REMOTE_ADDR": "127.0.0.1", **extra}
            for _ in app(environ, start_response):
                pass
        return (time.process_time() - t) * 1e3 / len(bodies)

    for app, extra in apps.values():
        one_pass(app, extra)  # warm-up
    best = {name: float("inf") for name in apps}
    for _ in range(rounds):
        for name, (app, extra) in apps.items():
            best[name] = min(best[name], one_pass(app, extra))
    logging.disable(logging.NOTSET)
    return best


def count_events(url: str) -> int:
    from sqlalchemy import func, select

    from .db import Database, events

    with Database(url).begin() as conn:
        return conn.execute(select(func.count()).select_from(events)).scalar_one()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", default=str(ROOT.parent / "shared" / "bench" / "posts.jsonl"))
    ap.add_argument("--seconds", type=int, default=8, help="per phase (bounded: at most 60)")
    ap.add_argument("--conns", type=int, default=8)
    ap.add_argument("--no-wsgi", action="store_true", help="skip the in-process comparison")
    args = ap.parse_args(argv)
    seconds = max(2, min(args.seconds, 60))
    wrk = ensure_wrk()
    if wrk is None:
        print("make load needs wrk (apt-get install wrk)", file=sys.stderr)
        return 2
    posts = [json.loads(line)["text"] for line in Path(args.posts).read_text().splitlines() if line.strip()]
    from .db import Database
    from .keys import KeyRing

    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/load.db"
        db = Database(url)
        db.upgrade()
        key = KeyRing(db).create(f"make load {time.strftime('%H:%M:%S')}")[1]
        bodies = Path(tmp) / "bodies.jsonl"
        bodies.write_text("\n".join(json.dumps({"text": t, "platform": "x"}) for t in posts) + "\n")
        script = Path(tmp) / "load.lua"
        script.write_text(LUA)
        base_env = dict(os.environ, DATABASE_URL=url, IMPARTIAL_RELOAD_INTERVAL="1.0", IMPARTIAL_LOG_LEVEL="WARNING",
                        IMPARTIAL_LOAD_KEY=key)
        # Limits on, high enough that this load measures their cost rather than hitting them.
        # Metrics as gunicorn.conf.py sets them up (each worker writes to its files): their real cost.
        metrics_dir = Path(tmp) / "metrics"
        metrics_dir.mkdir()
        app_env = dict(base_env, IMPARTIAL_RATE_LIMIT="10000000/minute;1000000/second",
                       PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
        rows = []
        headers = {"Authorization": f"Bearer {key}"}
        phases = [
            ("floor: parse JSON, return {}", "server.bench_floor:create_app()", base_env, 0),
            ("floor: Flask + the same engine", "server.bench_floor:create_engine_app()", base_env, 0),
            ("/v1/check (key, limits, counters)", "server.app:create_app()", app_env, 0),
            ("/v1/events (10 events a request)", "server.app:create_app()", app_env, 1),
            ("mix: 9 checks to 1 events request", "server.app:create_app()", app_env, 10),
        ]
        # The engine floor and the full check run twice, alternately, and each keeps its better
        # run: other work on the machine hits both alike.
        for label, app, env, every in phases[:1] + phases[1:3] * 2 + phases[3:]:
            proc, base = start_server(app, env, headers=headers)
            try:
                before = count_events(url)
                wenv = dict(env, IMPARTIAL_LOAD_PREFIX=f"p{len(rows)}-{time.time_ns()}",
                            IMPARTIAL_LOAD_EVENTS_EVERY=str(every))
                run_wrk(wrk, base, str(bodies), str(script), 2, 1, env=wenv)  # warm-up
                cpu = cpu_seconds(proc.pid)
                r = run_wrk(wrk, base, str(bodies), str(script), args.conns, seconds, env=wenv)
                cpu = cpu_seconds(proc.pid) - cpu
                # CPU per request: what a request costs the server, whatever else the machine runs.
                r.update(label=label, events=count_events(url) - before,
                         cpu_ms=cpu * 1e3 / max(1.0, r["rps"] * seconds))
                rows.append(r)
            finally:
                proc.terminate()
                proc.wait(timeout=15)
        wsgi = wsgi_cpu(posts, tmp) if not args.no_wsgi else {}
        best = {}
        for r in rows:
            if r["label"] not in best or r["cpu_ms"] < best[r["label"]]["cpu_ms"]:
                best[r["label"]] = r
        rows = [best[p[0]] for p in phases]
    print(f"make load: {len(posts)} posts, {seconds} s a phase, {args.conns} connections, one gunicorn worker "
          f"(gthread, 4 threads) on CPU 1, wrk on CPU 0; database {Database(url).dialect}\n")
    print(f"{'phase':38} {'req/s':>8} {'p50':>8} {'p90':>8} {'p99':>8} {'non-2xx':>8} {'events stored':>14} "
          f"{'CPU/req':>8}")
    for r in rows:
        print(f"{r['label']:38} {r['rps']:8,.0f} {r.get('p50_ms', 0):6.2f}ms {r.get('p90_ms', 0):6.2f}ms "
              f"{r.get('p99_ms', 0):6.2f}ms {r.get('non_2xx', 0):8d} {r['events']:14,d} {r['cpu_ms']:6.2f}ms"
              + ("  (wrk reported nothing: run again)" if not r["rps"] else ""))
    floor, real = rows[1], rows[2]
    ratio = real["rps"] / floor["rps"] if floor["rps"] else 0
    cpu_ratio = floor["cpu_ms"] / real["cpu_ms"] if real["cpu_ms"] else 0
    print(f"\n/v1/check with keys, limits and counters against Flask around the same engine (target >= 85%):\n"
          f"  by req/s measured: {real['rps']:,.0f} / {floor['rps']:,.0f} = {ratio:.0%}\n"
          f"  by server CPU per request (req/s on a core of its own): {floor['cpu_ms']:.2f} / {real['cpu_ms']:.2f} ms "
          f"= {cpu_ratio:.0%} -> {'met' if cpu_ratio >= 0.85 else 'MISSED'}\n"
          f"  (req/s moves with whatever else this machine runs; CPU per request much less)")
    if wsgi:
        floor_ms = wsgi["floor: Flask + the same engine"]
        print("\nin process, straight through WSGI (CPU per /v1/check, best of alternating rounds):")
        for name, ms in wsgi.items():
            print(f"  {name:36} {ms:6.3f} ms  {floor_ms / ms:5.0%} of the floor's rate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
