"""The service under real gunicorn on 127.0.0.1: concurrent checks, rulebook edits
picked up by every worker, hostile clients and broken rulebooks. Bounded in
requests and time."""

import json
import os
import shutil
import socket
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from helpers import RULES, utf16_slice
from served import Gunicorn, request


def rules_in(tmp_path_factory, name):
    rules = tmp_path_factory.mktemp(name) / "rules.json"
    shutil.copy(RULES, rules)
    return rules


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    rules = rules_in(tmp_path_factory, "gunicorn")
    g = Gunicorn(rules.parent, rules)
    yield g.base, rules
    g.stop()


POSTS = [
    ("Moribound Miliband talks of a national mission. A mission to economic disaster.", "Moribound Miliband"),
    ("Great news 🎉 from the Labour party: vote Labour", "vote Labour"),
    ("Rules open to abuse by 👩‍⚖️ activist lawyers", "activist lawyers"),
    ("Call John on 07700 900123", "07700 900123"),
]


def test_concurrent_checks_are_all_answered_correctly(served):
    base, _ = served
    jobs = [POSTS[i % len(POSTS)] for i in range(200)]

    def one(job):
        text, expected = job
        status, body = request(base, "/v1/check", {"text": text, "platform": "x"})
        assert status == 200
        assert expected in [f["match"] for f in body["findings"]]
        assert all(utf16_slice(text, f["start"], f["end"]) == f["match"] for f in body["findings"])
        return body["verdict"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        verdicts = list(pool.map(one, jobs, timeout=120))
    expected = [request(base, "/v1/check", {"text": t, "platform": "x"})[1]["verdict"] for t, _ in POSTS]
    assert verdicts == [expected[i % len(POSTS)] for i in range(200)]


def test_bad_requests_under_gunicorn_are_problems_not_crashes(served):
    base, _ = served
    req = urllib.request.Request(base + "/v1/check", data=b"{oops", headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=10)
    assert info.value.code == 400
    assert info.value.headers["Content-Type"] == "application/problem+json"


def test_rulebook_edit_reaches_every_worker(served):
    base, rules = served
    data = json.loads(rules.read_text())
    data["version"] = "edited-under-gunicorn"
    data["rules"].append({
        "id": "loaded_language.test-quuxify", "category": "loaded_language", "severity": "warn",
        "message": "test", "guidance": {"source": "s", "clause": "c"},
        "match": {"phrases": ["quuxify"]}, "examples": {"flag": ["quuxify"], "pass": ["x"]},
    })
    tmp = rules.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, rules)  # atomic, as an editor or deploy tool would do
    deadline = time.monotonic() + 20
    streak = 0
    # Two workers: 30 answers in a row with the new version means both have it.
    while streak < 30:
        assert time.monotonic() < deadline, "workers did not all pick up the edit"
        status, body = request(base, "/v1/check", {"text": "do not quuxify"})
        ok = body["rulebook"]["version"] == "edited-under-gunicorn" and [f["match"] for f in body["findings"]] == ["quuxify"]
        streak = streak + 1 if ok else 0
        time.sleep(0.02)


# -- hostile clients and broken rulebooks under real gunicorn ------------------------------

def raw_exchange(port, head: bytes, body_chunks, timeout=30) -> bytes:
    """Send a request by hand (chunks may stop early if the server hangs up); return the response."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(head)
        try:
            for chunk in body_chunks:
                s.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = b""
        try:
            while b"\r\n\r\n" not in data or len(data) < data.index(b"\r\n\r\n") + 4 + 50:
                got = s.recv(65536)
                if not got:
                    break
                data += got
        except ConnectionResetError:
            pass
        return data


def peak_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory):
    rules = rules_in(tmp_path_factory, "one-worker")
    g = Gunicorn(rules.parent, rules, WEB_CONCURRENCY="1", IMPARTIAL_LOG_LEVEL="debug")
    yield g
    g.stop()


def test_a_chunked_body_over_the_limit_is_refused_with_bounded_memory(one_worker):
    g = one_worker
    (worker,) = g.workers()
    assert request(g.base, "/v1/check", {"text": "warm up " * 1000})[0] == 200
    before = peak_rss_kb(worker)
    mb = b"a" * (1 << 20)
    head = (b"POST /v1/check HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    chunks = [b'100000\r\n{"text":"' + mb[9:] + b"\r\n"] + [b"100000\r\n" + mb + b"\r\n"] * 39 + [b"0\r\n\r\n"]
    response = raw_exchange(g.port, head, chunks)
    assert response.startswith(b"HTTP/1.1 413"), response[:300]
    assert b"application/problem+json" in response and b"reading stopped at the limit" in response
    grown = peak_rss_kb(worker) - before
    assert grown < 12_000, f"the worker's peak memory grew {grown} kB for a 40 MB body"
    assert g.workers() == [worker]
    assert request(g.base, "/healthz")[0] == 200


HOSTILE = [
    ("/v1/check", b'{"text":' + b"[" * 10_000 + b"]" * 10_000 + b"}", "16 deep"),
    ("/v1/check", b'{"text":"a","context":' + b'{"a":' * 10_000 + b"1" + b"}" * 10_000 + b"}", "16 deep"),
    ("/v1/check", b'{"text":' + b"7" * 5000 + b"}", "5000-digit"),
    ("/v1/feedback", b"[" * 8000 + b"]" * 8000, "16 deep"),
    ("/v1/feedback", b'{"rule_id":' + b"7" * 5000 + b"}", "5000-digit"),
    ("/v1/check", b'{"text":"\\ud800"}', "lone UTF-16 surrogate"),
    ("/v1/check", b"\xff", "not valid UTF-8"),
]


def test_hostile_json_under_gunicorn_is_400_and_logs_no_traceback(one_worker):
    g = one_worker
    for path, body, detail in HOSTILE:
        req = urllib.request.Request(g.base + path, data=body, headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(req, timeout=10)
        assert info.value.code == 400, (path, body[:40])
        assert info.value.headers["Content-Type"] == "application/problem+json"
        assert detail in json.loads(info.value.read())["detail"]
    # A body cut short (the client hangs up), and a request gunicorn cannot parse.
    for head in (b"POST /v1/check HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 1000\r\n\r\n{\"text\": \"abc",
                 b"POST /v1/check HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
                 b"GARBAGE\r\n\r\n"):
        with socket.create_connection(("127.0.0.1", g.port), timeout=10) as s:
            s.sendall(head)
            s.shutdown(socket.SHUT_WR)
            s.recv(4096)
    assert request(g.base, "/healthz")[0] == 200
    log = g.log_text()
    # The logs are JSON lines (gunicorn's own too); the text forms stay checked in case a line is not.
    assert "Traceback" not in log and '"level": "ERROR"' not in log, log[-3000:]
    assert " ERROR " not in log and "[ERROR]" not in log, log[-3000:]


def test_headers_and_allow_under_gunicorn(one_worker):
    g = one_worker
    with urllib.request.urlopen(g.base + "/healthz", timeout=10) as r:
        assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["Cache-Control"] == "no-store"
    req = urllib.request.Request(g.base + "/v1/check", method="GET")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=10)
    assert info.value.code == 405 and "POST" in info.value.headers["Allow"]
    assert info.value.headers["X-Content-Type-Options"] == "nosniff"


def test_no_control_socket_is_shared_between_instances(one_worker, served):
    # Both instances run with their own HOME; gunicorn 25+ would put gunicorn.ctl under it.
    assert not (one_worker.home / ".gunicorn").exists()
    assert request(one_worker.base, "/healthz")[0] == 200 and request(served[0], "/healthz")[0] == 200


def answers_quickly(g, times=10):
    for _ in range(times):
        assert request(g.base, "/healthz", timeout=5)[0] == 200
        status, body = request(g.base, "/v1/check", {"text": "vote Labour"}, timeout=5)
        assert status == 200, body


def wait_refused(g, fragment, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, body = request(g.base, "/v1/rules", timeout=5)
        if any(fragment in p for p in body.get("refused", {}).get("problems", [])):
            return
        time.sleep(0.1)
    pytest.fail(f"no refusal with {fragment!r}: {body.get('refused')}")


def test_fifo_huge_and_deleted_rulebooks_under_gunicorn(tmp_path_factory):
    rules = rules_in(tmp_path_factory, "broken-rules")
    g = Gunicorn(rules.parent, rules, IMPARTIAL_RULES_MAX_BYTES="2000000")
    try:
        original = rules.read_bytes()
        os.remove(rules)
        os.mkfifo(rules)
        wait_refused(g, "FIFO")
        answers_quickly(g)
        os.remove(rules)
        with open(rules, "wb") as fh:
            fh.truncate(8 * 1024**3)  # sparse 8 GB
        wait_refused(g, "the limit is 2000000")
        answers_quickly(g)
        os.remove(rules)
        wait_refused(g, "No such file")
        answers_quickly(g)
        assert request(g.base, "/readyz")[0] == 200
        rules.write_bytes(original)
        deadline = time.monotonic() + 20
        while "refused" in request(g.base, "/readyz")[1]:
            assert time.monotonic() < deadline, "the restored rulebook did not clear the refusal"
            time.sleep(0.1)
        assert "Traceback" not in g.log_text()
    finally:
        g.stop()


def test_recycled_workers_serve_the_current_rulebook(tmp_path_factory):
    rules = rules_in(tmp_path_factory, "recycle")
    g = Gunicorn(rules.parent, rules, WEB_CONCURRENCY="1", GUNICORN_MAX_REQUESTS="15",
                 GUNICORN_MAX_REQUESTS_JITTER="3", IMPARTIAL_RELOAD_INTERVAL="0.1")
    try:
        data = json.loads(rules.read_text())
        data["version"] = "after-the-edit"
        tmp = rules.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, rules)
        deadline = time.monotonic() + 20
        while request(g.base, "/v1/check", {"text": "a"})[1]["rulebook"]["version"] != "after-the-edit":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        seen = set()
        for _ in range(60):
            status, body = request(g.base, "/v1/check", {"text": "a"}, timeout=20)
            assert status == 200 and body["rulebook"]["version"] == "after-the-edit"
            seen.update(g.workers())
        assert len(seen) >= 3, f"workers were not recycled: {seen}"
    finally:
        g.stop()
