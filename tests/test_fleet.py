"""Two gunicorn instances sharing one PostgreSQL, as behind a load balancer:
both serve checks and record events while one is restarted; clients retry with
the same event ids, and no event is lost or stored twice."""

import json
import shutil
import threading
import time
import urllib.error
import urllib.request

from sqlalchemy import func, select

from helpers import RULES
from served import Gunicorn

from server.db import Database, daily_counts, event_rules, events

KEY_LABEL = "Press office"


def call(base, path, body, key, timeout=10):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def test_two_instances_one_database_restart_loses_and_doubles_nothing(tmp_path, pg_url):
    from server.keys import KeyRing

    rules = tmp_path / "rules.json"
    shutil.copy(RULES, rules)
    db = Database(pg_url)
    db.upgrade()
    key = KeyRing(db).create(KEY_LABEL)[1]
    env = {"DATABASE_URL": pg_url, "IMPARTIAL_COUNTS_INTERVAL": "0.5", "IMPARTIAL_RATE_LIMIT": ""}
    # Both start at once on the same database: one applies the migrations (none left here, but the
    # lock is taken), the other waits.
    started = {}

    def start(name):
        work = tmp_path / name
        work.mkdir(exist_ok=True)
        started[name] = Gunicorn(work, rules, **env)

    threads = [threading.Thread(target=start, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    a, b = started["a"], started["b"]
    instances = {"a": a, "b": b}
    stop = threading.Event()
    sent_ids, outcomes, checks_ok, checks_tried, problems = [], [], [0], [0], []

    def events_client(worker: int):
        n = 0
        while not stop.is_set():
            batch = [{"id": f"w{worker}-batch{n:03d}-{i}", "type": "presend" if i % 2 else "false_flag",
                      "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "platform": "x",
                      "rule_ids": ["attack.shaming", "attack.mocking-nickname"], "categories": ["attack"],
                      **({"decision": "posted_with_reason", "reason": "quoted"} if i % 2 else {})}
                     for i in range(5)]
            sent_ids.extend(e["id"] for e in batch)
            order = ["a", "b"] if (n + worker) % 2 else ["b", "a"]
            for attempt in range(200):  # the same batch, same ids, until one instance takes it
                inst = instances[order[attempt % 2]]
                try:
                    status, body = call(inst.base, "/v1/events", {"events": batch}, key, timeout=5)
                except OSError:
                    time.sleep(0.05)
                    continue
                if status == 202:
                    outcomes.append({**body, "by": inst, "at": time.monotonic()})
                    break
                if status < 500:
                    problems.append((status, body))
                    break
                time.sleep(0.05)
            else:
                problems.append(("gave up", batch[0]["id"]))
            n += 1
            time.sleep(0.02)

    def checks_client():
        i = 0
        while not stop.is_set():
            inst = instances["ab"[i % 2]]
            i += 1
            checks_tried[0] += 1
            try:
                status, body = call(inst.base, "/v1/check", {"text": "Vote Labour on Thursday"}, key, timeout=5)
            except OSError:
                continue
            if status == 200:
                checks_ok[0] += 1
                assert body["verdict"] in ("warn", "block")

    clients = [threading.Thread(target=events_client, args=(w,)) for w in range(3)]
    clients.append(threading.Thread(target=checks_client))
    for t in clients:
        t.start()
    try:
        time.sleep(1.0)
        # Restart instance a while both are busy: stop it (gracefully), start it again on its port.
        port = a.port
        stopping = time.monotonic()
        a.stop()
        time.sleep(0.5)
        instances["a"] = Gunicorn(tmp_path / "a", rules, port=port, **env)
        restarted = time.monotonic()
        time.sleep(1.5)  # both serve again
        stop.set()
        for t in clients:
            t.join(timeout=60)
    finally:
        stop.set()
        instances["a"].stop()
        b.stop()

    assert not problems, problems[:5]
    # The restart really happened mid-traffic: events went to the first a, and to the restarted one.
    assert any(o["by"] is a and o["at"] < stopping for o in outcomes)
    assert any(o["by"] is instances["a"] and o["at"] > restarted for o in outcomes)
    assert any(o["at"] > restarted for o in outcomes if o["by"] is b)
    assert all(o["accepted"] + o["duplicates"] == 5 for o in outcomes)
    assert len(outcomes) * 5 == len(sent_ids)  # every batch sent was taken in the end
    with db.begin() as conn:
        stored = conn.execute(select(events.c.id)).scalars().all()
        rule_rows = conn.execute(select(func.count()).select_from(event_rules)).scalar_one()
        sources = set(conn.execute(select(events.c.source)).scalars())
        counted = conn.execute(select(func.sum(daily_counts.c.count))
                               .where(daily_counts.c.metric == "checks")).scalar_one()
    assert len(stored) == len(set(stored)) == len(sent_ids) == len(set(sent_ids)) > 100
    assert set(stored) == set(sent_ids)
    assert rule_rows == 2 * len(sent_ids)  # no event's rules stored twice either
    assert sources == {KEY_LABEL}
    assert sum(o["accepted"] for o in outcomes) <= len(sent_ids)
    # Every check a client saw answered was counted (workers save their counts on the way out),
    # none more often than it was tried.
    assert checks_ok[0] > 0 and checks_ok[0] <= counted <= checks_tried[0], (checks_ok, counted, checks_tried)
