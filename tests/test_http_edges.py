"""HTTP edges through the real app: security headers a view already set in another letter
case, a body shorter than its Content-Length and a chunked body malformed or cut short (in
process, and over a socket to real gunicorn and to werkzeug's dev server), and the request id
of a request that failed before observability's hook ran."""

import io
import json
import shutil
import socket
import sys
import threading
import uuid

import pytest
from flask import Response
from werkzeug.serving import DechunkedInput, make_server

from helpers import RULES
from served import Gunicorn, request
from server import bodies
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


def post_chunked(app, stream) -> tuple[str, str, dict]:
    """POST a chunked body straight to the WSGI app, as a server that ends the body itself would."""
    environ = {"wsgi.input": stream, "wsgi.input_terminated": True, "CONTENT_TYPE": "application/json",
               "HTTP_TRANSFER_ENCODING": "chunked", "REQUEST_METHOD": "POST", "PATH_INFO": "/v1/check",
               "SERVER_NAME": "t", "SERVER_PORT": "80", "wsgi.url_scheme": "http"}
    started = []
    body = b"".join(app.wsgi_app(environ, lambda status, headers: started.append((status, dict(headers)))))
    (status, headers), = started
    return status, headers["Content-Type"], json.loads(body)


def test_a_body_without_a_length_whose_connection_fails_is_a_400(app):
    status, ctype, problem = post_chunked(app, BrokenBody(json.dumps(CLEAN).encode()))
    assert status.startswith("400") and ctype == "application/problem+json"
    # No byte count: the bytes the app was given are not all the server had read.
    assert problem["detail"] == CUT_SHORT_DETAIL


def test_without_gunicorn_a_malformed_chunked_body_is_still_a_400(app, monkeypatch):
    monkeypatch.setitem(sys.modules, "gunicorn.http.errors", None)  # as if gunicorn were not installed
    bodies._server_parse_errors.cache_clear()
    try:
        assert bodies._server_parse_errors() == ()
        status, ctype, problem = post_chunked(app, DechunkedInput(io.BytesIO(b"zz\r\n{}\r\n0\r\n\r\n")))
    finally:
        bodies._server_parse_errors.cache_clear()
    assert status.startswith("400") and ctype == "application/problem+json"
    assert problem["detail"] == DEV_SERVER_DETAIL + "invalid chunk header"


def rules_in(tmp_path_factory, name):
    rules = tmp_path_factory.mktemp(name) / "rules.json"
    shutil.copy(RULES, rules)
    return rules


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    rules = rules_in(tmp_path_factory, "http-edges")
    g = Gunicorn(rules.parent, rules, WEB_CONCURRENCY="1")
    yield g
    g.stop()


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory):
    """The app under werkzeug's own server (what `flask run` starts) on 127.0.0.1: its port."""
    from server.app import create_app
    from server.config import Settings

    app = create_app(Settings(rules=str(rules_in(tmp_path_factory, "dev-server")), reload_interval=0))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def send_then_hang_up(port: int, raw: bytes) -> tuple[int, dict, bytes]:
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
        fields = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines[1:])}
        length = int(fields["content-length"])
        while len(body) < length:
            got = s.recv(65536)
            assert got, f"the response was cut short: {data[:300]!r}"
            body += got
    return int(lines[0].split()[1]), fields, body


def serves_on_without_errors(g: Gunicorn) -> None:
    assert request(g.base, "/v1/check", CLEAN)[0] == 200
    log = g.log_text()
    assert "Traceback" not in log and '"level": "ERROR"' not in log, log[-3000:]


@pytest.mark.parametrize("name", SHORT_BODIES)
def test_a_body_shorter_than_its_length_under_gunicorn(gunicorn, name):
    sent = SHORT_BODIES[name]
    head = (b"POST /v1/check HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % (len(sent) + 50))
    status, _, body = send_then_hang_up(gunicorn.port, head + sent)
    assert status == 400 and json.loads(body)["detail"] == cut_short(sent), body
    serves_on_without_errors(gunicorn)


# -- a chunked body malformed or cut short, over a socket ------------------------------------

CHUNKED_HEAD = (b"POST /v1/check HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n")
MALFORMED = "the chunked body is malformed: "
CUT_SHORT_DETAIL = "the chunked body ended before its last chunk: the client stopped sending it"
# Werkzeug's dev server gives one error for a bad chunk line and for a body that stops between chunks.
DEV_SERVER_DETAIL = "the chunked body is malformed or ended before its last chunk: "

# name: (body, the detail under gunicorn, the detail under werkzeug's dev server)
MALFORMED_CHUNKS = {
    "a chunk size that is not hex": (b"zz\r\n{}\r\n0\r\n\r\n", MALFORMED + "invalid chunk size 'zz'",
                                     DEV_SERVER_DETAIL + "invalid chunk header"),
    "a chunk longer than its size": (b"2\r\n{}XX\r\n0\r\n\r\n",
                                     MALFORMED + "a chunk does not end where its size says (no CRLF after its data)",
                                     DEV_SERVER_DETAIL + "missing chunk terminating newline"),
    "a bad chunk extension": (b"2;=\r\n{}\r\n0\r\n\r\n", MALFORMED + "invalid chunk extension",
                              DEV_SERVER_DETAIL + "invalid chunk header"),
    "a trailer that is no header field": (b"2\r\n{}\r\n0\r\nno colon\r\n\r\n",
                                          MALFORMED + "its trailer section is not valid header fields",
                                          DEV_SERVER_DETAIL + "missing chunk terminating newline"),
    "too many trailer fields": (b"2\r\n{}\r\n0\r\n" + b"X-N: 1\r\n" * 101 + b"\r\n",
                                MALFORMED + "its trailer section is over the server's limits",
                                DEV_SERVER_DETAIL + "missing chunk terminating newline"),
    "an endless chunk-size line": (b"1" * 9000, MALFORMED + "a chunk-size line runs over 8190 bytes without a CRLF",
                                   None),  # the dev server reads it as a huge size: a 413
}
CUT_SHORT_CHUNKS = {
    "between chunks": b'5\r\n{"tex\r\n',
    "inside a chunk": b'a\r\n{"te',
    "before a chunk's CRLF": b"2\r\n{}",
    "before the CRLF after the last chunk": b"2\r\n{}\r\n0\r\n",
    # More than one read's worth came before the end: the bytes the app got were never the count sent.
    "after 100 kB": b"".join(b"61a8\r\n" + b"a" * 25_000 + b"\r\n" for _ in range(4)),
}


def assert_problem(answer: tuple[int, dict, bytes], detail: str) -> None:
    status, fields, body = answer
    assert (status, fields["content-type"]) == (400, "application/problem+json"), body[:300]
    assert json.loads(body)["detail"] == detail


@pytest.mark.parametrize("name", MALFORMED_CHUNKS)
def test_a_malformed_chunked_body_under_gunicorn_is_a_precise_400(gunicorn, name):
    body, detail, _ = MALFORMED_CHUNKS[name]
    assert_problem(send_then_hang_up(gunicorn.port, CHUNKED_HEAD + body), detail)
    serves_on_without_errors(gunicorn)


@pytest.mark.parametrize("name", CUT_SHORT_CHUNKS)
def test_a_chunked_body_cut_short_under_gunicorn_gives_no_wrong_count(gunicorn, name):
    assert_problem(send_then_hang_up(gunicorn.port, CHUNKED_HEAD + CUT_SHORT_CHUNKS[name]), CUT_SHORT_DETAIL)
    serves_on_without_errors(gunicorn)


@pytest.mark.parametrize("name", [n for n, (_, _, dev) in MALFORMED_CHUNKS.items() if dev])
def test_a_malformed_chunked_body_under_the_dev_server_is_a_400(dev_server, name):
    body, _, detail = MALFORMED_CHUNKS[name]
    assert_problem(send_then_hang_up(dev_server, CHUNKED_HEAD + body), detail)


@pytest.mark.parametrize("name", CUT_SHORT_CHUNKS)
def test_a_chunked_body_cut_short_under_the_dev_server_is_a_400(dev_server, name):
    status, fields, body = send_then_hang_up(dev_server, CHUNKED_HEAD + CUT_SHORT_CHUNKS[name])
    assert (status, fields["content-type"]) == (400, "application/problem+json"), body[:300]
    assert json.loads(body)["detail"].startswith(DEV_SERVER_DETAIL)


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
