"""The playground's HTTP side, through the real Flask app: the page and its
policy, the extension scripts it serves, and the candidate rulebook endpoints."""

import hashlib
import json
import logging
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.app import create_app
from server.config import Settings
from server.engine import RulebookError, parse_rulebook
from server.playground import candidates

from helpers import ROOT, RULES, book_json, minimal_rule
from test_api import assert_conforms

LINT_EXAMPLE = "activist lawyers"


def compile_(client, raw, as_=None, **kw):
    """POST a candidate; every answer must be the one /openapi.json describes."""
    data = raw if isinstance(raw, (bytes, str)) else json.dumps(raw)
    path = "/playground/rulebooks" + (f"?as={as_}" if as_ else "")
    resp = client.post(path, data=data, content_type=kw.pop("content_type", "application/json"), **kw)
    assert_conforms(resp, "/playground/rulebooks", "post")
    return resp


def candidate_check(client, digest, text, **body):
    resp = client.post("/playground/check", json={"rulebook": digest, "text": text, **body})
    assert_conforms(resp, "/playground/check", "post")
    return resp


def lint_problems(raw: bytes) -> list[str]:
    """What `impartial lint` prints for this rulebook (the loader's problems)."""
    with pytest.raises(RulebookError) as err:
        parse_rulebook(raw, source="candidate")
    return err.value.problems


def assert_problem(resp, status):
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["status"] == status and body["detail"]
    return body


# -- the page -------------------------------------------------------------------------------------------------------

def test_page_has_a_strict_policy_with_a_fresh_style_nonce(client):
    first, second = client.get("/playground"), client.get("/playground")
    assert first.status_code == 200 and first.mimetype == "text/html"
    csp = first.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"  # no inline script, no eval, nothing from elsewhere
    assert directives["connect-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    nonce = re.search(r"'nonce-([A-Za-z0-9_-]+)'", directives["style-src"]).group(1)
    html = first.get_data(as_text=True)
    assert f'<meta name="impartial-style-nonce" content="{nonce}">' in html
    assert nonce not in second.headers["Content-Security-Policy"]
    assert not re.search(r"\son[a-z]+=", html), "no inline event handlers"
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "every script is a file"
    for name in ("X-Content-Type-Options", "Cache-Control", "X-Frame-Options", "Referrer-Policy"):
        assert name in first.headers


def test_every_script_the_page_loads_is_served_and_the_extension_ones_are_its_own_files(client):
    html = client.get("/playground").get_data(as_text=True)
    sources = re.findall(r'<script src="([^"]+)"', html)
    assert [s.rsplit("/", 1)[1] for s in sources] == [
        "textmodel.js", "settings.js", "adapters.js", "ui.js", "bridge.js", "content.js", "page.js"]
    for src in sources:
        r = client.get(src)
        assert r.status_code == 200 and r.mimetype == "text/javascript", src
        if "/extension/" in src:
            assert r.data == (ROOT / "extension" / "src" / src.rsplit("/", 1)[1]).read_bytes()
    css = re.search(r'<link rel="stylesheet" href="([^"]+)"', html).group(1)
    assert client.get(css).mimetype == "text/css"


@pytest.mark.parametrize("name", ["background.js", "options.js", "manifest.json", "..%2Fmanifest.json", "nope.js"])
def test_only_the_content_scripts_of_the_extension_are_served(client, name):
    body = assert_problem(client.get(f"/playground/extension/{name}"), 404)
    assert "content.js" in body["detail"] or "not found" in body["detail"].lower()


def test_the_page_asks_for_a_key_only_when_keys_are_configured(rules_copy):
    open_app = create_app(Settings(rules=str(rules_copy), reload_interval=0))
    keyed = create_app(Settings(rules=str(rules_copy), reload_interval=0, api_keys=("k1",)))
    assert 'aria-labelledby="key-title" hidden>' in open_app.test_client().get("/playground").get_data(as_text=True)
    page = keyed.test_client().get("/playground")
    assert page.status_code == 200  # the page holds no data: open
    assert 'aria-labelledby="key-title">' in page.get_data(as_text=True)


# -- compiling a candidate ------------------------------------------------------------------------------------------

def test_a_valid_candidate_compiles_and_reports_its_examples_as_lint_does(client):
    raw = book_json(minimal_rule()).encode()
    r = compile_(client, raw)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["digest"] == hashlib.sha256(raw).hexdigest()
    assert (body["version"], body["rules"]) == ("t1", 1)
    assert body["examples"] == {"total": 2, "failed": 0, "failures": []}
    # It loads, so it can be compared; lint still says what a release would fail on, errors first.
    assert body["lint"]["errors"] == 1 and body["lint"]["problems"][0]["kind"] == "id-category"


def test_lints_errors_and_advice_come_with_the_candidate_in_lints_own_words(client):
    from server.engine import Checker
    from server.lint import lint

    rule = minimal_rule(match={"phrases": ["activist lawyer", "activist lawyer"]})
    raw = book_json(rule)
    body = compile_(client, raw).get_json()
    expected = lint(json.loads(raw), Checker(parse_rulebook(raw)))
    assert expected, "the rulebook was meant to draw lint problems"
    assert sorted(map(json.dumps, body["lint"]["problems"])) == sorted(json.dumps(p.to_json()) for p in expected)
    assert any(p["kind"] == "duplicate-term" and p["where"].startswith("rule 'test.rule'") and p["hint"]
               for p in body["lint"]["problems"])
    assert body["lint"]["advice"] + body["lint"]["errors"] == len(expected)


def test_the_shipped_rulebook_compiles_with_every_example_passing(client, rulebook):
    body = compile_(client, RULES.read_bytes()).get_json()
    examples = sum(len(r.flag_examples) + len(r.pass_examples) for r in rulebook.rules)
    assert (body["version"], body["rules"]) == (rulebook.version, len(rulebook.rules))
    assert body["examples"] == {"total": examples, "failed": 0, "failures": []}
    assert body["lint"]["errors"] == 0 and body["lint"]["summary"].startswith("0 error")


def test_failing_examples_are_listed_in_lints_words_and_the_candidate_is_still_usable(client):
    rule = minimal_rule(examples={"flag": ["activist lawyers", "judges"], "pass": ["lawyers"]})
    body = compile_(client, book_json(rule)).get_json()
    assert body["examples"]["total"] == 3 and body["examples"]["failed"] == 1
    assert body["examples"]["failures"] == ["test.rule [flag] 'judges': not flagged"]
    assert candidate_check(client, body["digest"], LINT_EXAMPLE).status_code == 200


@pytest.mark.parametrize("rule, field", [
    (minimal_rule(severity="fatal"), "severity"),
    (minimal_rule(match={"phrases": ["{@nolist}"]}), "match.phrases[0]"),
    (minimal_rule(match={"patterns": ["(a+)+$"]}), "match.patterns[0]"),
])
def test_an_invalid_candidate_gets_every_problem_of_lint_naming_rule_and_field(client, rule, field):
    raw = book_json(rule).encode()
    body = assert_problem(compile_(client, raw), 422)
    assert body["title"] == "Invalid rulebook"
    assert body["problems"] == lint_problems(raw)
    located = [e for e in body["errors"] if e.get("field") == field]
    assert located, body["errors"]
    assert located[0]["rule"] == "test.rule" and located[0]["index"] == 0 and located[0]["message"]
    assert body["detail"].startswith(f"the candidate rulebook has {len(body['problems'])} problem")


def test_broken_json_gets_the_loaders_line_and_column(client):
    raw = b'{"version": "t1",\n "rules": [}'
    body = assert_problem(compile_(client, raw), 422)
    assert body["problems"] == lint_problems(raw) and "line 2 column" in body["problems"][0]


def test_not_utf8_is_named_by_byte(client):
    body = assert_problem(compile_(client, b'{"version": "\xff"}'), 422)
    assert body["problems"] == ["not UTF-8 at byte 13"]


@pytest.mark.parametrize("raw, words", [
    (b"[" * 40 + b"]" * 40, "nests arrays and objects more than 32 deep"),
    (b'{"version": 1' + b"0" * 30 + b"}", "31-digit number"),
    (b'{"version": NaN}', "NaN, which is not JSON"),
])
def test_what_would_crash_the_loader_is_a_precise_422(client, raw, words):
    body = assert_problem(compile_(client, raw), 422)
    assert words in body["detail"]


def test_a_candidate_cannot_make_the_service_open_a_file(client):
    rule = minimal_rule(id="test.model", match={"model": {"head": "political", "path": "/etc/passwd"}})
    body = assert_problem(compile_(client, book_json(rule)), 422)
    assert body["errors"] == [{
        "problem": body["problems"][0], "rule": "test.model", "index": 0, "field": "match.model.path",
        "message": body["problems"][0].split(": ", 1)[1]}]
    assert "cannot name a model file" in body["problems"][0]


def test_limits_content_type_and_method(app, client):
    candidates(app).max_bytes = 100
    body = assert_problem(compile_(client, b" " * 101 + b"{}"), 413)
    assert body["limit"] == 100
    assert_problem(compile_(client, b"{}", content_type="text/plain"), 415)
    r = client.get("/playground/rulebooks")
    assert_problem(r, 405)
    assert "POST" in r.headers["Allow"]


def test_a_compile_over_the_timeout_is_abandoned_and_holds_the_next_one_off(app, client, monkeypatch):
    import threading

    import server.candidates as module

    release = threading.Event()
    real = module.compile_candidate

    def stuck(*args):  # a compile that takes as long as the test says
        release.wait(30)
        return real(*args)

    monkeypatch.setattr(module, "compile_candidate", stuck)
    cands = candidates(app)
    cands.timeout = 0.05
    try:
        r = compile_(client, book_json(minimal_rule()))
        body = assert_problem(r, 503)
        assert "took over 0.05 s and was abandoned" in body["detail"] and r.headers["Retry-After"]
        again = compile_(client, book_json(minimal_rule(id="test.other")))
        assert "still compiling" in assert_problem(again, 503)["detail"]
    finally:
        release.set()
        cands._compiling.join()
    cands.timeout = 30
    # The abandoned result was dropped, not cached: the same bytes compile afresh once the worker is free.
    assert compile_(client, book_json(minimal_rule())).status_code == 200


def test_the_same_refused_bytes_are_not_compiled_twice(client, monkeypatch):
    import server.candidates as module

    calls = []
    real = module.compile_candidate
    monkeypatch.setattr(module, "compile_candidate", lambda *a: calls.append(1) or real(*a))
    raw = book_json(minimal_rule(severity="fatal"))
    first, second = compile_(client, raw), compile_(client, raw)
    assert first.get_json() == second.get_json() and len(calls) == 1


# -- a candidate layer on the live set -----------------------------------------------------------------------------

TESTSHIRE = {"version": "2026.12.01", "extend_lists": {"slogans": ["Testshire First"]},
             "disable": [{"id": "party_political.electoral-call", "reason": "testing the layer"}]}


def test_a_layer_lies_on_the_live_rulebook(client, rulebook):
    body = compile_(client, json.dumps(TESTSHIRE), as_="layer").get_json()
    assert body["version"] == f"{rulebook.version}+2026.12.01" and body["rules"] == len(rulebook.rules)
    assert body["examples"]["failed"] == 0
    text = "Testshire First! Vote Labour on Thursday."
    live = {f["rule_id"] for f in client.post("/v1/check", json={"text": text}).get_json()["findings"]}
    layered = {f["rule_id"] for f in candidate_check(client, body["digest"], text).get_json()["findings"]}
    assert "party_political.slogan" in layered - live  # the extended list
    assert "party_political.electoral-call" in live - layered  # the disabled rule
    # The same bytes as a whole rulebook are another candidate: a layer is not a rulebook.
    whole = assert_problem(compile_(client, json.dumps(TESTSHIRE)), 422)
    assert "'rules' is a required property" in " ".join(whole["problems"])


def test_a_broken_layer_gets_the_layer_loaders_problems(client):
    bad = {"version": "x", "disable": [{"id": "tone.shoutin", "reason": "r"}]}
    body = assert_problem(compile_(client, json.dumps(bad), as_="layer"), 422)
    assert body["problems"] == ["disable[0] field 'id': no rule 'tone.shoutin' in the layers before "
                                "(did you mean 'tone.shouting'?)"]
    assert body["errors"][0]["section"] == "disable[0]" and body["errors"][0]["field"] == "id"
    dup = {"version": "x", "rules": [minimal_rule(id="party_political.electoral-call",
                                                  category="party_political")]}
    assert any("electoral-call" in p for p in assert_problem(compile_(client, json.dumps(dup), as_="layer"),
                                                             422)["problems"])
    assert "'as' must be rulebook or layer" in assert_problem(compile_(client, "{}", as_="core"), 400)["detail"]


# -- checking with a candidate --------------------------------------------------------------------------------------

def test_the_candidates_findings_differ_from_the_live_rulebooks(client):
    rule = minimal_rule(id="test.windmills", match={"phrases": ["windmills"]}, severity="block",
                        examples={"flag": ["windmills"], "pass": ["wind"]})
    digest = compile_(client, book_json(rule)).get_json()["digest"]
    text = "Vote Labour on Thursday to stop the windmills"
    live = client.post("/v1/check", json={"text": text}).get_json()
    mine = candidate_check(client, digest, text).get_json()
    assert "test.windmills" not in {f["rule_id"] for f in live["findings"]}
    assert [(f["rule_id"], f["match"]) for f in mine["findings"]] == [("test.windmills", "windmills")]
    assert mine["rulebook"]["version"] == "t1" and mine["verdict"] == "block"


def test_platform_and_election_reach_the_candidate(client):
    rule = minimal_rule(id="test.purdah", match={"phrases": ["new policy"]}, when={"election_period": True},
                        examples={"flag": ["our new policy"], "pass": ["our policy"]})
    digest = compile_(client, book_json(rule)).get_json()["digest"]
    off = candidate_check(client, digest, "Our new policy", platform="x").get_json()
    on = candidate_check(client, digest, "Our new policy", platform="x", context={"election_period": True}).get_json()
    assert off["findings"] == [] and [f["rule_id"] for f in on["findings"]] == ["test.purdah"]
    assert on["metrics"]["length"]["platform"] == "x" and on["metrics"]["length"]["limit"] == 280


def test_candidate_check_validates_as_v1_does(client):
    digest = compile_(client, book_json(minimal_rule())).get_json()["digest"]
    assert "'rulebook'" in assert_problem(candidate_check(client, "abc", "x"), 400)["detail"]
    assert "'rulebook'" in assert_problem(client.post("/playground/check", json={"text": "x"}), 400)["detail"]
    for body in ({"text": 5}, {"text": "a\ud800"}, {"text": "x", "platform": "myspace"},
                 {"text": "x", "context": {"election_period": "yes"}}):
        mine = assert_problem(client.post("/playground/check", data=json.dumps({"rulebook": digest, **body}),
                                          content_type="application/json"), 400)
        live = client.post("/v1/check", data=json.dumps(body), content_type="application/json").get_json()
        assert mine["detail"] == live["detail"]


def test_an_unknown_or_evicted_candidate_is_a_404_that_says_to_send_it_again(app, client):
    candidates(app).size = 2
    digests = [compile_(client, book_json(minimal_rule(id=f"test.r{i}"))).get_json()["digest"] for i in range(3)]
    body = assert_problem(candidate_check(client, digests[0], LINT_EXAMPLE), 404)
    assert body["rulebook"] == digests[0] and "POST /playground/rulebooks" in body["detail"]
    for d in digests[1:]:
        assert candidate_check(client, d, LINT_EXAMPLE).status_code == 200


def test_keys_protect_both_endpoints_like_v1(rules_copy):
    client = create_app(Settings(rules=str(rules_copy), reload_interval=0, api_keys=("k1",))).test_client()
    raw = book_json(minimal_rule())
    assert_problem(compile_(client, raw), 401)
    r = compile_(client, raw, headers={"Authorization": "Bearer k1"})
    assert r.status_code == 200
    digest = r.get_json()["digest"]
    assert_problem(candidate_check(client, digest, "x"), 401)
    ok = client.post("/playground/check", json={"rulebook": digest, "text": "x"}, headers={"X-API-Key": "k1"})
    assert ok.status_code == 200


def test_nothing_typed_is_logged(client, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "zqxjvv-marker"
    rule = minimal_rule(match={"phrases": [secret]}, examples={"flag": [secret], "pass": ["x"]})
    digest = compile_(client, book_json(rule)).get_json()["digest"]
    candidate_check(client, digest, f"a post about {secret}")
    compile_(client, book_json(minimal_rule(message=secret, severity="fatal")))
    assert secret not in caplog.text


def test_compiles_are_rate_limited_per_key(tmp_path):
    from server.playground import COMPILE_LIMIT

    allowed = int(COMPILE_LIMIT.split("/")[0])
    app = create_app(Settings(rules=str(RULES), reload_interval=0, api_keys=("k1", "k2"), rate_limit="1000/minute",
                              database_url=f"sqlite:///{tmp_path / 'r.db'}"))
    client = app.test_client()
    raw = book_json(minimal_rule())  # the same bytes: compiled once, then from the cache; still counted
    for _ in range(allowed):
        assert compile_(client, raw, headers={"Authorization": "Bearer k1"}).status_code == 200
    r = compile_(client, raw, headers={"Authorization": "Bearer k1"})
    assert_problem(r, 429)
    assert r.headers["Retry-After"]
    assert compile_(client, raw, headers={"Authorization": "Bearer k2"}).status_code == 200  # another key's own


# -- whatever a maintainer pastes, the answer is a rulebook or its problems -------------------------------------

_JSON = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False)
                     | st.text(max_size=20),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                     max_leaves=12)
_FIELDS = ["id", "category", "severity", "message", "guidance", "match", "examples", "exceptions", "platforms",
           "when", "active", "enabled", "suggestions"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(_FIELDS), value=_JSON, top=st.sampled_from([None, "version", "lists", "guidance"]))
def test_any_mangled_rulebook_gets_200_or_its_problems_never_a_500(client, field, value, top):
    rule = minimal_rule()
    rule[field] = value
    book = json.loads(book_json(rule))
    if top:
        book[top] = value
    r = compile_(client, json.dumps(book))
    assert r.status_code in (200, 422), r.get_data(as_text=True)
    if r.status_code == 422:
        body = r.get_json()
        assert body["problems"] and len(body["errors"]) == len(body["problems"])
