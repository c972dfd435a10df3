"""HTTP edges through the real app: security headers a view already set in another letter
case, a body shorter than its Content-Length (in process, and over a socket to real
gunicorn), and the request id of a request that failed before observability's hook ran."""

import io
import json
import shutil
import socket
import uuid

import pytest
from flask import Response

from helpers import RULES
from served import Gunicorn, request
from server.app import SECURITY_HEADERS
from server.problems import Problem

CLEAN = {"text": "Bins are collected on Tuesday."}


# -- security headers a view set itself, spelled in another case ----------------------------

def test_security_headers_set_by_a_view_in_another_case_are_not_duplicated(app):
    @app.get("/test/lower-case-headers")
    def lower_case_headers():
        r = Response("x")
        r.headers["x-content-type-options"] = "nosniff"
        r.headers["x-frame-options"] = "SAMEORIGIN"
        r.headers["cache-control"] = "max-age=60"
        r.headers["content-security-policy"] = "default-src 'self'"
        r.headers["REFERRER-POLICY"] = "same-origin"
        return r

    r = app.test_client().get("/test/lower-case-headers")
    assert r.status_code == 200
    sent = [name.lower() for name, _ in r.headers.items()]  # every header line the server is given
    for name in SECURITY_HEADERS:
        assert sent.count(name.lower()) == 1, (name, r.headers.to_wsgi_list())
    # A page may state its own CSP and Referrer-Policy; the others are the service's whatever the view said.
    assert r.headers["Content-Security-Policy"] == "default-src 'self'"
    assert r.headers["Referrer-Policy"] == "same-origin"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["X-Content-Type-Options"] == "nosniff"


# -- a body shorter than its Content-Length --------------------------------------------------

SHORT_BODIES = {
    "valid JSON, cut short": json.dumps(CLEAN).encode(),
    "half a JSON body": b'{"text":"Bins are coll',
    "no body at all": b"",
}


def cut_short(sent: bytes) -> str:
    return f"the body ended after {len(sent)} of the {len(sent) + 50} bytes its Content-Length gives"


@pytest.mark.parametrize("ended_by", ["werkzeug", "server"])
@pytest.mark.parametrize("name", SHORT_BODIES)
def test_a_body_shorter_than_its_length_is_a_400_and_the_service_serves_on(client, caplog, name, ended_by):
    sent = SHORT_BODIES[name]
    environ = {"CONTENT_LENGTH": str(len(sent) + 50)}
    if ended_by == "server":  # as gunicorn: the server ends the body, and its stream simply stops early
        environ["wsgi.input_terminated"] = True
    r = client.post("/v1/check", input_stream=io.BytesIO(sent), content_type="application/json",
                    environ_overrides=environ)
    assert r.status_code == 400 and r.mimetype == "application/problem+json", r.get_data(as_text=True)
    assert r.get_json()["detail"] == cut_short(sent)
    assert client.post("/v1/check", json=CLEAN).status_code == 200
    assert not [rec for rec in caplog.records if rec.levelno >= 40]


class BrokenBody(io.RawIOBase):
    """A body sent without a length whose connection fails after the first bytes."""

    def __init__(self, first: bytes):
        self.first = first

    def readable(self):
        return True

    def readinto(self, b):
        if not self.first:
            raise ConnectionResetError("the client went away")
        n = min(len(b), len(self.first))
        b[:n], self.first = self.first[:n], self.first[n:]
        return n


def test_a_body_without_a_length_whose_connection_fails_is_a_400(app):
    sent = json.dumps(CLEAN).encode()
    environ = {"wsgi.input": BrokenBody(sent), "wsgi.input_terminated": True, "CONTENT_TYPE": "application/json",
               "HTTP_TRANSFER_ENCODING": "chunked", "REQUEST_METHOD": "POST", "PATH_INFO": "/v1/check",
               "SERVER_NAME": "t", "SERVER_PORT": "80", "wsgi.url_scheme": "http"}
    status = []
    body = b"".join(app.wsgi_app(environ, lambda s, h: status.append(s)))
    assert status[0].startswith("400") and json.loads(body)["detail"] == (
        f"the body ended after {len(sent)} bytes, before its end: the client stopped sending it")


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    rules = tmp_path_factory.mktemp("http-edges") / "rules.json"
    shutil.copy(RULES, rules)
    g = Gunicorn(rules.parent, rules, WEB_CONCURRENCY="1")
    yield g
    g.stop()


def send_then_hang_up(port: int, raw: bytes) -> tuple[int, bytes]:
    """Send raw, close our side, read one response (bounded: a silent server fails on the timeout)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(raw)
        s.shutdown(socket.SHUT_WR)
        data = b""
        while b"\r\n\r\n" not in data:
            got = s.recv(65536)
            assert got, f"the server hung up without a response: {data[:300]!r}"
            data += got
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        fields = dict(line.split(": ", 1) for line in lines[1:])
        length = int(next(v for k, v in fields.items() if k.lower() == "content-length"))
        while len(body) < length:
            got = s.recv(65536)
            assert got, f"the response was cut short: {data[:300]!r}"
            body += got
    return int(lines[0].split()[1]), body


@pytest.mark.parametrize("name", SHORT_BODIES)
def test_a_body_shorter_than_its_length_under_gunicorn(gunicorn, name):
    sent = SHORT_BODIES[name]
    head = (b"POST /v1/check HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % (len(sent) + 50))
    status, body = send_then_hang_up(gunicorn.port, head + sent)
    assert status == 400 and json.loads(body)["detail"] == cut_short(sent), body
    assert request(gunicorn.base, "/v1/check", CLEAN)[0] == 200
    log = gunicorn.log_text()
    assert "Traceback" not in log and '"level": "ERROR"' not in log, log[-3000:]


# -- the request id of a request that failed before observability's hook ---------------------

def fail_before_the_request_id_hook(app, how: str) -> None:
    """A hook run before observability's first one: it raises, or answers in its place."""
    def first():
        if how == "raises":
            raise RuntimeError("failed before the request id was set")
        return Problem(503, "closed for maintenance").response()

    app.before_request_funcs.setdefault(None, []).insert(0, first)


@pytest.mark.parametrize("incoming", [None, "client-id-7"])
@pytest.mark.parametrize("how,status", [("raises", 500), ("answers", 503)])
def test_a_request_that_fails_before_the_hook_has_one_id_in_header_and_logs(make_app, capsys, how, status,
                                                                            incoming):
    app = make_app(access_log=True)  # its log handler writes to the captured stderr
    fail_before_the_request_id_hook(app, how)
    capsys.readouterr()
    r = app.test_client().get("/healthz", headers={"X-Request-Id": incoming} if incoming else {})
    assert r.status_code == status
    rid = r.headers["X-Request-Id"]
    if incoming:
        assert rid == incoming  # a sane id of the client's is kept, as when the hook runs
    else:
        u = uuid.UUID(hex=rid)
        assert u.hex == rid and u.version == 4
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    (access,) = [line for line in lines if line["logger"] == "server.access"]
    assert access["status"] == status and access.get("request_id") == rid
    errors = [line for line in lines if line["level"] == "ERROR"]
    assert len(errors) == (how == "raises")
    assert all(line.get("request_id") == rid for line in errors)


def test_each_request_in_one_app_context_gets_its_own_id(rules_copy):
    """Flask reuses an app context already pushed for every request inside it (a test, an
    embedding app): each request still carries its own id, the client's when sane."""
    from server.app import create_app
    from server.config import Settings

    app = create_app(Settings(rules=str(rules_copy), reload_interval=0))
    with app.app_context():
        client = app.test_client()
        got = [client.get("/healthz", headers={"X-Request-Id": f"client-{i}"}).headers.get("X-Request-Id")
               for i in range(3)]
    assert got == ["client-0", "client-1", "client-2"]
