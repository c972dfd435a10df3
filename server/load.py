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
import urllib.request
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
        app_env = dict(base_env, IMPARTIAL_RATE_LIMIT="10000000/minute;1000000/second")
        rows = []
        headers = {"Authorization": f"Bearer {key}"}
        for label, app, env, every in (
                ("floor: parse JSON, return {}", "server.bench_floor:create_app()", base_env, 0),
                ("/v1/check (key, limits, counters)", "server.app:create_app()", app_env, 0),
                ("/v1/events (10 events a request)", "server.app:create_app()", app_env, 1),
                ("mix: 9 checks to 1 events request", "server.app:create_app()", app_env, 10)):
            proc, base = start_server(app, env, headers=headers)
            try:
                before = count_events(url)
                wenv = dict(env, IMPARTIAL_LOAD_PREFIX=f"p{len(rows)}-{time.time_ns()}",
                            IMPARTIAL_LOAD_EVENTS_EVERY=str(every))
                run_wrk(wrk, base, str(bodies), str(script), 2, 1, env=wenv)  # warm-up
                r = run_wrk(wrk, base, str(bodies), str(script), args.conns, seconds, env=wenv)
                r.update(label=label, events=count_events(url) - before)
                rows.append(r)
            finally:
                proc.terminate()
                proc.wait(timeout=15)
    print(f"make load: {len(posts)} posts, {seconds} s a phase, {args.conns} connections, one gunicorn worker "
          f"(gthread, 4 threads) on CPU 1, wrk on CPU 0; database {Database(url).dialect}\n")
    print(f"{'phase':38} {'req/s':>8} {'p50':>8} {'p90':>8} {'p99':>8} {'non-2xx':>8} {'events stored':>14}")
    for r in rows:
        print(f"{r['label']:38} {r['rps']:8,.0f} {r.get('p50_ms', 0):6.2f}ms {r.get('p90_ms', 0):6.2f}ms "
              f"{r.get('p99_ms', 0):6.2f}ms {r.get('non_2xx', 0):8d} {r['events']:14,d}")
    floor, real = rows[0]["rps"], rows[1]["rps"]
    ratio = real / floor if floor else 0
    print(f"\n/v1/check with keys, limits and counters: {real:,.0f} / {floor:,.0f} req/s = {ratio:.0%} of the floor "
          f"(target >= 85%: {'met' if ratio >= 0.85 else 'MISSED'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
