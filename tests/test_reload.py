"""Editing rules.json takes effect without a restart, in the background; a bad
edit is refused and the last good rulebook keeps serving. Requests never read
the file, never wait for a reload, and keep answering whatever the path holds:
a FIFO, a huge file, nothing at all, or a read that hangs."""

import errno
import json
import os
import threading
import time

import pytest

from server import store as store_module
from server.app import create_app
from server.config import Settings


def write(path, data):
    path.write_text(json.dumps(data))
    st = path.stat()
    # Some filesystems keep mtime at one-second resolution: make the change visible.
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def check(client, text="a day"):
    r = client.post("/v1/check", json={"text": text})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def wait_for(predicate, what, timeout=15.0):
    """Poll until predicate() is true; fail after timeout (a bound, not a measurement)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def refused_count(client):
    return client.get("/readyz").get_json().get("refused", {}).get("problems", 0)


_apps = []


@pytest.fixture(autouse=True)
def _close_stores():
    yield
    while _apps:
        _apps.pop().extensions["impartial"].store.close()


def app_for(path, **kw):
    kw.setdefault("reload_interval", 0.05)
    app = create_app(Settings(rules=str(path), **kw))
    _apps.append(app)
    return app


def with_rule(data, word, version):
    data = json.loads(json.dumps(data))
    data["version"] = version
    data["rules"].append({
        "id": f"loaded_language.test-{word}", "category": "loaded_language", "severity": "warn",
        "message": "test", "guidance": {"source": "s", "clause": "c"},
        "match": {"phrases": [word]}, "examples": {"flag": [word], "pass": ["x"]},
    })
    return data


def test_edit_takes_effect_and_bad_edit_is_refused(rules_copy):
    c = app_for(rules_copy).test_client()
    word = "zorblax"
    assert check(c, f"a {word} day")["findings"] == []

    data = with_rule(json.loads(rules_copy.read_text()), word, "reloaded-1")
    write(rules_copy, data)
    wait_for(lambda: check(c)["rulebook"]["version"] == "reloaded-1", "the edit")
    assert [f["match"] for f in check(c, f"a {word} day")["findings"]] == [word]

    broken = json.loads(json.dumps(data))
    broken["version"] = "broken"
    broken["rules"][-1]["match"] = {"patterns": ["(a+)+$"]}
    broken["rules"][0]["category"] = "gossip"
    write(rules_copy, broken)
    wait_for(lambda: refused_count(c) >= 2, "the refusal")
    assert check(c, f"a {word} day")["rulebook"]["version"] == "reloaded-1"  # last good one still serves
    ready = c.get("/readyz")
    assert ready.status_code == 200
    # Open to anyone: a count, no path, no reasons.
    assert set(ready.get_json()["refused"]) <= {"problems", "since", "details"}
    assert str(rules_copy.parent) not in ready.get_data(as_text=True)
    assert "gossip" not in ready.get_data(as_text=True)
    refused = c.get("/v1/rules").get_json()["refused"]
    assert refused["source"] == "rules.json"
    assert any("loaded_language.test-zorblax" in p and "catastrophic" in p for p in refused["problems"])
    assert any("field 'category'" in p and "gossip" in p for p in refused["problems"])

    rules_copy.write_text("{ not json")
    os.utime(rules_copy, ns=(0, 10**18))
    wait_for(lambda: any("invalid JSON" in p for p in c.get("/v1/rules").get_json()["refused"]["problems"]),
             "the second refusal")
    assert check(c, f"a {word} day")["rulebook"]["version"] == "reloaded-1"


def test_not_ready_without_any_valid_rulebook(tmp_path):
    path = tmp_path / "rules.json"
    path.write_text('{"version": "x"}')
    c = app_for(path, reload_interval=0).test_client()
    r = c.get("/readyz")
    assert r.status_code == 503 and r.get_json()["refused"]["problems"] >= 1
    r = c.post("/v1/check", json={"text": "hello"})
    assert r.status_code == 503 and r.mimetype == "application/problem+json"
    assert c.get("/healthz").status_code == 200


def same_size_and_time(path, content: bytes, mtime_ns: int):
    """Overwrite in place (same inode) and put the modification time back."""
    with open(path, "r+b") as fh:
        fh.write(content)
        fh.truncate()
    os.utime(path, ns=(mtime_ns, mtime_ns))


def test_stale_refusal_clears_when_a_broken_file_is_fixed_with_the_same_size_and_time(rules_copy):
    c = app_for(rules_copy).test_client()
    good = json.dumps(with_rule(json.loads(rules_copy.read_text()), "snorfle", "fixed-1")).encode()
    broken = good.replace(b'"rules": [', b'"rulez": [', 1)  # the top-level key, not a term "rules"
    assert len(broken) == len(good)
    mtime = rules_copy.stat().st_mtime_ns + 5_000_000_000
    same_size_and_time(rules_copy, broken, mtime)
    wait_for(lambda: refused_count(c) >= 1, "the refusal of the broken file")
    st = rules_copy.stat()

    same_size_and_time(rules_copy, good, mtime)
    after = rules_copy.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (st.st_ino, st.st_size, st.st_mtime_ns)
    wait_for(lambda: "refused" not in c.get("/readyz").get_json(), "/readyz to clear the stale refusal")
    assert check(c, "a snorfle day")["rulebook"]["version"] == "fixed-1"
    assert "refused" not in c.get("/v1/rules").get_json()


def test_a_fifo_as_the_rulebook_is_never_opened(rules_copy):
    c = app_for(rules_copy).test_client()
    version = check(c)["rulebook"]["version"]
    os.remove(rules_copy)
    os.mkfifo(rules_copy)
    wait_for(lambda: any("FIFO" in p for p in c.get("/v1/rules").get_json().get("refused", {}).get("problems", [])),
             "the FIFO to be refused")
    for _ in range(20):
        assert c.get("/healthz").status_code == 200
        assert check(c)["rulebook"]["version"] == version
    assert c.get("/readyz").status_code == 200
    # Nobody holds the FIFO open for reading: opening its write end without blocking fails.
    with pytest.raises(OSError) as info:
        os.open(rules_copy, os.O_WRONLY | os.O_NONBLOCK)
    assert info.value.errno == errno.ENXIO


def test_a_fifo_at_start_up_leaves_the_service_not_ready_but_alive(tmp_path):
    path = tmp_path / "rules.json"
    os.mkfifo(path)
    c = app_for(path, reload_timeout=2).test_client()
    assert c.get("/healthz").status_code == 200
    assert c.get("/readyz").status_code == 503
    assert c.post("/v1/check", json={"text": "a"}).status_code == 503


def test_an_oversized_rulebook_is_refused_without_being_read(rules_copy, monkeypatch):
    c = app_for(rules_copy, rules_max_bytes=2_000_000).test_client()
    version = check(c)["rulebook"]["version"]
    opened = []
    real_open = os.open
    monkeypatch.setattr(store_module.os, "open",
                        lambda p, *a, **k: (str(p) == str(rules_copy) and opened.append(p)) or real_open(p, *a, **k))
    tmp = rules_copy.with_suffix(".big")
    with open(tmp, "wb") as fh:
        fh.truncate(4 * 1024**3)  # 4 GB, sparse: reading it would take minutes and all the memory
    os.replace(tmp, rules_copy)
    wait_for(lambda: any("the limit is 2000000" in p
                         for p in c.get("/v1/rules").get_json().get("refused", {}).get("problems", [])),
             "the oversized file to be refused")
    assert opened == []
    assert c.get("/healthz").status_code == 200
    assert check(c)["rulebook"]["version"] == version


def test_rules_file_deleted_while_serving(rules_copy):
    c = app_for(rules_copy).test_client()
    original = rules_copy.read_bytes()
    version = check(c)["rulebook"]["version"]
    os.remove(rules_copy)
    wait_for(lambda: refused_count(c) == 1, "the deletion to be noticed")
    assert c.get("/readyz").status_code == 200
    assert any("No such file" in p for p in c.get("/v1/rules").get_json()["refused"]["problems"])
    for _ in range(10):
        assert check(c)["rulebook"]["version"] == version
    rules_copy.write_bytes(original)
    wait_for(lambda: "refused" not in c.get("/readyz").get_json(), "the restored file")


def test_a_hung_read_times_out_and_requests_never_wait_for_it(rules_copy, monkeypatch):
    app = app_for(rules_copy, reload_timeout=0.5)
    store = app.extensions["impartial"].store
    c = app.test_client()
    version = check(c)["rulebook"]["version"]
    release = threading.Event()
    entered = threading.Event()
    real_open = os.open

    def hung_open(path, *a, **k):
        if str(path) == str(rules_copy) and not release.is_set():
            entered.set()
            release.wait(60)  # a read from a hung network mount
        return real_open(path, *a, **k)

    monkeypatch.setattr(store_module.os, "open", hung_open)
    write(rules_copy, with_rule(json.loads(rules_copy.read_text()), "glimmerfax", "after-the-hang"))
    assert entered.wait(15), "the watcher did not start a read"
    wait_for(lambda: any("took over 0.5 s" in p
                         for p in c.get("/v1/rules").get_json().get("refused", {}).get("problems", [])),
             "the hung read to be reported")
    attempts = store.attempts
    for _ in range(20):  # the hung read holds nothing a request needs
        assert c.get("/healthz").status_code == 200
        assert check(c)["rulebook"]["version"] == version
    time.sleep(0.3)
    assert store.attempts == attempts  # no pile of stuck readers: none started while one hangs
    release.set()
    wait_for(lambda: check(c)["rulebook"]["version"] == "after-the-hang", "the load once the read came back")
    assert "refused" not in c.get("/readyz").get_json()


def test_reload_interval_zero_means_no_watcher(rules_copy):
    app = app_for(rules_copy, reload_interval=0)
    c = app.test_client()
    version = check(c)["rulebook"]["version"]
    write(rules_copy, with_rule(json.loads(rules_copy.read_text()), "plonk", "never-seen"))
    time.sleep(0.3)
    assert check(c)["rulebook"]["version"] == version
    assert app.extensions["impartial"].store._watcher_pid is None
