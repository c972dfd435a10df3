"""Hostile input through the real Flask app: deep nesting, huge numbers, bodies
over their limit, crashes, headers, CORS and API keys. Nothing a client sends
gives a 500 or a logged traceback; a crash logs no post text."""

import io
import json
import logging

import pytest

from server.app import SECURITY_HEADERS, create_app
from server.config import ConfigError, Settings

SECRET = "Call Jane Doe on 07700 900123 about activist lawyers"
DEEP = 10_000
DEEP_SMALL = 5_000  # fits /v1/feedback's 16 KB; Python's parser gives up at about 1,000


def app_with(rules, **kw):
    kw.setdefault("reload_interval", 0)
    return create_app(Settings(rules=str(rules), **kw))


def send(client, path, raw: bytes, **kw):
    return client.post(path, data=raw, content_type="application/json", **kw)


def nested(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


# Every JSON endpoint, and where in its body the hostile value goes.
HOSTILE_BODIES = {
    "/v1/check": {
        "deep body": "{" + '"a":{' * DEEP + "}" * DEEP + ',"text":"x"}',
        "deep text": '{"text":' + nested(DEEP) + "}",
        "deep context": '{"text":"x","context":' + '{"a":' * DEEP + "1" + "}" * DEEP + "}",
        "deep election_period": '{"text":"x","context":{"election_period":' + nested(DEEP) + "}}",
        "huge integer text": '{"text":' + "9" * 5000 + "}",
        "huge negative integer": '{"text":"x","platform":-' + "9" * 5000 + "}",
        "NaN": '{"text":NaN}',
    },
    "/v1/feedback": {
        "deep body": nested(DEEP_SMALL),
        "deep rule_id": '{"rule_id":' + nested(DEEP_SMALL) + "}",
        "deep kind": '{"rule_id":"attack.group-epithet","kind":' + '{"a":' * 2000 + "1" + "}" * 2000 + "}",
        "huge integer rule_id": '{"rule_id":' + "9" * 5000 + "}",
        "Infinity": '{"rule_id":"attack.group-epithet","platform":-Infinity}',
    },
}
CASES = [(path, name) for path, bodies in HOSTILE_BODIES.items() for name in bodies]


@pytest.mark.parametrize("path,name", CASES)
def test_deep_nesting_and_huge_numbers_are_precise_400s(client, caplog, path, name):
    caplog.set_level(logging.DEBUG)
    r = send(client, path, HOSTILE_BODIES[path][name].encode())
    assert r.status_code == 400, r.get_data(as_text=True)[:300]
    assert r.mimetype == "application/problem+json"
    detail = r.get_json()["detail"]
    if "deep" in name:
        assert detail == "the body nests arrays and objects more than 16 deep"
    elif "integer" in name:
        assert "5000-digit number" in detail and "at most 20 digits" in detail
    else:
        assert "not JSON" in detail
    assert "Traceback" not in caplog.text
    assert not [rec for rec in caplog.records if rec.levelno >= logging.ERROR]


def test_nesting_limit_is_exact_and_brackets_in_strings_do_not_count(client):
    def body(depth):  # the object itself is level 1
        return ('{"text":"a","extra":' + nested(depth - 1) + "}").encode()

    assert send(client, "/v1/check", body(16)).status_code == 200
    r = send(client, "/v1/check", body(17))
    assert r.status_code == 400 and "16 deep" in r.get_json()["detail"]
    text = "[{" * 5000 + ' "quoted \\" [[[ " ' + "}]" * 5000
    r = send(client, "/v1/check", json.dumps({"text": text}).encode())
    assert r.status_code == 200, r.get_json()
    assert send(client, "/v1/check", b'{"text":"a","n":' + b"9" * 20 + b"}").status_code == 200


def test_body_over_the_limit_is_refused_before_it_is_parsed(rules_copy):
    app = app_with(rules_copy, max_text_length=100)
    limit = 100 * 6 + 4096
    c = app.test_client()
    r = send(c, "/v1/check", b'{"text":"' + b"a" * limit + b'"}')
    assert r.status_code == 413 and r.get_json()["detail"] == f"the body is {limit + 11} bytes; the limit is {limit}"
    r = send(c, "/v1/feedback", b'{"rule_id":"' + b"a" * 20_000 + b'"}')
    assert r.status_code == 413 and "the limit is 16384" in r.get_json()["detail"]


class CountingStream(io.RawIOBase):
    """An endless body sent without a length; counts what the service read."""

    def __init__(self):
        self.read_bytes = 0

    def readable(self):
        return True

    def readinto(self, b):
        n = min(len(b), 65536)
        b[:n] = b"[" * n
        self.read_bytes += n
        return n


def test_a_body_without_a_length_is_read_only_up_to_the_limit(app):
    stream = CountingStream()
    environ = {"wsgi.input": stream, "wsgi.input_terminated": True, "CONTENT_TYPE": "application/json",
               "REQUEST_METHOD": "POST", "PATH_INFO": "/v1/check", "SERVER_NAME": "t", "SERVER_PORT": "80",
               "wsgi.url_scheme": "http", "HTTP_TRANSFER_ENCODING": "chunked"}
    status = []
    body = b"".join(app.wsgi_app(environ, lambda s, h: status.append(s)))
    limit = 70_000 * 6 + 4096
    assert status[0].startswith("413")
    assert json.loads(body)["detail"].startswith(f"the body is over {limit} bytes")
    assert limit < stream.read_bytes <= limit + 65536  # not the endless rest


class ReadOnlyBody:
    """A body with only read(), as gunicorn's; records the sizes asked for."""

    def __init__(self, raw: bytes):
        self.raw, self.asked = raw, []

    def read(self, size=-1):
        self.asked.append(size)
        out, self.raw = (self.raw, b"") if size < 0 else (self.raw[:size], self.raw[size:])
        return out


def test_a_body_with_a_length_is_read_in_one_read_of_that_length(app):
    raw = json.dumps({"text": "Bins are collected on Tuesday."}).encode()
    stream = ReadOnlyBody(raw)
    environ = {"wsgi.input": stream, "wsgi.input_terminated": True, "CONTENT_TYPE": "application/json",
               "CONTENT_LENGTH": str(len(raw)), "REQUEST_METHOD": "POST", "PATH_INFO": "/v1/check",
               "SERVER_NAME": "t", "SERVER_PORT": "80", "wsgi.url_scheme": "http"}
    status = []
    b"".join(app.wsgi_app(environ, lambda s, h: status.append(s)))
    assert status[0].startswith("200") and stream.asked == [len(raw)]


def test_a_body_with_a_byte_order_mark_is_refused_as_json_refuses_it(client):
    r = send(client, "/v1/check", b"\xef\xbb\xbf" + b'{"text":"a"}')
    assert r.status_code == 400 and "Unexpected UTF-8 BOM" in r.get_json()["detail"]


def test_each_caller_of_safejson_keeps_its_own_words():
    from server import safejson

    for _ in range(2):  # the second time from the decoders kept for each caller
        with pytest.raises(safejson.BadNumber, match="^the rulebook has NaN"):
            safejson.loads('{"a": NaN}', what="the rulebook")
        with pytest.raises(safejson.BadNumber, match="^the body has a 21-digit number"):
            safejson.loads('{"a": -' + "9" * 21 + "}")
    assert safejson.loads('{"a": [1, -2.5, "x"]}') == json.loads('{"a": [1, -2.5, "x"]}')
    assert safejson.loads(b'{"a": 1}') == {"a": 1}


def test_a_crash_is_a_problem_and_logs_no_post_text(client, app, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    checker = app.extensions["impartial"].store.checker()

    def boom(text, *a, **k):
        try:
            raise KeyError(text)
        except KeyError as inner:
            raise ValueError(f"could not check {text!r}") from inner

    monkeypatch.setattr(checker, "check", boom)
    r = client.post("/v1/check", json={"text": SECRET})
    assert r.status_code == 500 and r.mimetype == "application/problem+json"
    problem = r.get_json()
    assert problem["status"] == 500 and SECRET not in json.dumps(problem)
    assert r.headers["Cache-Control"] == "no-store"
    errors = [rec for rec in caplog.records if rec.levelno >= logging.ERROR]
    assert len(errors) == 1
    logged = caplog.text
    assert "ValueError <- KeyError" in logged and "POST /v1/check" in logged and "boom" in logged
    for part in ("Jane", "07700", "activist"):
        assert part not in logged


def test_post_text_is_not_logged_on_any_client_error(client, caplog):
    caplog.set_level(logging.DEBUG)
    for raw in (json.dumps({"text": SECRET, "platform": "myspace"}), json.dumps({"text": SECRET, "context": 3}),
                '{"text": "' + SECRET + '", ', json.dumps({"rule_id": SECRET})):
        for path in ("/v1/check", "/v1/feedback"):
            assert send(client, path, raw.encode()).status_code == 400
    assert "07700" not in caplog.text and "Jane" not in caplog.text


def response_zoo(c):
    ext = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"
    return {
        "200 check": c.post("/v1/check", json={"text": "a"}, headers={"Origin": ext}),
        "200 healthz": c.get("/healthz"),
        "200 readyz": c.get("/readyz"),
        "200 rules": c.get("/v1/rules"),
        "200 openapi": c.get("/openapi.json"),
        "202 feedback": c.post("/v1/feedback", json={"rule_id": "attack.group-epithet"}),
        "400": send(c, "/v1/check", b"{"),
        "404": c.get("/nope"),
        "405": c.delete("/v1/check"),
        "413": c.post("/v1/check", json={"text": "a" * 80_000}),
        "415": c.post("/v1/check", data="x", content_type="text/plain"),
        "preflight": c.options("/v1/check", headers={"Origin": ext, "Access-Control-Request-Method": "POST"}),
    }


def test_security_headers_on_every_response(rules_copy):
    ext = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"
    c = app_with(rules_copy, cors_origins=(ext,)).test_client()
    responses = response_zoo(c)
    for name, r in responses.items():
        for header, value in SECURITY_HEADERS.items():
            assert r.headers.get(header) == value, (name, header, dict(r.headers))
    assert responses["preflight"].headers["Access-Control-Allow-Origin"] == ext
    keyed = app_with(rules_copy, api_keys=("k",)).test_client().get("/v1/rules")
    assert keyed.status_code == 401 and keyed.headers["X-Content-Type-Options"] == "nosniff"


def test_405_keeps_allow(client):
    r = client.delete("/v1/check")
    assert r.status_code == 405 and r.mimetype == "application/problem+json"
    assert set(r.headers["Allow"].replace(" ", "").split(",")) == {"POST", "OPTIONS"}
    r = client.post("/healthz")
    assert r.status_code == 405 and "GET" in r.headers["Allow"]


@pytest.mark.parametrize("origin,why", [
    ("*", "is a wildcard"),
    ("https://*.example.gov.uk", "is a wildcard"),
    ("moz-extension://*", "is a wildcard"),
    ("https://example.gov.uk/", "not an exact origin"),
    ("https://example.gov.uk/api", "not an exact origin"),
    (r"https://example\.gov\.uk", "not an exact origin"),
    ("https://example.gov.uk.+", "not an exact origin"),
    ("example.gov.uk", "not an exact origin"),
])
def test_cors_wildcards_and_patterns_are_refused_at_start_up(rules_copy, origin, why):
    with pytest.raises(ConfigError) as info:
        app_with(rules_copy, cors_origins=("chrome-extension://abc", origin))
    assert why in str(info.value) and "IMPARTIAL_CORS_ORIGINS" in str(info.value)
    env = {"IMPARTIAL_RULES": str(rules_copy), "IMPARTIAL_CORS_ORIGINS": origin}
    with pytest.raises(ConfigError):
        create_app(Settings.from_env(env))


def test_cors_admits_exact_origins_only(rules_copy):
    c = app_with(rules_copy, cors_origins=("https://example.gov.uk", "http://localhost:3000")).test_client()

    def allowed(origin):
        r = c.options("/v1/check", headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
        return r.headers.get("Access-Control-Allow-Origin")

    assert allowed("https://example.gov.uk") == "https://example.gov.uk"
    assert allowed("http://localhost:3000") == "http://localhost:3000"
    for evil in ("https://example.gov.uk.attacker.net", "https://xexample.gov.uk", "https://example.gov.ukx",
                 "http://example.gov.uk", "https://a.example.gov.uk", "http://localhost:3001", "null"):
        assert allowed(evil) is None, evil


def test_a_warning_at_start_up_when_no_keys_are_set(rules_copy, caplog):
    caplog.set_level(logging.WARNING)
    app_with(rules_copy)
    assert any("IMPARTIAL_API_KEYS is not set" in rec.getMessage() for rec in caplog.records)
    caplog.clear()
    app_with(rules_copy, api_keys=("k",))
    assert not any("IMPARTIAL_API_KEYS" in rec.getMessage() for rec in caplog.records)


@pytest.mark.parametrize("method,path,body,ok", [
    ("POST", "/v1/check", {"text": "a"}, 200),
    ("GET", "/v1/rules", None, 200),
    ("POST", "/v1/feedback", {"rule_id": "attack.group-epithet"}, 202),
    ("GET", "/v1/stats", None, 200),
])
def test_every_v1_endpoint_needs_the_key(rules_copy, method, path, body, ok):
    c = app_with(rules_copy, api_keys=("s3cret", "other")).test_client()

    def call(headers=None):
        return c.open(path, method=method, json=body, headers=headers or {})

    for headers in (None, {"Authorization": "Bearer wrong"}, {"X-API-Key": "s3cre"}, {"Authorization": "s3cret"}):
        r = call(headers)
        assert r.status_code == 401 and r.mimetype == "application/problem+json", headers
    assert call({"Authorization": "Bearer s3cret"}).status_code == ok
    assert call({"X-API-Key": "other"}).status_code == ok
    for open_path in ("/healthz", "/readyz", "/openapi.json"):
        assert c.get(open_path).status_code == 200


def test_feedback_file_never_holds_post_text(rules_copy, tmp_path):
    path = tmp_path / "feedback.jsonl"
    c = app_with(rules_copy, feedback_path=str(path)).test_client()
    r = c.post("/v1/feedback", json={"rule_id": "attack.group-epithet", "kind": "false_positive", "platform": "x",
                                     "text": SECRET, "match": SECRET, "context": {"post": SECRET}})
    assert r.status_code == 202 and SECRET not in r.get_data(as_text=True)
    for bad in ({"rule_id": SECRET}, {"rule_id": "attack.group-epithet", "kind": SECRET},
                {"rule_id": "attack.group-epithet", "platform": SECRET}):
        assert c.post("/v1/feedback", json=bad).status_code == 400
    c.post("/v1/feedback", json={"rule_id": "loaded_language.loaded-term", "kind": "helpful"})
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == 2
    for record in lines:
        assert set(record) == {"rule_id", "kind", "platform", "rulebook", "at"}
    assert "Jane" not in path.read_text() and "07700" not in path.read_text()
