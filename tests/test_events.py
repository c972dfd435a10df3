"""POST /v1/events and the event store, on SQLite and PostgreSQL, through the real app."""

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update

from server.db import event_rules, events
from server.events import query

from test_api import assert_conforms

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def at(days_ago=0, **kw):
    return (NOW - timedelta(days=days_ago, **kw)).strftime("%Y-%m-%dT%H:%M:%SZ")


def presend(id, **kw):
    e = {"id": id, "type": "presend", "at": at(), "platform": "x", "rule_ids": ["attack.mocking-nickname"],
         "categories": ["attack"], "severity": "block", "decision": "posted_with_reason",
         "reason": "Quoting the minister", "officer": "officer-7"}
    e.update(kw)
    return e


def flag(id, rule="loaded_language.activist-lawyer", **kw):
    e = {"id": id, "type": "false_flag", "at": at(), "platform": "facebook", "rule_ids": [rule],
         "categories": ["loaded_language"]}
    e.update(kw)
    return e


def send(client, events, **kw):
    return client.post("/v1/events", data=json.dumps({"events": events}), content_type="application/json", **kw)


def stored(app, where=None):
    db = app.extensions["impartial"].db
    with db.begin() as conn:
        stmt = select(events)
        if where is not None:
            stmt = stmt.where(where)
        return [dict(r._mapping) for r in conn.execute(stmt.order_by(events.c.id))]


def test_events_are_recorded_once_and_duplicates_reported(make_app, db_url):
    app = make_app(database_url=db_url)
    c = app.test_client()
    batch = [presend("evt-00000001"), flag("evt-00000002"),
             presend("evt-00000003", decision="back_to_edit", reason=None)]
    r = send(c, batch)
    assert r.status_code == 202, r.get_json()
    assert r.get_json() == {"accepted": 3, "duplicates": 0}
    assert_conforms(r, "/v1/events", "post")
    # A retry of the whole batch, and a batch naming one id twice: nothing is stored twice.
    assert send(c, batch).get_json() == {"accepted": 0, "duplicates": 3}
    r = send(c, [flag("evt-00000004"), flag("evt-00000004"), presend("evt-00000001")])
    assert r.get_json() == {"accepted": 1, "duplicates": 2}
    rows = stored(app)
    assert [r["id"] for r in rows] == ["evt-00000001", "evt-00000002", "evt-00000003", "evt-00000004"]
    first = rows[0]
    assert first["decision"] == "posted_with_reason" and first["reason"] == "Quoting the minister"
    assert first["officer"] == "officer-7" and first["source"] == "(no key)" and first["text"] is None
    with app.extensions["impartial"].db.begin() as conn:
        assert conn.execute(select(func.count()).select_from(event_rules)).scalar_one() == 4


def test_the_query_interface_counts_what_was_sent(make_app, db_url):
    app = make_app(database_url=db_url)
    c = app.test_client()
    assert send(c, [
        presend("q-0000000001"), presend("q-0000000002", decision="posted_after_warning", reason=None,
                                         at=at(days_ago=3)),
        presend("q-0000000003", decision="back_to_edit", reason=None),
        presend("q-0000000004", decision="posted_unavailable", rule_ids=[], categories=[], severity=None),
        flag("q-0000000005"), flag("q-0000000006"), flag("q-0000000007", rule="attack.shaming",
                                                         categories=["attack"]),
        {**flag("q-0000000008"), "type": "ignored"},
    ]).status_code == 202
    db = app.extensions["impartial"].db
    q = query.EventQuery(db)
    assert query.false_flags_per_rule(q)[0] == {"rule_id": "loaded_language.activist-lawyer", "count": 2,
                                                "last": at()}
    assert [r["rule_id"] for r in query.false_flags_per_rule(q)] == ["loaded_language.activist-lawyer",
                                                                     "attack.shaming"]
    after = query.presend_after_warning(q)
    assert [e["id"] for e in after] == ["q-0000000001", "q-0000000004", "q-0000000002"]
    assert after[0]["reason"] == "Quoting the minister" and after[0]["rule_ids"] == ["attack.mocking-nickname"]
    assert {d["decision"]: d["count"] for d in query.decisions(q)} == {
        "posted_with_reason": 1, "posted_after_warning": 1, "back_to_edit": 1, "posted_unavailable": 1}
    assert query.per_category(q, type="presend") == [{"category": "attack", "count": 3}]
    assert query.per_rule(q, type="ignored") == [{"rule_id": "loaded_language.activist-lawyer", "count": 1}]
    today = NOW.date()
    recent = query.EventQuery(db, since=today - timedelta(days=1), until=today)
    assert [e["id"] for e in query.presend_after_warning(recent)] == ["q-0000000001", "q-0000000004"]
    old = query.EventQuery(db, until=today - timedelta(days=2))
    assert query.per_day(old) == [{"day": (today - timedelta(days=3)).isoformat(), "type": "presend", "count": 1}]


def test_checks_are_counted_per_day_across_flushes(make_app, db_url):
    app = make_app(database_url=db_url)
    c = app.test_client()
    for text in ("Vote Labour on Thursday", "Gritters are out tonight.", "Vote Labour"):
        assert c.post("/v1/check", json={"text": text}).status_code == 200
    counter = app.extensions["impartial"].checks
    counter.flush()
    c.post("/v1/check", json={"text": "Vote Labour"})
    counter.flush()
    q = query.EventQuery(app.extensions["impartial"].db)
    assert query.checks_per_day(q) == [{"day": NOW.date().isoformat(), "checks": 4}] or \
        sum(d["checks"] for d in query.checks_per_day(q)) == 4  # a run across midnight
    verdicts = {v["name"]: v["count"] for v in query.findings_per(q, "verdict")}
    assert sum(verdicts.values()) == 4 and verdicts.get("pass") == 1
    rules = {r["name"]: r["count"] for r in query.findings_per(q, "rule")}
    assert rules["party_political.electoral-call"] == 3
    assert {r["name"] for r in query.findings_per(q, "category")} >= {"party_political"}


def test_a_failed_count_flush_keeps_the_counts(make_app, tmp_path):
    app = make_app(database_url=f"sqlite:///{tmp_path / 'a.db'}")
    c = app.test_client()
    c.post("/v1/check", json={"text": "Vote Labour"})
    rt = app.extensions["impartial"]
    real = rt.checks.db
    from server.db import Database

    rt.checks.db = Database(f"sqlite:///{tmp_path / 'missing' / 'b.db'}")  # cannot be opened
    assert rt.checks.flush() == 0
    rt.checks.db = real
    assert rt.checks.flush() > 0
    assert query.checks_per_day(query.EventQuery(real))[0]["checks"] == 1



def test_the_last_flush_waits_for_a_flush_in_flight(make_app, tmp_path):
    """A worker on its way out must not finish before the flusher thread's write
    lands: that thread is a daemon, and the counts it took would die with it."""
    import threading

    from server.app import worker_stopping

    app = make_app(database_url=f"sqlite:///{tmp_path / 'a.db'}")
    c = app.test_client()
    c.post("/v1/check", json={"text": "Vote Labour"})
    rt = app.extensions["impartial"]
    real_begin, entered, release = rt.checks.db.begin, threading.Event(), threading.Event()

    def slow_begin():
        entered.set()
        release.wait(5)
        return real_begin()

    rt.checks.db.begin = slow_begin
    flusher = threading.Thread(target=rt.checks.flush)
    flusher.start()
    assert entered.wait(5)  # the flusher has taken the counts and is writing them
    rt.checks.db.begin = real_begin
    last = threading.Thread(target=worker_stopping, args=(app,))
    last.start()
    last.join(0.2)
    assert last.is_alive()  # it waits for the write in flight
    release.set()
    flusher.join(5)
    last.join(5)
    assert not last.is_alive()
    assert query.checks_per_day(query.EventQuery(real_begin.__self__))[0]["checks"] == 1

BAD_EVENTS = [
    ({"id": "short"}, "id", "8 to 64"),
    ({"id": "has space in it"}, "id", "A-Z"),
    ({"id": 12345678}, "id", "must be a string"),
    ({"type": "posted"}, "type", "one of presend"),
    ({"at": "2026-11-30 12:00:00"}, "at", "ISO-8601"),
    ({"at": "2026-11-30T12:00:00+01:00"}, "at", "ISO-8601"),
    ({"at": "2026-02-30T12:00:00Z"}, "at", "ISO-8601"),
    ({"at": "2019-12-31T23:59:59Z"}, "at", "out of range"),
    ({"at": at(days_ago=-3)}, "at", "out of range"),
    ({"platform": "myspace"}, "platform", "one of x"),
    ({"rule_ids": "attack.shaming"}, "rule_ids", "array of strings"),
    ({"rule_ids": [7]}, "rule_ids", "[0] must be a string"),
    ({"rule_ids": ["r"] * 101}, "rule_ids", "limit is 100"),
    ({"categories": ["gossip"]}, "categories", "[0] must be one of"),
    ({"decision": "posted"}, "decision", "one of posted_after_warning"),
    ({"decision": None}, "decision", "required for a presend"),
    ({"reason": "x" * 501}, "reason", "0 to 500"),
    ({"officer": "o" * 65}, "officer", "1 to 64"),
    ({"severity": "fatal"}, "severity", "one of info"),
    ({"colour": "red"}, "colour", "not a field"),
]


@pytest.mark.parametrize("change,field,words", BAD_EVENTS, ids=[f"{b[1]}-{i}" for i, b in enumerate(BAD_EVENTS)])
def test_each_bad_field_is_a_precise_400_and_nothing_is_stored(make_app, tmp_path, change, field, words):
    app = make_app(database_url=f"sqlite:///{tmp_path / 'e.db'}")
    c = app.test_client()
    r = send(c, [presend("good-event-1"), {**presend("bad-event-2"), **change}])
    assert r.status_code == 400 and r.mimetype == "application/problem+json"
    body = r.get_json()
    assert body["index"] == 1 and body["field"] == field, body
    assert words in body["detail"] and body["detail"].startswith(f"events[1].{field}")
    assert_conforms(r, "/v1/events", "post")
    assert stored(app) == []  # all or nothing


def test_missing_fields_and_decisions_on_other_types(make_app, tmp_path):
    c = make_app(database_url=f"sqlite:///{tmp_path / 'e.db'}").test_client()
    for name in ("id", "type", "at", "platform", "rule_ids", "categories"):
        e = presend("missing-0001")
        del e[name]
        body = send(c, [e]).get_json()
        assert (body["status"], body["index"], body["field"]) == (400, 0, name), body
    body = send(c, [flag("flagged-0001", decision="back_to_edit")]).get_json()
    assert body["field"] == "decision" and "only for presend" in body["detail"]
    assert send(c, [flag("flagged-0002", decision=None, reason=None)]).status_code == 202


@pytest.mark.parametrize("body,detail", [
    (b"[]", "must be a JSON object"),
    (b"{}", "'events' must be an array"),
    (b'{"events": {}}', "object, not an array"),
    (b'{"events": []}', "1 to 100 events; got 0"),
    (json.dumps({"events": [presend(f"many-{i:08d}") for i in range(101)]}).encode(), "got 101"),
    (b'{"events": [5]}', "events[0] must be an object"),
    (b'{"events": [], "extra": 1}', "unknown field 'extra'"),
    (b'{"events": [', "not valid JSON"),
    (b'\xff', "not valid UTF-8"),
])
def test_bad_bodies_are_precise_400s(make_app, tmp_path, body, detail):
    c = make_app(database_url=f"sqlite:///{tmp_path / 'e.db'}").test_client()
    r = c.post("/v1/events", data=body, content_type="application/json")
    assert r.status_code == 400 and detail in r.get_json()["detail"], r.get_json()
    assert_conforms(r, "/v1/events", "post")


def test_wrong_type_and_oversized_bodies(make_app, tmp_path):
    c = make_app(database_url=f"sqlite:///{tmp_path / 'e.db'}").test_client()
    r = c.post("/v1/events", data="{}", content_type="text/plain")
    assert r.status_code == 415
    big = json.dumps({"events": [presend("big-00000001", text="x" * 300_000)]})
    r = c.post("/v1/events", data=big, content_type="application/json")
    assert r.status_code == 413 and r.get_json()["limit"] == 262_144
    assert c.get("/v1/events").status_code == 405


def test_text_is_dropped_unless_the_admin_keeps_it(make_app, tmp_path, db_url):
    off = make_app(database_url=db_url)
    send(off.test_client(), [presend("text-0000001", text="Vote Labour, says the council")])
    assert stored(off)[0]["text"] is None
    on = make_app(database_url=db_url, store_text_days=30)
    send(on.test_client(), [presend("text-0000002", text="Vote Labour, says the council")])
    assert stored(on, events.c.id == "text-0000002")[0]["text"] == "Vote Labour, says the council"


def test_retention_purge_clears_old_texts_only(make_app, db_url, monkeypatch):
    app = make_app(database_url=db_url, store_text_days=30)
    c = app.test_client()
    send(c, [presend("purge-000001", text="old post"), presend("purge-000002", text="new post")])
    rt = app.extensions["impartial"]
    with rt.db.begin() as conn:  # received 31 days ago
        conn.execute(update(events).where(events.c.id == "purge-000001")
                     .values(received_at=datetime.now(timezone.utc) - timedelta(days=31)))
    assert rt.events.purge_text() == 1
    texts = {r["id"]: r["text"] for r in stored(app)}
    assert texts == {"purge-000001": None, "purge-000002": "new post"}
    # The command line does the same; with --days 0 (texts no longer kept) it clears the rest.
    from server.cli import main

    monkeypatch.setenv("IMPARTIAL_STORE_TEXT_DAYS", "30")  # as the service runs with
    assert main(["events", "purge", "--database-url", db_url]) == 0
    assert stored(app, events.c.id == "purge-000002")[0]["text"] == "new post"
    assert main(["events", "purge", "--days", "0", "--database-url", db_url]) == 0
    assert all(r["text"] is None for r in stored(app))
    # The service purges by itself too (at most hourly, from its count flusher).
    send(c, [presend("purge-000003", text="another")])
    with rt.db.begin() as conn:
        conn.execute(update(events).values(received_at=datetime.now(timezone.utc) - timedelta(days=40)))
    rt.events._last_purge = 0.0
    rt.events.maybe_purge()
    assert all(r["text"] is None for r in stored(app))


def test_feedback_is_also_a_false_flag_event(make_app, db_url):
    app = make_app(database_url=db_url)
    c = app.test_client()
    r = c.post("/v1/feedback", json={"rule_id": "attack.shaming", "kind": "false_positive", "platform": "x"})
    assert r.status_code == 202
    c.post("/v1/feedback", json={"rule_id": "attack.shaming", "kind": "helpful"})
    rows = stored(app)
    assert len(rows) == 1 and rows[0]["type"] == "false_flag" and rows[0]["rule_ids"] == ["attack.shaming"]
    assert rows[0]["categories"] == ["attack"] and rows[0]["id"].startswith("fb_")


def test_summary_needs_an_admin_key_and_valid_dates(make_app, tmp_path):
    app = make_app(database_url=f"sqlite:///{tmp_path / 'e.db'}", key_cache_seconds=0)
    c = app.test_client()
    assert c.get("/v1/events/summary").status_code == 401  # no keys at all: still closed
    keys = app.extensions["impartial"].keys
    _, admin = keys.create("Head of comms", admin=True)
    _, officer = keys.create("Press office")
    send(c, [presend("sum-00000001")], headers={"X-API-Key": officer})
    r = c.get("/v1/events/summary", headers={"X-API-Key": officer})
    assert r.status_code == 403 and r.mimetype == "application/problem+json"
    r = c.get("/v1/events/summary", headers={"Authorization": f"Bearer {admin}"})
    assert r.status_code == 200
    assert_conforms(r, "/v1/events/summary", "get")
    assert r.get_json()["presend_after_warning"][0]["source"] == "Press office"
    today = NOW.date().isoformat()
    r = c.get(f"/v1/events/summary?since={today}&until={today}", headers={"X-API-Key": admin})
    assert r.get_json()["since"] == today and len(r.get_json()["presend_after_warning"]) == 1
    for q in ("since=yesterday", "until=2026-13-01", f"since={today}&until=2020-01-01"):
        r = c.get(f"/v1/events/summary?{q}", headers={"X-API-Key": admin})
        assert r.status_code == 400 and r.mimetype == "application/problem+json", q


def test_database_down_is_503_for_events_while_checks_go_on(make_app):
    down = "postgresql://nobody@127.0.0.1:9/none"
    app = make_app(database_url=down, db_auto_upgrade=False, api_keys=("env-key",))
    c = app.test_client()
    key = {"X-API-Key": "env-key"}
    r = send(c, [presend("down-0000001")], headers=key)
    assert r.status_code == 503 and r.headers["Retry-After"] == "5"
    assert_conforms(r, "/v1/events", "post")
    assert c.post("/v1/check", json={"text": "Vote Labour"}, headers=key).status_code == 200
    assert c.post("/v1/feedback", json={"rule_id": "attack.shaming"}, headers=key).status_code == 202
    # Only the database could say whether keys are needed, and it cannot be asked: closed, not open.
    blind = make_app(database_url=down, db_auto_upgrade=False).test_client()
    r = blind.post("/v1/check", json={"text": "Vote Labour"})
    assert r.status_code == 503 and r.mimetype == "application/problem+json"


def test_concurrent_writers_store_an_id_once(make_app, db_url):
    """Many threads (many workers, in production) sending the same ids at once."""
    import threading

    app = make_app(database_url=db_url)
    results, errors = [], []

    def worker():
        c = app.test_client()
        try:
            for start in range(0, 40, 10):
                r = send(c, [flag(f"race-{i:08d}") for i in range(start, start + 10)])
                results.append(r.get_json())
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and all("accepted" in r for r in results), results
    assert sum(r["accepted"] for r in results) == 40
    assert sum(r["duplicates"] for r in results) == 120
    assert len(stored(app)) == 40
