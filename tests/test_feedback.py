"""`impartial feedback`: officers' false-flag reports per rule against the posts each rule
flags on a corpus, most reported first. A fixture feedback file, a small rulebook and a
small corpus, and once end to end from POST /v1/feedback."""

import json

import pytest

from helpers import book_json, minimal_rule
from server.app import create_app
from server.config import Settings
from test_cli import run

RULES = [minimal_rule(id=f"tone.{w}", category="tone", match={"phrases": [w]},
                      examples={"flag": [w], "pass": ["x"]}) for w in ("alpha", "beta", "gamma")]


@pytest.fixture
def files(tmp_path):
    rules = tmp_path / "rules.json"
    rules.write_text(book_json(*RULES))
    corpus = tmp_path / "posts.jsonl"
    # alpha flags 4 posts, beta 1, gamma none
    posts = ["alpha one", "alpha two", "alpha three beta", "alpha four", "nothing"]
    corpus.write_text("".join(json.dumps({"text": t, "label": "clean"}) + "\n" for t in posts))
    reports = tmp_path / "feedback.jsonl"
    lines = [{"rule_id": "tone.alpha", "at": "2026-11-02T10:00:00Z"}] * 2 + \
            [{"rule_id": "tone.beta", "at": "2026-11-20T10:00:00Z"}] * 2 + \
            [{"rule_id": "tone.gamma", "kind": "false_positive", "at": "2026-11-25T10:00:00Z"},
             {"rule_id": "tone.alpha", "kind": "helpful", "at": "2026-11-25T10:00:00Z"},
             {"rule_id": "tone.retired", "kind": "false_positive", "at": "2026-11-25T10:00:00Z"}]
    text = "".join(json.dumps(dict(r, platform="x")) + "\n" for r in lines)
    reports.write_text(text + '{"rule_id": "tone.beta", "kind": "fals\n' + '{"rule_id": "tone.beta", "kind": "liked"}\n')
    return rules, corpus, reports


def feedback(files, *extra):
    rules, corpus, reports = files
    return run("feedback", "--rules", rules, "--corpus", corpus, "--reports", reports, *extra)


def test_the_queue_most_reports_first_then_most_per_hit(files):
    r = feedback(files, "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    got = [(q["rule_id"], q["false_positive"], q["helpful"], q["hits"], q["per_100_hits"], q["known"])
           for q in out["queue"]]
    assert got == [("tone.beta", 2, 0, 1, 200.0, True),  # 2 reports on 1 post flagged
                   ("tone.alpha", 2, 1, 4, 50.0, True),  # 2 reports on 4
                   ("tone.gamma", 1, 0, 0, None, True),  # reported, never flags the corpus: first of the ones
                   ("tone.retired", 1, 0, 0, None, False)]
    assert out["posts"] == 5
    reports = str(files[2])
    assert out["skipped"][0].startswith(f"{reports}:8: not JSON (")  # a line cut short
    assert out["skipped"][1] == f"{reports}:9: unknown kind 'liked'"


def test_text_output_names_the_sources_and_the_skipped_lines(files):
    r = feedback(files)
    lines = r.stdout.splitlines()
    assert lines[0].endswith("feedback.jsonl (7 reports)")
    assert lines[1] == "hits: posts flagged among 5 posts of posts.jsonl"
    rows = [line.split() for line in lines[4:8]]
    assert [row[1] for row in rows] == ["tone.beta", "tone.alpha", "tone.gamma", "tone.retired"]
    assert rows[0] == ["1", "tone.beta", "2", "0", "0", "1", "200"]
    assert "(not in this rulebook)" in lines[7]
    assert "skipped 2 line(s) that are not reports; first: " in r.stdout and "feedback.jsonl:8:" in r.stdout


def test_since_counts_only_later_reports(files):
    out = json.loads(feedback(files, "--json", "--since", "2026-11-10").stdout)
    assert {q["rule_id"]: q["false_positive"] for q in out["queue"]}["tone.beta"] == 2
    assert "tone.alpha" not in {q["rule_id"] for q in out["queue"] if q["false_positive"]}


def test_no_reports_configured_or_a_missing_file_is_exit_2(files, monkeypatch):
    rules, corpus, _ = files
    monkeypatch.delenv("IMPARTIAL_FEEDBACK_PATH", raising=False)
    r = run("feedback", "--rules", rules, "--corpus", corpus)
    assert r.returncode == 2 and "IMPARTIAL_FEEDBACK_PATH" in r.stderr
    r = run("feedback", "--rules", rules, "--corpus", corpus, "--reports", "/nonexistent/feedback.jsonl")
    assert r.returncode == 2 and "cannot read the reports /nonexistent/feedback.jsonl" in r.stderr


def test_reports_posted_to_the_service_come_back_in_the_queue(files, tmp_path, monkeypatch):
    rules, corpus, _ = files
    log = tmp_path / "posted.jsonl"
    app = create_app(Settings(rules=str(rules), reload_interval=0.0, feedback_path=str(log)))
    c = app.test_client()
    for rule_id in ("tone.gamma", "tone.gamma", "tone.alpha"):
        assert c.post("/v1/feedback", json={"rule_id": rule_id, "platform": "x"}).status_code == 202
    monkeypatch.setenv("IMPARTIAL_FEEDBACK_PATH", str(log))
    out = json.loads(run("feedback", "--rules", rules, "--corpus", corpus, "--json").stdout)
    assert [(q["rule_id"], q["false_positive"]) for q in out["queue"]] == [("tone.gamma", 2), ("tone.alpha", 1)]


def test_the_events_store_adds_false_flags_without_counting_a_report_twice(files, tmp_path, monkeypatch):
    rules, corpus, _ = files
    log, url = tmp_path / "posted.jsonl", f"sqlite:///{tmp_path / 'events.db'}"
    app = create_app(Settings(rules=str(rules), reload_interval=0.0, feedback_path=str(log), database_url=url))
    c = app.test_client()
    flags = [{"id": f"evt-000000{i}", "type": "false_flag", "at": "2026-11-29T10:00:00Z", "platform": "x",
              "rule_ids": ["tone.beta"], "categories": ["tone"]} for i in range(3)]
    assert c.post("/v1/events", json={"events": flags}).status_code == 202  # the extension's reports
    for kind in ("false_positive", "false_positive", "missed"):  # both in the file and, false_positive, the store
        assert c.post("/v1/feedback", json={"rule_id": "tone.gamma", "kind": kind}).status_code == 202
    monkeypatch.delenv("DATABASE_URL", raising=False)
    out = json.loads(run("feedback", "--rules", rules, "--corpus", corpus, "--reports", log,
                         "--database-url", url, "--json").stdout)
    assert [(q["rule_id"], q["false_positive"], q["missed"]) for q in out["queue"]] == [
        ("tone.beta", 3, 0), ("tone.gamma", 2, 1)]
    assert out["reports"][0].startswith("events store (5 false_flag events)")
    r = run("feedback", "--rules", rules, "--corpus", corpus, "--reports", log, "--since", "last week")
    assert r.returncode == 2 and "--since must be a date such as 2026-11-30, not 'last week'" in r.stderr
