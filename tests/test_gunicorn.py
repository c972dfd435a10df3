"""The service under real gunicorn on 127.0.0.1: concurrent checks and a
rulebook edit picked up by every worker. Bounded in requests and time."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from helpers import ROOT, RULES, utf16_slice


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(base, path, body=None, timeout=10):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    rules = tmp_path_factory.mktemp("gunicorn") / "rules.json"
    shutil.copy(RULES, rules)
    port = free_port()
    env = dict(os.environ, IMPARTIAL_RULES=str(rules), IMPARTIAL_RELOAD_INTERVAL="0.2",
               HOST="127.0.0.1", PORT=str(port), WEB_CONCURRENCY="2")
    gunicorn = Path(sys.executable).parent / "gunicorn"
    proc = subprocess.Popen([str(gunicorn), "-c", str(ROOT / "gunicorn.conf.py"), "server.app:create_app()"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if request(base, "/readyz", timeout=2)[0] == 200:
                break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("gunicorn did not start: " + proc.stderr.read().decode()[-2000:])
        time.sleep(0.2)
    yield base, rules
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


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
