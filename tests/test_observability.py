"""Metrics, request ids and JSON logs: in process against the real app, and /metrics and
/v1/stats across two real gunicorn workers."""

import json
import os
import shutil
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from helpers import RULES
from served import Gunicorn, request
from server.runtime import runtime

SECRET = "Jane Doe 07700 900123 said activist lawyers are vermin"
POST = "Moribound Miliband talks of a national mission. A mission to economic disaster."


def samples(text: str) -> dict:
    """{(sample name, sorted labels): value} from a Prometheus exposition."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(text: str, name: str, **labels) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


def total(text: str, name: str, **labels) -> float:
    """The sum over the samples of name whose labels include these."""
    return sum(v for (n, ls), v in samples(text).items()
               if n == name and all((k, val) in ls for k, val in labels.items()))


@pytest.fixture
def fresh_app(rules_copy, tmp_path):
    from server.app import create_app
    from server.config import Settings

    return create_app(Settings(rules=str(rules_copy), reload_interval=0.0,
                               database_url=f"sqlite:///{tmp_path}/events.sqlite"))


def test_metrics_count_checks_findings_and_requests(fresh_app):
    c = fresh_app.test_client()
    body = c.post("/v1/check", json={"text": POST, "platform": "x"}).get_json()
    c.post("/v1/check", json={"text": "Bins are collected on Tuesday."})
    c.post("/v1/check", json={"text": 3})
    r = c.get("/metrics")
    assert r.status_code == 200 and r.mimetype == "text/plain"
    text = r.get_data(as_text=True)
    assert value(text, "impartial_checks_total", platform="x", verdict=body["verdict"]) == 1
    assert total(text, "impartial_checks_total") == 2  # the 400 is not a check
    # Every finding of the check, as /admin's daily counters count them (hidden model findings too).
    found = runtime(fresh_app).store.checker().check(POST, "x").findings
    by_category = Counter((f.category, f.severity) for f in found)
    assert by_category, "the post must have findings for this test to mean anything"
    for (category, severity), n in by_category.items():
        assert value(text, "impartial_findings_total", category=category, severity=severity) == n
    for rule_id, n in Counter(f.rule_id for f in found).items():
        assert value(text, "impartial_rule_findings_total", rule_id=rule_id) == n
    assert value(text, "impartial_http_requests_total", endpoint="/v1/check", method="POST", status="200") == 2
    assert value(text, "impartial_http_requests_total", endpoint="/v1/check", method="POST", status="400") == 1
    assert value(text, "impartial_http_request_duration_seconds_count", endpoint="/v1/check") == 3
    assert value(text, "impartial_rulebook_info", version=body["rulebook"]["version"],
                 digest=_served_sha(fresh_app)) == 1
    assert value(text, "impartial_rulebook_refused") == 0


def _served_sha(app):
    return runtime(app).store.state.current.checker.rulebook.digest[:12]


def test_events_are_counted_as_accepted_or_duplicate(fresh_app):
    c = fresh_app.test_client()
    event = {"id": "metrics-evt-1", "type": "false_flag", "at": "2026-11-30T12:00:00Z", "platform": "x",
             "rule_ids": ["attack.group-epithet"], "categories": ["attack"]}
    assert c.post("/v1/events", json={"events": [event]}).get_json() == {"accepted": 1, "duplicates": 0}
    assert c.post("/v1/events", json={"events": [event]}).get_json() == {"accepted": 0, "duplicates": 1}
    text = c.get("/metrics").get_data(as_text=True)
    assert value(text, "impartial_events_total", outcome="accepted") == 1
    assert value(text, "impartial_events_total", outcome="duplicate") == 1


def test_unmatched_paths_and_invented_methods_are_one_label_each(fresh_app):
    c = fresh_app.test_client()
    for i in range(3):
        assert c.get(f"/nope/{i}").status_code == 404
        assert c.open(f"/nope/{i}", method=f"BREW{i}").status_code == 404
    text = c.get("/metrics").get_data(as_text=True)
    assert value(text, "impartial_http_requests_total", endpoint="unmatched", method="GET", status="404") == 3
    assert value(text, "impartial_http_requests_total", endpoint="unmatched", method="other", status="404") == 3
    assert "/nope/" not in text and "BREW" not in text


def test_a_refused_rulebook_counts_as_a_reload_failure_and_the_version_follows_the_file(fresh_app, rules_copy):
    store = runtime(fresh_app).store
    c = fresh_app.test_client()
    good = rules_copy.read_text()
    old_sha = _served_sha(fresh_app)
    rules_copy.write_text("{ not json")
    store.reload()
    store.reload()  # the same refusal again is not a second failure
    text = c.get("/metrics").get_data(as_text=True)
    assert value(text, "impartial_rulebook_reload_failures_total") == 1
    assert value(text, "impartial_rulebook_refused") == 1
    data = json.loads(good)
    data["version"] = "2099.01.01"
    rules_copy.write_text(json.dumps(data))
    assert store.reload()
    text = c.get("/metrics").get_data(as_text=True)
    assert value(text, "impartial_rulebook_refused") == 0
    assert value(text, "impartial_rulebook_info", version="2099.01.01", digest=_served_sha(fresh_app)) == 1
    old = [v for (n, ls), v in samples(text).items() if n == "impartial_rulebook_info" and ("digest", old_sha) in ls]
    assert old == [0]


def test_stats_count_feedback_and_findings(fresh_app):
    c = fresh_app.test_client()
    body = c.post("/v1/check", json={"text": POST}).get_json()
    assert c.post("/v1/feedback", json={"rule_id": "attack.group-epithet"}).status_code == 202
    stats = c.get("/v1/stats").get_json()
    assert stats["checks"] == 1 and "every worker" in stats["scope"]
    assert stats["rules"]["attack.group-epithet"]["false_positive"] == 1
    rule = body["findings"][0]["rule_id"]
    assert stats["rules"][rule]["findings"] == sum(f["rule_id"] == rule for f in body["findings"])


# -- request ids and logs -----------------------------------------------------------------

@pytest.mark.parametrize("incoming, kept", [
    ("3f2c1a9e-5b7d-4c1e-9a2b-0d6e8f7a1b2c", True),
    ("abc.DEF_123:4/5+6=", True),
    ("has space", False),
    ("x" * 129, False),
    ("<script>", False),
    ("", False),
])
def test_request_id_is_echoed_when_sane_and_made_otherwise(fresh_app, incoming, kept):
    r = fresh_app.test_client().get("/healthz", headers={"X-Request-Id": incoming} if incoming else {})
    rid = r.headers["X-Request-Id"]
    if kept:
        assert rid == incoming
    else:
        assert rid != incoming and len(rid) == 32 and int(rid, 16) >= 0


def test_a_request_id_made_here_is_a_uuid4_in_hex_and_new_each_time(fresh_app):
    import uuid

    client = fresh_app.test_client()
    made = [client.get("/healthz").headers["X-Request-Id"] for _ in range(20)]
    assert len(set(made)) == 20
    for rid in made:
        u = uuid.UUID(hex=rid)
        assert u.hex == rid and u.version == 4 and u.variant == uuid.RFC_4122


def _json_lines(err: str) -> list[dict]:
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert lines, "no JSON log lines were written"
    return lines


def test_logs_are_json_with_the_request_id_and_never_the_post(rules_copy, capsys, monkeypatch):
    from server.app import create_app
    from server.config import Settings

    # Its handler writes to the captured stderr.
    app = create_app(Settings(rules=str(rules_copy), reload_interval=0.0, access_log=True))
    c = app.test_client()
    ok = c.post("/v1/check", json={"text": SECRET}, headers={"X-Request-Id": "req-ok-1234"})
    bad = c.post("/v1/check", json={"text": SECRET, "platform": "myspace"}, headers={"X-Request-Id": "req-bad-1234"})
    checker = runtime(app).store.checker()

    def boom(text, *a, **k):
        raise ValueError(f"could not check {text!r}")

    monkeypatch.setattr(checker, "check", boom)
    crash = c.post("/v1/check", json={"text": SECRET}, headers={"X-Request-Id": "req-crash-1234"})
    assert (ok.status_code, bad.status_code, crash.status_code) == (200, 400, 500)
    assert crash.headers["X-Request-Id"] == "req-crash-1234"
    err = capsys.readouterr().err
    for part in ("Jane", "07700", "vermin", "activist"):
        assert part not in err
    lines = _json_lines(err)
    access = {line["request_id"]: line for line in lines if line["logger"] == "server.access"}
    assert access["req-ok-1234"]["status"] == 200 and access["req-ok-1234"]["endpoint"] == "/v1/check"
    assert access["req-bad-1234"]["status"] == 400
    assert access["req-crash-1234"]["status"] == 500
    assert all(isinstance(line["duration_ms"], float) and line["pid"] == os.getpid() for line in access.values())
    (crash_line,) = [line for line in lines if line["level"] == "ERROR"]
    assert crash_line["request_id"] == "req-crash-1234"
    assert "ValueError" in crash_line["msg"] and "boom" in crash_line["msg"]


def test_without_access_lines_the_request_id_is_still_on_every_line_of_the_request(rules_copy, capsys):
    from server.app import create_app
    from server.config import Settings

    app = create_app(Settings(rules=str(rules_copy), reload_interval=0.0))  # access lines off by default
    r = app.test_client().post("/v1/feedback", json={"rule_id": "attack.group-epithet"},
                               headers={"X-Request-Id": "req-feedback-1"})
    assert r.status_code == 202 and r.headers["X-Request-Id"] == "req-feedback-1"
    lines = _json_lines(capsys.readouterr().err)
    assert not [line for line in lines if line["logger"] == "server.access"]
    (line,) = [line for line in lines if line["logger"] == "server.api"]
    assert line["request_id"] == "req-feedback-1" and "feedback false_positive" in line["msg"]


def test_an_exception_logged_anywhere_keeps_its_message_out(capsys):
    import logging

    from server import logs

    logs.configure("INFO", "json")
    try:
        raise RuntimeError(SECRET)
    except RuntimeError:
        logging.getLogger("server.somewhere").exception("it failed")
    logs.configure("INFO", "text")
    try:
        raise RuntimeError(SECRET)
    except RuntimeError:
        logging.getLogger("server.somewhere").exception("it failed again")
    err = capsys.readouterr().err
    assert "Jane" not in err and "vermin" not in err
    (line,) = _json_lines(err)
    assert line["exception"]["types"] == ["RuntimeError"] and "test_an_exception" in line["exception"]["where"]
    assert "it failed again" in err and "RuntimeError (message withheld)" in err


def test_log_format_is_validated():
    from server.config import ConfigError, Settings

    with pytest.raises(ConfigError, match="IMPARTIAL_LOG_FORMAT"):
        Settings(log_format="xml").validate()


# -- two gunicorn workers ----------------------------------------------------------------

def _pids_from(log_text: str) -> set[int]:
    return {line["pid"] for line in map(_parse, log_text.splitlines()) if line and line.get("logger") == "server.access"}


def _parse(line: str):
    try:
        return json.loads(line)
    except ValueError:
        return None


def test_metrics_and_stats_add_up_every_gunicorn_worker(tmp_path):
    rules = tmp_path / "rules.json"
    shutil.copy(RULES, rules)
    metrics_dir = tmp_path / "prom"
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"stale file from an earlier run")
    g = Gunicorn(tmp_path, rules, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir), IMPARTIAL_ACCESS_LOG="true")
    try:
        assert not (metrics_dir / "counter_1.db").exists()  # a given directory is cleared at start
        workers = _two_workers(g)
        sent = 0
        # New connection per request: the kernel hands them to both workers. Bounded.
        while sent < 400 and not set(workers) <= _pids_from(g.log_text()):
            status, _ = request(g.base, "/v1/check", {"text": POST, "platform": "x"})
            assert status == 200
            sent += 1
            if sent % 20 == 0:
                time.sleep(0.1)  # let the log lines land
        assert set(workers) <= _pids_from(g.log_text()), "both workers must have served checks"
        _, expected = request(g.base, "/v1/check", {"text": POST, "platform": "x"})
        sent += 1
        per_post = Counter((f["category"], f["severity"]) for f in expected["findings"])
        for _ in range(4):  # whichever worker answers the scrape, the figures are the same
            text = _get(g.base + "/metrics")
            assert total(text, "impartial_checks_total") == sent
            assert value(text, "impartial_http_requests_total", endpoint="/v1/check", method="POST",
                         status="200") == sent
            for (category, severity), n in per_post.items():
                assert value(text, "impartial_findings_total", category=category, severity=severity) == n * sent
            assert value(text, "impartial_rulebook_info", version=expected["rulebook"]["version"],
                         digest=_served_digest(g)) == 1
            _, stats = request(g.base, "/v1/stats")
            assert stats["checks"] == sent
        # A worker that dies keeps its counts in the totals; its gauges go with it.
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while (len(g.workers()) < 2 or workers[0] in g.workers()) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert workers[0] not in g.workers() and len(g.workers()) == 2
        time.sleep(0.5)
        assert not list(metrics_dir.glob(f"gauge_live*_{workers[0]}.db"))
        text = _get(g.base + "/metrics")
        assert total(text, "impartial_checks_total") == sent
        assert value(text, "impartial_rulebook_info", version=expected["rulebook"]["version"], digest=_served_digest(g)) == 1
    finally:
        g.stop()


def test_gunicorn_makes_a_fresh_metrics_directory_and_removes_it(tmp_path):
    rules = tmp_path / "rules.json"
    shutil.copy(RULES, rules)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    g = Gunicorn(tmp_path, rules, TMPDIR=str(tmp))  # no PROMETHEUS_MULTIPROC_DIR given: gunicorn.conf.py makes one
    try:
        request(g.base, "/v1/check", {"text": POST})
        assert total(_get(g.base + "/metrics"), "impartial_checks_total") == 1
        (made,) = tmp.glob("impartial-metrics-*")
        assert list(made.glob("counter_*.db"))
    finally:
        g.stop()
    assert not made.exists()


def _two_workers(g) -> list[int]:
    deadline = time.monotonic() + 30
    while len(g.workers()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    workers = g.workers()
    assert len(workers) == 2
    return workers


def _served_digest(g) -> str:
    return request(g.base, "/readyz")[1]["rulebook"]["digest"][:12]


def _get(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read().decode()
