"""Slow clients: gunicorn's gthread worker gives a thread to every connection
that has sent part of a request, so a few half-sent requests silence the
service. Behind nginx as docs/deploy.md sets it up (Debian's package, started
here on 127.0.0.1 with docs/nginx-impartial.conf), nginx holds the slow clients and
hands gunicorn only whole requests: /healthz keeps answering.

Installs nginx with apt-get when it is missing and this runs as root; skips,
saying why, only when it cannot be installed."""

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from helpers import ROOT, RULES
from served import Gunicorn, free_port, request

# docs/nginx-impartial.conf's client_header_timeout and client_body_timeout.
# /healthz must answer well within it: nginx's buffering, not its timeouts,
# is what keeps the service answering.
CLIENT_TIMEOUT = 10
HEALTHZ_TIMEOUT = 4


def find_nginx() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)


def ensure_nginx() -> str:
    found = find_nginx()
    if found:
        return found
    if os.geteuid() != 0:
        pytest.skip("nginx is not installed and this is not root: install Debian's nginx "
                    "(apt-get install nginx) to run the slow-client tests")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    log = []
    for cmd in (["apt-get", "install", "-y", "-qq", "nginx-light"], ["apt-get", "update", "-qq"],
                ["apt-get", "install", "-y", "-qq", "nginx"]):
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        log.append(f"{' '.join(cmd)}: rc {proc.returncode} {proc.stderr.strip()[-300:]}")
        if find_nginx():
            return find_nginx()
    pytest.skip("nginx could not be installed with apt-get: " + " | ".join(log))


def nginx_conf(prefix: Path, listen: int, upstream: int) -> str:
    """docs/nginx-impartial.conf as it is, on free ports, everything else under prefix."""
    user = "user root;" if os.geteuid() == 0 else ""
    return f"""
{user}
worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    {(ROOT / 'docs' / 'nginx-impartial.conf').read_text()
        .replace('127.0.0.1:8000', f'127.0.0.1:{upstream}')
        .replace('listen 127.0.0.1:8080', f'listen 127.0.0.1:{listen}')}
}}
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    nginx = ensure_nginx()
    work = tmp_path_factory.mktemp("nginx")
    rules = work / "rules.json"
    shutil.copy(RULES, rules)
    # One worker of 4 threads: four half-sent requests are enough to silence it.
    g = Gunicorn(work, rules, WEB_CONCURRENCY="1", GUNICORN_THREADS="4")
    port = free_port()
    conf = work / "nginx.conf"
    conf.write_text(nginx_conf(work, port, g.port))
    log = open(work / "nginx.out", "wb")
    proc = subprocess.Popen([nginx, "-p", str(work), "-c", str(conf), "-e", str(work / "error.log")],
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if request(base, "/healthz", timeout=2)[0] == 200:
                break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            g.stop()
            raise RuntimeError("nginx did not start: " + (work / "nginx.out").read_text()
                               + (work / "error.log").read_text()[-2000:])
        time.sleep(0.1)
    yield g, base, port
    proc.terminate()
    proc.wait(timeout=10)
    log.close()
    g.stop()


def half_sent(port: int, count: int, body: bool) -> list[socket.socket]:
    """Connections that start a request and never finish it."""
    socks = []
    for i in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        if body:  # whole headers, then a tenth of the promised body
            s.sendall(b"POST /v1/check HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 1000\r\n\r\n" + b'{"text":"' + b"a" * 91)
        else:  # headers without their end
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: " + str(i).encode() + b"\r\n")
        socks.append(s)
    time.sleep(0.5)  # let the server pick them up
    return socks


def healthz_answers(base: str, timeout: float) -> bool:
    try:
        return request(base, "/healthz", timeout=timeout)[0] == 200
    except OSError:  # timed out
        return False


def test_half_sent_requests_silence_bare_gunicorn(stack):
    """The threat, shown: why gunicorn must not face clients directly."""
    g, _, _ = stack
    socks = half_sent(g.port, 8, body=False)
    try:
        assert not healthz_answers(g.base, timeout=HEALTHZ_TIMEOUT), \
            "bare gunicorn answered despite 8 half-sent requests (did gthread learn to time them out?)"
    finally:
        for s in socks:
            s.close()
    deadline = time.monotonic() + 30
    while not healthz_answers(g.base, timeout=2):  # the threads come back once the clients go
        assert time.monotonic() < deadline, "gunicorn did not recover after the slow clients left"


def test_behind_nginx_half_sent_requests_do_not_stall_healthz(stack):
    g, base, port = stack
    socks = half_sent(port, 40, body=False) + half_sent(port, 40, body=True)
    try:
        for _ in range(5):
            assert healthz_answers(base, timeout=HEALTHZ_TIMEOUT), "/healthz through nginx did not answer"
            status, body = request(base, "/v1/check", {"text": "vote Labour"}, timeout=10)
            assert status == 200 and body["verdict"] != "pass"
        # nginx drops each slow client after its timeout: the connection ends (408 or closed).
        for s in socks[::10]:
            s.settimeout(CLIENT_TIMEOUT + 20)
            got = s.recv(4096)
            assert got == b"" or got.startswith(b"HTTP/1.1 408"), got[:100]
    finally:
        for s in socks:
            s.close()
    assert healthz_answers(g.base, timeout=5)  # gunicorn itself never saw them


def test_nginx_refuses_big_bodies_and_keeps_the_headers(stack):
    _, base, port = stack
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"POST /v1/check HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n")
        try:
            for _ in range(64):
                s.sendall(b"10000\r\n" + b"a" * 0x10000 + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            head = s.recv(4096)
        except ConnectionResetError:
            head = b""
    assert head == b"" or head.startswith(b"HTTP/1.1 413"), head[:200]
    import urllib.request

    with urllib.request.urlopen(base + "/healthz", timeout=10) as r:
        assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["Cache-Control"] == "no-store"
    # nginx sets the request id (a client's own is replaced), and the service answers with it.
    req = urllib.request.Request(base + "/healthz", headers={"X-Request-Id": "chosen-by-the-client"})
    with urllib.request.urlopen(req, timeout=10) as r:
        rid = r.headers["X-Request-Id"]
    assert rid != "chosen-by-the-client" and len(rid) == 32 and int(rid, 16) >= 0
