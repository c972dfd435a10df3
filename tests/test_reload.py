"""Editing rules.json takes effect without a restart; a bad edit is refused and
the last good rulebook keeps serving."""

import json
import os

from server.app import create_app
from server.config import Settings


def write(path, data):
    path.write_text(json.dumps(data))
    st = path.stat()
    # Some filesystems keep mtime at one-second resolution: make the change visible.
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def check(client, text):
    return client.post("/v1/check", json={"text": text}).get_json()


def test_edit_takes_effect_and_bad_edit_is_refused(rules_copy):
    app = create_app(Settings(rules=str(rules_copy), reload_interval=0.0001))
    c = app.test_client()
    word = "zorblax"
    assert check(c, f"a {word} day")["findings"] == []

    data = json.loads(rules_copy.read_text())
    data["version"] = "reloaded-1"
    data["rules"].append({
        "id": "loaded_language.test-zorblax", "category": "loaded_language", "severity": "warn",
        "message": "test", "guidance": {"source": "s", "clause": "c"},
        "match": {"phrases": [word]}, "examples": {"flag": [word], "pass": ["x"]},
    })
    write(rules_copy, data)
    body = check(c, f"a {word} day")
    assert body["rulebook"]["version"] == "reloaded-1"
    assert [f["match"] for f in body["findings"]] == [word]

    broken = json.loads(rules_copy.read_text())
    broken["version"] = "broken"
    broken["rules"][-1]["match"] = {"patterns": ["(a+)+$"]}
    broken["rules"][0]["category"] = "gossip"
    write(rules_copy, broken)
    body = check(c, f"a {word} day")
    assert body["rulebook"]["version"] == "reloaded-1"  # last good one still serves
    ready = c.get("/readyz")
    assert ready.status_code == 200
    refused = ready.get_json()["refused"]["problems"]
    assert any("loaded_language.test-zorblax" in p and "catastrophic" in p for p in refused)
    assert any("field 'category'" in p and "gossip" in p for p in refused)
    assert "refused" in c.get("/v1/rules").get_json()

    rules_copy.write_text("{ not json")
    os.utime(rules_copy, ns=(0, 10**18))
    assert check(c, f"a {word} day")["rulebook"]["version"] == "reloaded-1"


def test_not_ready_without_any_valid_rulebook(tmp_path):
    path = tmp_path / "rules.json"
    path.write_text('{"version": "x"}')
    c = create_app(Settings(rules=str(path), reload_interval=0)).test_client()
    r = c.get("/readyz")
    assert r.status_code == 503 and any("rules" in p for p in r.get_json()["refused"]["problems"])
    r = c.post("/v1/check", json={"text": "hello"})
    assert r.status_code == 503 and r.mimetype == "application/problem+json"
    assert c.get("/healthz").status_code == 200
