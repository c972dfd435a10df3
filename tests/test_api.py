"""The HTTP contract, exercised through the real Flask app."""

import json
import re

import jsonschema
import pytest

from server.app import create_app
from server.config import Settings
from server.engine.findings import ADVISORY_CATEGORIES
from server.openapi import openapi_document

from helpers import utf16_slice


def post(client, body, content_type="application/json", **kw):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post("/v1/check", data=data, content_type=content_type, **kw)


# -- OpenAPI conformance -------------------------------------------------------

def _validator(schema_name: str):
    doc = openapi_document()
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": doc["components"]}
    return jsonschema.Draft202012Validator(schema)


def assert_conforms(resp, path: str, method: str):
    doc = openapi_document()
    spec = doc["paths"][path][method]["responses"][str(resp.status_code)]
    (ctype, media), = spec["content"].items()
    assert resp.mimetype == ctype
    ref = media["schema"]["$ref"].rsplit("/", 1)[1] if "$ref" in media["schema"] else None
    if ref:
        _validator(ref).validate(resp.get_json())


def test_openapi_document_is_served_and_valid(client):
    r = client.get("/openapi.json")
    assert r.status_code == 200
    doc = r.get_json()
    assert doc["openapi"] == "3.1.0"
    for name, schema in doc["components"]["schemas"].items():
        jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("text,platform", [
    ("Moribound Miliband talks of a national mission. A mission to economic disaster.", "generic"),
    ("Great news 🎉 from the Labour party: vote Labour", "x"),
    ("Gritters are out tonight.", "bluesky"),
    ("a" * 600, "threads"),
    ("", "mastodon"),
])
def test_check_responses_conform_to_openapi(client, text, platform):
    r = post(client, {"text": text, "platform": platform})
    assert r.status_code == 200
    assert_conforms(r, "/v1/check", "post")


def test_other_responses_conform_to_openapi(client):
    assert_conforms(client.get("/v1/rules"), "/v1/rules", "get")
    assert_conforms(client.get("/healthz"), "/healthz", "get")
    assert_conforms(client.get("/readyz"), "/readyz", "get")
    r = client.post("/v1/feedback", json={"rule_id": "attack.group-epithet", "platform": "x"})
    assert r.status_code == 202
    assert_conforms(r, "/v1/feedback", "post")
    for bad in (post(client, b"{"), post(client, {"text": 1}), post(client, "x", content_type="text/plain")):
        assert_conforms(bad, "/v1/check", "post")


# -- the check contract ----------------------------------------------------------

def test_curl_example_from_the_issue(client):
    r = post(client, {"text": "Moribound Miliband talks of a national mission. A mission to economic disaster."})
    body = r.get_json()
    assert body["verdict"] == "block"
    matches = {f["match"]: f for f in body["findings"]}
    assert matches["Moribound Miliband"]["severity"] == "block"
    assert "mission to economic disaster" in matches
    for f in body["findings"]:
        assert f["guidance"]["source"] and f["guidance"]["clause"] and f["message"]


BESIDE_RULES_CASES = [
    "Vote Labour on Thursday. The bins are a total disgrace and the streets are filthy.",
    "The bins are a total disgrace and the streets are filthy.",
    "Labour councillors voted against the budget. Pathetic. The war on motorists continues.",
    "Vote Reform UK on Thursday. Take back control of our borders from the woke mob.",
    "Vote Green on Thursday. Stop the war on motorists in our town centre!",
    "The Tories have failed this town. Potholes everywhere, what a joke.",
    # the model of 2026-12-03 speaks beside a rule on this one, at 98% (underlined) and 82% (listed)
    "Another day, another sham hearing from the other side. Nobody believes a word of it.",
    # ... and the generic head speaks beside a pre-election rule here: listed about the post
    "Four years. New hospitals. New schools. Before you head to the polls on 7 May, here's everything this"
    " Government has delivered.",
]


def _speaking(findings: list) -> list:
    """The response's findings that speak for a breach (not info, not an advisory category)."""
    return [f for f in findings if f["severity"] != "info" and f["category"] not in ADVISORY_CATEGORIES]


def test_a_model_card_beside_a_rule_underlines_only_when_sure(client, checker):
    """Over HTTP: where a rule's card speaks for the post, a model head's card under its
    rule's beside_rules bar, on a rule's words, or the generic head's comes as scope "post"
    (listed, not underlined), its words still quoted; every other model card keeps its
    underline. At least one of each occurs."""
    bars = {r.id: r.matcher.beside_rules for r in checker.rules if r.id.startswith("model.")}
    # under its threshold (over its beside_flag bar), a head's card is always listed
    thresholds = {r.id: r.matcher.threshold for r in checker.rules if r.id.startswith("model.")}
    seen, generic_seen = set(), set()
    for text in BESIDE_RULES_CASES:
        findings = post(client, {"text": text}).get_json()["findings"]
        ruled = [(f["start"], f["end"]) for f in _speaking(findings) if not f["rule_id"].startswith("model.")]
        for f in findings:
            if not f["rule_id"].startswith("model."):
                continue
            if f["rule_id"] == "model.political":  # beside any other speaking card: listed
                beside = any(g["rule_id"] != "model.political" for g in _speaking(findings))
                expected = "post" if beside else "span"
                generic_seen.update(["model.political"] if beside else [])
            else:
                sure = int(re.search(r"\((\d+)% sure\)", f["message"]).group(1)) / 100
                on_rule = any(s < f["end"] and f["start"] < e for s, e in ruled)
                conditional = sure < round(thresholds[f["rule_id"]], 2)
                expected = "post" if conditional or ruled and (sure < bars[f["rule_id"]] or on_rule) else "span"
            assert f["scope"] == expected, (text, f)
            assert text[f["start"]:f["end"]] == f["match"] and f["match"] and len(f["match"]) < len(text)
            seen.add(expected)
    assert seen == {"post", "span"} and "model.political" in generic_seen


def test_a_category_only_the_model_names_is_listed_where_a_rule_has_its_words(client):
    """Over HTTP: the model reads tone here (the tone head, or the political head naming tone),
    its words lie under a sub judice rule's underline, and no rule names tone: its card is
    listed about the post, once, its words quoted."""
    text = "Another yob off our streets. Kyle Dean, 22, was arrested last night for the Mill Road burglary."
    findings = post(client, {"text": text}).get_json()["findings"]
    ruled = [f for f in _speaking(findings) if not f["rule_id"].startswith("model.")]
    tone = [f for f in findings if f["category"] == "tone"]
    assert ruled and not any(f["category"] == "tone" for f in ruled)
    assert len(tone) == 1 and tone[0]["rule_id"] in ("model.tone", "model.political")
    assert tone[0]["scope"] == "post"
    assert text[tone[0]["start"]:tone[0]["end"]] == tone[0]["match"]
    assert any(r["start"] < tone[0]["end"] and tone[0]["start"] < r["end"] for r in ruled)


def test_a_head_under_its_threshold_names_its_category_only_beside_another_flag(client, checker):
    """Over HTTP, with the shipped rulebook: the attack head is under its threshold on this
    scorn of the opposing councillors, over its beside_flag bar; beside a voting call it names
    its category as a card about the post, its words quoted, and underlines nothing. (That it
    flags nothing alone: tests/test_matchers.py.)"""
    head = next(r.matcher for r in checker.rules if r.id == "model.attack")
    scorn = "The council opposite has no idea what it is doing."
    text = "Vote Green on 7 May. " + scorn
    p = head.analysis(checker.analyse(text)).scores["attack"]
    assert head.beside_flag <= p < head.threshold  # the case under test, on the shipped model
    findings = post(client, {"text": text}).get_json()["findings"]
    cards = {f["rule_id"]: f for f in findings}
    assert cards["party_political.electoral-call"]["scope"] == "span"
    attack = cards["model.attack"]
    assert (attack["category"], attack["scope"]) == ("attack", "post")
    assert attack["match"] and attack["match"] in scorn and text[attack["start"]:attack["end"]] == attack["match"]


OFFSET_CASES = [
    ("Great news 🎉 from the Labour party: vote Labour", "vote Labour"),
    ("🇬🇧🇬🇧 flags then activist lawyers", "activist lawyers"),
    ("Family 👩‍👩‍👧 day: activist lawyers again", "activist lawyers"),
    ("Cafe\u0301 talk \u2014 activist lawyers", "activist lawyers"),
    ("Line one\r\nLine two: activist lawyers\r\n", "activist lawyers"),
    ("日本語のテキスト 𝒜𝒷𝒸 activist lawyers", "activist lawyers"),
    ("مرحبا 🙂 activist lawyers", "activist lawyers"),
    ("Sinn Fe\u0301in desperate for votes 🎉", "Sinn Fe\u0301in desperate"),
]


@pytest.mark.parametrize("text,expected", OFFSET_CASES)
def test_offsets_are_utf16_code_units(client, text, expected):
    body = post(client, {"text": text}).get_json()
    found = [f for f in body["findings"] if f["match"] == expected]
    assert found, body["findings"]
    for f in body["findings"]:
        # What the browser will underline is exactly what the service matched.
        assert utf16_slice(text, f["start"], f["end"]) == f["match"]


def test_platform_length_metrics(client):
    body = post(client, {"text": "x" * 281, "platform": "x"}).get_json()
    assert body["metrics"]["length"] == {"count": 281, "limit": 280, "platform": "x"}
    over = [f for f in body["findings"] if f["category"] == "platform_limit" and f["severity"] == "block"]
    assert over and over[0]["start"] == 280 and over[0]["end"] == 281


def test_election_period_context(client):
    text = "Join the Leader at the opening of the park"
    plain = post(client, {"text": text}).get_json()
    purdah = post(client, {"text": text, "context": {"election_period": True}}).get_json()
    assert not any(f["category"] == "pre_election" for f in plain["findings"])
    assert any(f["category"] == "pre_election" for f in purdah["findings"])


# -- errors ------------------------------------------------------------------------

@pytest.mark.parametrize("body,ctype,status,detail", [
    (b"{not json", "application/json", 400, "not valid JSON"),
    (b"\xff\xfe", "application/json", 400, "not valid UTF-8"),
    (b"[1, 2]", "application/json", 400, "must be a JSON object, not array"),
    (b"{}", "application/json", 400, "missing field 'text'"),
    (b'{"text": null}', "application/json", 400, "'text' must be a string, not null"),
    (b'{"text": ["a"]}', "application/json", 400, "'text' must be a string, not array"),
    (b'{"text": "a", "platform": "myspace"}', "application/json", 400, "'platform' must be one of"),
    (b'{"text": "a", "platform": 3}', "application/json", 400, "'platform' must be one of"),
    (b'{"text": "a", "context": []}', "application/json", 400, "'context' must be an object"),
    (b'{"text": "a", "context": {"election_period": "yes"}}', "application/json", 400, "'context.election_period' must be true or false"),
    (b'{"text": "bad \\ud83d surrogate"}', "application/json", 400, "lone UTF-16 surrogate at offset 4"),
    (b'{"text": "bad \\ude00"}', "application/json", 400, "lone UTF-16 surrogate"),
    (b'{"text": "a"}', "text/plain", 415, "application/json"),
    (b'{"text": "a"}', None, 415, "application/json"),
])
def test_bad_requests_get_precise_problems(client, body, ctype, status, detail):
    r = client.post("/v1/check", data=body, content_type=ctype) if ctype else client.post("/v1/check", data=body)
    assert r.status_code == status
    assert r.mimetype == "application/problem+json"
    problem = r.get_json()
    assert problem["status"] == status and detail in problem["detail"], problem


def test_paired_surrogate_escapes_are_fine(client):
    r = post(client, b'{"text": "party \\ud83c\\udf89 activist lawyers"}')
    assert r.status_code == 200
    (f,) = [f for f in r.get_json()["findings"] if f["match"] == "activist lawyers" and f["category"] == "attack"]
    assert f["start"] == len("party ") + 2 + 1


def test_oversized_text_is_413_with_the_limit(rules_copy):
    app = create_app(Settings(rules=str(rules_copy), max_text_length=100, reload_interval=0))
    r = app.test_client().post("/v1/check", json={"text": "🎉" * 51})  # 102 UTF-16 units
    assert r.status_code == 413
    assert r.get_json()["limit"] == 100 and "102 UTF-16 code units" in r.get_json()["detail"]


def test_unknown_routes_and_methods_are_problems(client):
    assert client.get("/nope").mimetype == "application/problem+json"
    r = client.get("/v1/check")
    assert r.status_code == 405 and r.mimetype == "application/problem+json"


def test_feedback_validation(client):
    assert client.post("/v1/feedback", json={"rule_id": "no.such"}).status_code == 400
    assert client.post("/v1/feedback", json={"rule_id": "attack.group-epithet", "kind": "angry"}).status_code == 400
    def reported():
        return client.get("/v1/stats").get_json()["rules"].get("attack.group-epithet", {}).get("false_positive", 0)

    before = reported()  # false flags are counted from the event store, which this test run shares
    client.post("/v1/feedback", json={"rule_id": "attack.group-epithet"})
    assert reported() == before + 1


# -- security and privacy -------------------------------------------------------------

def test_api_key_is_required_when_configured(rules_copy):
    app = create_app(Settings(rules=str(rules_copy), api_keys=("s3cret",), reload_interval=0))
    c = app.test_client()
    r = c.post("/v1/check", json={"text": "a"})
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer"
    assert c.post("/v1/check", json={"text": "a"}, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert c.post("/v1/check", json={"text": "a"}, headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert c.post("/v1/check", json={"text": "a"}, headers={"X-API-Key": "s3cret"}).status_code == 200
    assert c.get("/healthz").status_code == 200


def test_cors_only_for_configured_origins(rules_copy, client):
    r = client.options("/v1/check", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in r.headers
    ext = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"
    app = create_app(Settings(rules=str(rules_copy), cors_origins=(ext,), reload_interval=0))
    c = app.test_client()
    ok = c.options("/v1/check", headers={"Origin": ext, "Access-Control-Request-Method": "POST"})
    assert ok.headers["Access-Control-Allow-Origin"] == ext
    other = c.options("/v1/check", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_post_text_is_never_logged_by_default(client, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    secret = "Call Jane on 07700 900123 about activist lawyers"
    post(client, {"text": secret})
    post(client, b'{"text": 5, "note": "' + secret.encode() + b'"}')
    assert "07700" not in caplog.text and "Jane" not in caplog.text


def test_settings_from_environment():
    s = Settings.from_env({"IMPARTIAL_MAX_TEXT_LENGTH": "500", "IMPARTIAL_CORS_ORIGINS": "a, b",
                           "IMPARTIAL_ELECTION_PERIOD": "true", "IMPARTIAL_REGEX_TIMEOUT": "0.2"})
    assert s.max_text_length == 500 and s.cors_origins == ("a", "b") and s.election_period and s.regex_timeout == 0.2


def test_refusals_conform_to_openapi(rules_copy):
    import os
    import time

    app = create_app(Settings(rules=str(rules_copy), reload_interval=0.05))
    c = app.test_client()
    rules_copy.write_text('{"version": "x"}')
    os.utime(rules_copy, ns=(0, 10**18))
    deadline = time.monotonic() + 15
    while "refused" not in c.get("/readyz").get_json():
        assert time.monotonic() < deadline, "the broken file was not refused"
        time.sleep(0.05)
    app.extensions["impartial"].store.close()
    ready = c.get("/readyz")
    assert_conforms(ready, "/readyz", "get")
    assert ready.get_json()["refused"]["problems"] >= 1
    rules = c.get("/v1/rules")
    assert_conforms(rules, "/v1/rules", "get")
    assert rules.get_json()["refused"]["source"] == "rules.json"
    r = c.post("/v1/feedback", data=b"{" * 10, content_type="application/json")
    assert_conforms(r, "/v1/feedback", "post")


def test_hardening_settings_from_environment():
    s = Settings.from_env({"IMPARTIAL_RULES_MAX_BYTES": "1000", "IMPARTIAL_RELOAD_TIMEOUT": "2.5",
                           "IMPARTIAL_CORS_ORIGINS": "chrome-extension://abc, https://a.example.gov.uk:8443"})
    assert s.rules_max_bytes == 1000 and s.reload_timeout == 2.5
    assert s.validate().cors_origins == ("chrome-extension://abc", "https://a.example.gov.uk:8443")
