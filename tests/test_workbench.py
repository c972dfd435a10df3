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
                                    "barriers": ["not", "rather than"]}},
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
    assert {f["rule_id"] for f in rep["findings"]} == {"party_political.electoral-call", "party_political.slogan"}
    # beside a rule of another category, the generic head's card is listed about the post:
    # shown, so explained, with its head
    # (model 2026.12.05.3's party-political head reads "this Government has delivered" itself, so
    # its own card, not the generic head's, would be listed there)
    rep = explain_json(ROOT / "rules.json", "Four years. New hospitals. New schools. Before you head to the polls"
                                            " on 7 May, here's everything we have delivered.")
    generic = [f for f in rep["findings"] if f["rule_id"] == "model.political"]
    assert len(generic) == 1 and generic[0]["matched"]["head"] == "political"
    assert any(not f["rule_id"].startswith("model.") for f in rep["findings"])
    # where no rule speaks, a head's card is explained: its head, probability and threshold
    # ("Go Labour!" no longer serves: party_political.party-in-breach names the party beside
    # the head's flag, and a rule's card is what the officer sees there)
    rep = explain_json(ROOT / "rules.json", "Proud to stand with working families today. We're not going anywhere!")
    models = [(f["rule_id"], f["matched"]) for f in rep["findings"] if f["rule_id"].startswith("model.")]
    assert models and all(m["kind"] == "model" and m["head"].replace("_", "-") == rid.split(".", 1)[1]
                          for rid, m in models)
    assert all(0 <= m["threshold"] <= m["probability"] <= 1 for _, m in models)


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
    rep = explain_json(book, "Vote rather than Labour", "--rule", "party_political.vote-for")
    assert rep["rule"]["reasons"][0]["barrier"] == "rather than"
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
    assert rep["rule"] == {"rule_id": "test.rule", "kind": "phrases", "fired": True, "findings": 1, "shown": True}
    r = run("explain", "x", "--rules", book, "--rule", "no.such")
    assert r.returncode == 2 and "no rule 'no.such'" in r.stderr


def test_explain_fired_but_hidden_by_a_more_severe_finding_on_the_same_words(tmp_path):
    block = minimal_rule(id="loaded_language.block", severity="block")
    path = write_book(tmp_path, minimal_rule(), block)
    rep = explain_json(path, "activist lawyers", "--rule", "test.rule")
    assert [f["rule_id"] for f in rep["findings"]] == ["loaded_language.block"]
    assert rep["rule"]["fired"] is True and rep["rule"]["shown"] is False
    r = run("explain", "activist lawyers", "--rules", path, "--rule", "test.rule")
    assert "test.rule fired (1 finding; not shown: another rule's finding covers the same words)." in r.stdout


def test_explain_model_under_threshold(tmp_path):
    rule = minimal_rule(id="model.strict", match={"model": {"head": "political", "threshold": 0.999}})
    rep = explain_json(write_book(tmp_path, rule), "The library opens at nine", "--rule", "model.strict")
    (x,) = rep["rule"]["reasons"]
    assert x["reason"] == "under_threshold" and x["threshold"] == 0.999 and x["probability"] < 0.999


def test_explain_a_head_under_its_threshold_over_its_beside_flag_bar(tmp_path):
    """Alone it names nothing, and explain says why; beside another rule's flag it fired,
    and the explanation of its card says it stands beside that flag."""
    head = minimal_rule(id="model.attack", category="attack",
                        match={"model": {"head": "attack", "threshold": 0.999999, "beside_flag": 0.0}})
    vote = minimal_rule(id="party.vote", category="party_political", match={"phrases": ["vote labour"]},
                        examples={"flag": ["[[Vote Labour]]"], "pass": ["Labour Day"]})
    path = write_book(tmp_path, head, vote)
    scorn = "Cllr Jones clearly hasn't bothered to read the report."
    rep = explain_json(path, scorn, "--rule", "model.attack")
    (x,) = rep["rule"]["reasons"]
    assert x["reason"] == "no_other_flag" and x["beside_flag"] == 0.0 and x["probability"] < x["threshold"]
    rep = explain_json(path, "Vote Labour. " + scorn, "--rule", "model.attack")
    assert rep["rule"]["fired"] is True and rep["rule"]["shown"] is True
    (card,) = [f for f in rep["findings"] if f["rule_id"] == "model.attack"]
    assert card["matched"]["beside_flag"] == 0.0 and card["matched"]["probability"] < card["matched"]["threshold"]
    r = run("explain", "Vote Labour. " + scorn, "--rules", path)
    assert "beside another finding's flag" in r.stdout


REASONS = {"disabled", "platform", "election_period", "dates", "no_phrase", "no_term", "no_context", "no_pattern",
           "exception", "too_far", "wrong_side", "boundary", "barrier", "requires_missing", "excludes_present",
           "under_threshold", "no_other_flag", "within_limit", "no_match", "reply_mentions", "url", "pairs", "timeout"}


@pytest.mark.parametrize("text", ["Vote Labour on Thursday, those useless Tories!",
                                  "@someone The library opens at nine. Call 020 7946 0000."])
def test_explain_every_real_rule_fires_or_gives_a_reason(checker, text):
    from server.engine.explain import explain

    for rule in checker.rulebook.rules:
        got = explain(checker, text, "x", False, rule.id)["rule"]
        assert got["fired"] or (got["reasons"] and {x["reason"] for x in got["reasons"]} <= REASONS), rule.id


def test_explain_real_rulebook_why_not(monkeypatch):
    rep = explain_json(ROOT / "rules.json", "Labour is great. Vote for them", "--rule",
                       "party_political.electoral-call")
    assert rep["rule"]["fired"] is False and set(reasons(rep)) <= {"wrong_side", "boundary"}


# -- diff ---------------------------------------------------------------------
A_OLD = minimal_rule(id="loaded_language.lawyer")
A_NEW = minimal_rule(id="loaded_language.lawyer", match={"phrases": ["activist lawyer", "lefty lawyer"]})
B = minimal_rule(id="loaded_language.so-called", match={"phrases": ["so-called"]},
                 examples={"flag": ["[[so-called]]"], "pass": ["called"]})
C = minimal_rule(id="tone.waste", category="tone", match={"phrases": ["waste"]},
                 examples={"flag": ["[[waste]]"], "pass": ["west"]})
SECRET = "so-called quiet meters, a post of the hidden split"
ROWS = [
    {"text": "lefty lawyers again", "label": "flag"},                            # newly caught
    {"text": "a so-called plan", "label": "political"},                          # no longer caught
    {"text": "green waste collection on Monday", "label": "clean"},              # newly false-flagged
    {"text": "so-called smart meters explained", "label": "neutral"},            # cleared
    {"text": "activist lawyers and a so-called plan", "label": "flag"},          # findings changed
    {"text": "activist lawyers", "label": "flag"},                               # unchanged
    {"text": SECRET, "label": "clean", "split": "check"},                        # cleared, text hidden
    {"text": "so-called, but no label"},                                         # not labelled: skipped
]


@pytest.fixture
def diff_files(tmp_path):
    old = write_book(tmp_path, A_OLD, B, name="old.json")
    new = write_book(tmp_path, A_NEW, C, name="new.json")
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    return old, new, corpus


def test_diff_groups_and_counts_exactly(diff_files):
    old, new, corpus = diff_files
    r = run("diff", old, new, corpus, "--json")
    assert r.returncode == 1, r.stderr
    d = json.loads(r.stdout)
    assert d["posts"] == 7 and d["worse"] is True
    assert d["groups"] == {"newly caught": 1, "no longer caught": 1, "newly false-flagged": 1, "cleared": 2,
                           "findings changed": 1}
    assert d["rules"] == {"loaded_language.lawyer": {"+flag": 1},
                          "loaded_language.so-called": {"-flag": 2, "-clean": 2},
                          "tone.waste": {"+clean": 1}}
    assert d["categories"] == {"loaded_language": {"+flag": 1, "-flag": 2, "-clean": 2}, "tone": {"+clean": 1}}
    changed = next(c for c in d["changes"] if c["group"] == "findings changed")
    assert changed["text"] == ROWS[4]["text"] and changed["lost"] == ["loaded_language.so-called"]
    assert changed["source"].endswith("corpus.jsonl:5")
    assert SECRET not in r.stdout and sum("text" not in c for c in d["changes"]) == 1


def test_diff_text_output_hides_the_check_split(diff_files):
    old, new, corpus = diff_files
    r = run("diff", old, new, corpus)
    assert r.returncode == 1
    assert "no longer caught     1" in r.stdout and "cleared              2" in r.stdout
    assert "== cleared (2)" in r.stdout and "1 post of the check split (texts not shown)" in r.stdout
    assert SECRET not in r.stdout and "a so-called plan" in r.stdout
    assert "  loaded_language.so-called                      0     2      0      2" in r.stdout
    assert r.stdout.rstrip().endswith("WORSE: a flag post is no longer caught or a clean post is newly flagged")


def test_diff_exit_0_when_nothing_got_worse(diff_files, tmp_path):
    old, _, corpus = diff_files
    better = write_book(tmp_path, A_NEW, B, name="better.json")
    r = run("diff", old, better, corpus, "--json")
    assert r.returncode == 0
    assert json.loads(r.stdout)["groups"] == {"newly caught": 1, "no longer caught": 0,
                                              "newly false-flagged": 0, "cleared": 0, "findings changed": 0}
    same = run("diff", old, old, corpus)
    assert same.returncode == 0 and same.stdout.startswith("7 labelled posts; 0 changed")


def test_diff_real_rulebook_without_a_rule(tmp_path):
    """Dropping a core rule from the real rulebook shows up as its lost posts."""
    data = json.loads((ROOT / "rules.json").read_text())
    data["rules"] = [r for r in data["rules"] if r["id"] != "party_political.electoral-call"]
    new = tmp_path / "new.json"
    new.write_text(json.dumps(data))
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(json.dumps({"text": "Vote Labour on Thursday", "label": "flag"}) + "\n"
                      + json.dumps({"text": "The library opens at nine", "label": "clean"}) + "\n")
    d = json.loads(run("diff", ROOT / "rules.json", new, corpus, "--json").stdout)
    assert d["posts"] == 2 and d["rules"]["party_political.electoral-call"] == {"-flag": 1}


def test_diff_missing_or_broken_corpus(diff_files, tmp_path):
    old, new, _ = diff_files
    r = run("diff", old, new, tmp_path / "nope.jsonl")
    assert r.returncode == 2 and "no corpus at" in r.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "a", "label": "flag"}) + "\n" + json.dumps(
        {"text": "b", "label": "flag", "platform": "myspace"}) + "\n")
    r = run("diff", old, new, bad)
    assert r.returncode == 2 and "bad.jsonl:2: unknown platform 'myspace'" in r.stderr
    bad.write_text("{not json\n")
    r = run("diff", old, new, bad)
    assert r.returncode == 2 and "cannot read the corpus" in r.stderr


# -- catalogue ----------------------------------------------------------------
def test_committed_catalogue_is_current():
    """A rule edit without regenerating the catalogue fails here, saying what to run."""
    from server.catalogue import render
    from server.engine import load_rulebook

    committed = (ROOT / "docs" / "rules-catalogue.md").read_text(encoding="utf-8")
    assert committed == render(load_rulebook(ROOT / "rules.json")), (
        "docs/rules-catalogue.md is not current: run `make catalogue` and commit it")
    r = run("catalogue", "--check", "--out", ROOT / "docs" / "rules-catalogue.md")
    assert r.returncode == 0, r.stderr


def test_catalogue_check_fails_after_a_rule_edit(tmp_path):
    out = tmp_path / "catalogue.md"
    rules = write_book(tmp_path, minimal_rule())
    assert run("catalogue", "--rules", rules, "--out", out).returncode == 0
    assert run("catalogue", "--rules", rules, "--out", out, "--check").returncode == 0
    rules.write_text(book_json(minimal_rule(message="a new message")))
    r = run("catalogue", "--rules", rules, "--out", out, "--check")
    assert r.returncode == 1 and "run `make catalogue`" in r.stderr and "is not current" in r.stderr
    assert run("catalogue", "--rules", rules, "--out", tmp_path / "missing.md", "--check").returncode == 1


def test_catalogue_shows_every_field_of_a_rule(tmp_path):
    rule = minimal_rule(id="loaded_language.star", severity="block", message="Say it | plainly *now*",
                        guidance={"source": "Code", "clause": "Clause 4", "url": "https://example.org/c"},
                        description="Why it exists.", platforms=["x"], when={"election_period": True},
                        examples={"flag": ["the [[activist lawyers]] said",
                                           {"text": "[[activist lawyer]]", "platform": "facebook"}],
                                  "pass": ["lawyers_only"]})
    other = minimal_rule(id="attack.other", category="attack", enabled=False)
    r = run("catalogue", "--rules", write_book(tmp_path, rule, other), "--out", "-")
    assert r.returncode == 0
    text = r.stdout
    assert "| [`attack.other`](#attackother) | attack | warn | phrases |" in text
    assert text.index("## `attack.other`") < text.index("## `loaded_language.star`")  # category order
    assert "**loaded_language**, block, match `phrases`; on x, in election periods" in text
    assert "**attack**, warn, match `phrases`; disabled" in text
    assert "> Say it \\| plainly \\*now\\*" in text
    assert "Guidance: [Code](https://example.org/c): Clause 4" in text and "\nWhy it exists.\n" in text
    assert "- the **activist lawyers** said (x, election period)\n" in text
    assert "- **activist lawyer** (facebook, election period)\n" in text
    assert "Passes:\n- lawyers\\_only (x, election period)\n" in text


def test_catalogue_real_rulebook_lists_every_rule():
    from server.engine import load_rulebook

    book = load_rulebook(ROOT / "rules.json")
    text = (ROOT / "docs" / "rules-catalogue.md").read_text(encoding="utf-8")
    assert all(f"## `{r.id}`" in text for r in book.rules)
    assert text.count("\n## ") == len(book.rules)


def test_diff_same_rule_on_other_words_is_moved_not_gained_and_lost(tmp_path):
    old = write_book(tmp_path, A_OLD, name="old.json")
    new = write_book(tmp_path, minimal_rule(id="loaded_language.lawyer",
                                            match={"phrases": ["activist lawyer", "lawyers said"]}), name="new.json")
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(json.dumps({"text": "activist lawyers said so", "label": "flag"}) + "\n")
    d = json.loads(run("diff", old, new, corpus, "--json").stdout)
    assert d["groups"]["findings changed"] == 1 and d["rules"] == {} and d["categories"] == {}
    (c,) = d["changes"]
    assert c["gained"] == c["lost"] == [] and c["moved"] == ["loaded_language.lawyer"]
    assert "~ other words: loaded_language.lawyer" in run("diff", old, new, corpus).stdout


class SlowPattern:
    """Stands in for a compiled pattern that runs out of time on every post."""

    pattern = "slow"

    def finditer(self, *args, **kwargs):
        raise TimeoutError


def test_explain_a_pattern_timeout_is_named_not_a_crash(tmp_path):
    from server.engine import Checker, load_rulebook
    from server.engine.explain import explain

    checker = Checker(load_rulebook(write_book(tmp_path, PATTERN)))
    matcher = checker.rules[0].matcher
    matcher.patterns, matcher.plans = [SlowPattern()], [(SlowPattern(), None)]
    rep = explain(checker, "Quote REF-99", rule_id="personal_data.ref")
    assert rep["incomplete"] == ["personal_data.ref"] and reasons(rep) == ["timeout"]
