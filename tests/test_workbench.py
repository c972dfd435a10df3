"""The maintainers' workbench: `impartial explain`, `diff` and `catalogue`, end to end
through cli.main() on small hand-written rulebooks and on the real rules.json."""

import json

import pytest

from helpers import ROOT, book_json, minimal_rule
from test_cli import run  # cli.main() in this process: what it printed and its exit code


def write_book(tmp_path, *rules, name="rules.json", lists=None):
    path = tmp_path / name
    path.write_text(book_json(*rules, lists=lists))
    return path


def explain_json(path, text, *extra):
    r = run("explain", text, "--rules", path, "--json", *extra)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def reasons(report) -> list[str]:
    return [x["reason"] for x in report["rule"]["reasons"]]


# -- explain: what matched --------------------------------------------------
NEAR = minimal_rule(id="party_political.vote-for", category="party_political", severity="block",
                    match={"near": {"terms": ["labour"], "context": ["vote"], "side": "before", "within": 2,
                                    "barriers": ["not"]}},
                    examples={"flag": ["[[vote Labour]]"], "pass": ["Labour vote"]})
PATTERN = minimal_rule(id="personal_data.ref", category="personal_data",
                       match={"patterns": [r"\bXX\d{4}\b", r"\bREF-\d+\b"]},
                       examples={"flag": ["[[REF-12]]"], "pass": ["REF"]})
GATE = minimal_rule(id="sub_judice.thug", category="sub_judice",
                    match={"post": {"match": {"phrases": ["thug"]}, "requires": ["arrested"],
                                    "excludes": ["convicted"]}},
                    examples={"flag": ["The [[thug]] was arrested"], "pass": ["The thug"]})
EXC = minimal_rule(exceptions=["activist lawyer network"])


@pytest.fixture
def book(tmp_path):
    return write_book(tmp_path, EXC, NEAR, PATTERN, GATE)


def test_explain_names_the_phrase_the_pair_the_pattern_and_the_gate(book):
    rep = explain_json(book, "Vote Labour. Activist Lawyers! Quote REF-99. The thug was arrested.")
    got = {f["rule_id"]: f for f in rep["findings"]}
    assert set(got) == {"test.rule", "party_political.vote-for", "personal_data.ref", "sub_judice.thug"}
    assert rep["verdict"] == "block"
    assert got["test.rule"]["matched"] == {"kind": "phrases", "phrases": ["activist lawyers"]}
    assert got["test.rule"]["words"] == "Activist Lawyers" and got["test.rule"]["category"] == "loaded_language"
    near = got["party_political.vote-for"]
    assert near["severity"] == "block" and near["matched"]["pairs"] == [
        {"term": "labour", "context": "vote", "between": ""}]
    assert got["personal_data.ref"]["matched"]["patterns"] == [1]
    gate = got["sub_judice.thug"]["matched"]
    assert gate["match"] == {"kind": "phrases", "phrases": ["thug"]} and gate["requires"] == ["arrested"]


def test_explain_lists_the_words_between_and_the_exceptions_found(tmp_path):
    rule = dict(NEAR, match={"near": {"terms": ["labour"], "context": ["vote"], "within": 3}},
                exceptions=["labour market"])
    rep = explain_json(write_book(tmp_path, rule), "Vote for the Labour party, not the labour market")
    (f,) = rep["findings"]
    assert f["matched"]["pairs"] == [{"term": "labour", "context": "vote", "between": "for the"}]
    assert f["exceptions"] == ["labour market"]


def test_explain_text_output_and_stdin(book, monkeypatch):
    r = run("explain", "-", "--rules", book, stdin="Quote XX1234 now", monkeypatch=monkeypatch)
    assert r.returncode == 0
    assert "personal_data.ref  [personal_data, warn]  \"XX1234\"" in r.stdout
    assert "pattern #0" in r.stdout and r.stdout.startswith("verdict: warn (1 finding)")


def test_explain_model_finding_gives_head_probability_and_threshold():
    rep = explain_json(ROOT / "rules.json", "Vote Labour on Thursday to keep the Tories out")
    models = [f for f in rep["findings"] if f["matched"]["kind"] == "model"]
    ruled = {f["rule_id"] for f in rep["findings"]}
    assert "party_political.electoral-call" in ruled
    for f in models:
        m = f["matched"]
        assert m["probability"] >= m["threshold"] and m["head"]


# -- explain --rule: why not ------------------------------------------------
@pytest.mark.parametrize("text, rule, want", [
    ("Nothing here", "test.rule", ["no_phrase"]),
    ("The activist lawyer network met", "test.rule", ["exception"]),
    ("Vote for the new Labour party", "party_political.vote-for", ["too_far"]),
    ("Labour: vote", "party_political.vote-for", ["wrong_side"]),
    ("Vote. Labour", "party_political.vote-for", ["boundary"]),
    ("Vote not Labour", "party_political.vote-for", ["barrier"]),
    ("Labour", "party_political.vote-for", ["no_context"]),
    ("Vote today", "party_political.vote-for", ["no_term"]),
    ("Quote XX12", "personal_data.ref", ["no_pattern"]),
    ("The thug ran", "sub_judice.thug", ["requires_missing"]),
    ("The thug was arrested and later convicted", "sub_judice.thug", ["excludes_present"]),
    ("It was arrested", "sub_judice.thug", ["no_phrase"]),
])
def test_explain_says_why_a_rule_did_not_fire(book, text, rule, want):
    rep = explain_json(book, text, "--rule", rule)
    assert rep["rule"]["fired"] is False
    assert reasons(rep) == want


def test_explain_barrier_and_distance_details(book):
    rep = explain_json(book, "Vote not Labour", "--rule", "party_political.vote-for")
    assert rep["rule"]["reasons"][0]["barrier"] == "not"
    rep = explain_json(book, "Vote for the new Labour party", "--rule", "party_political.vote-for")
    (x,) = rep["rule"]["reasons"]
    assert x["words"] == 3 and x["term"] == "labour" and x["context"] == "vote" and x["between"] == "for the new"


@pytest.mark.parametrize("extra, args, want", [
    ({"enabled": False}, [], "disabled"),
    ({"platforms": ["x"]}, ["--platform", "facebook"], "platform"),
    ({"when": {"election_period": True}}, [], "election_period"),
    ({"active": {"from": "2999-01-01"}}, [], "dates"),
    ({"active": {"until": "2000-01-01"}}, [], "dates"),
])
def test_explain_says_when_a_rule_is_not_active(tmp_path, extra, args, want):
    path = write_book(tmp_path, minimal_rule(**extra))
    rep = explain_json(path, "activist lawyers", "--rule", "test.rule", *args)
    assert rep["findings"] == [] and reasons(rep) == [want]
    r = run("explain", "activist lawyers", "--rules", path, "--rule", "test.rule", *args)
    assert "test.rule did not fire:" in r.stdout and f"- {want}: " in r.stdout


def test_explain_fired_rule_and_unknown_rule(book):
    rep = explain_json(book, "activist lawyers", "--rule", "test.rule")
    assert rep["rule"] == {"rule_id": "test.rule", "kind": "phrases", "fired": True, "findings": 1}
    r = run("explain", "x", "--rules", book, "--rule", "no.such")
    assert r.returncode == 2 and "no rule 'no.such'" in r.stderr


def test_explain_model_under_threshold(tmp_path):
    rule = minimal_rule(id="model.strict", match={"model": {"head": "political", "threshold": 0.999}})
    rep = explain_json(write_book(tmp_path, rule), "The library opens at nine", "--rule", "model.strict")
    (x,) = rep["rule"]["reasons"]
    assert x["reason"] == "under_threshold" and x["threshold"] == 0.999 and x["probability"] < 0.999


def test_explain_real_rulebook_why_not(monkeypatch):
    rep = explain_json(ROOT / "rules.json", "Labour is great. Vote for them", "--rule",
                       "party_political.electoral-call")
    assert rep["rule"]["fired"] is False and set(reasons(rep)) <= {"wrong_side", "boundary"}
