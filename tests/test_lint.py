"""`impartial lint`'s checks (server/lint.py), each on a small rulebook made to have
that one problem, and the command's exit codes: errors fail, advice only with --strict."""

import datetime as dt
import json

import pytest

from helpers import minimal_rule
from server.engine import Checker, parse_rulebook
from server.lint import CHECKS, lint
from test_cli import run


def book(*rules, lists=None):
    data = {"version": "t1", "rules": list(rules)}
    if lists:
        data["lists"] = lists
    return data


def problems(data, kind=None, **kw):
    checker = Checker(parse_rulebook(json.dumps(data)))
    found = lint(data, checker, **kw)
    assert all(p.hint and p.where and p.message for p in found)
    return [p for p in found if kind is None or p.kind == kind]


def rule(rid="loaded_language.x", phrases=("zorblax",), **extra):
    word = next(p for p in phrases if not p.startswith("{@")) if any(not p.startswith("{@") for p in phrases) \
        else "flurb"
    spec = minimal_rule(id=rid, category=rid.split(".")[0], match={"phrases": list(phrases)},
                        examples={"flag": [word], "pass": ["nothing"]}, description="why")
    spec.update(extra)
    return spec


def test_every_check_is_registered_with_a_level():
    assert set(CHECKS) == {"duplicate-term", "id-category", "unused-list", "unused-fragment", "exception-cancels",
                           "same-span", "no-description", "late-inline-flag", "review-dates", "review-due"}
    assert {c.level for c in CHECKS.values()} == {"error", "advice"}


# -- duplicate-term -------------------------------------------------------------------
def test_a_term_twice_in_one_list_accents_and_case_ignored():
    data = book(rule(phrases=["{@parties}"]), lists={"parties": {"terms": ["Sinn Féin", "Labour", "sinn fein"]}})
    (p,) = problems(data, "duplicate-term")
    assert p.level == "advice" and p.where == "list 'parties' field 'terms[2]'"
    assert "list 'parties' field 'terms[0]'" in p.message


def test_spellings_a_pattern_reads_are_not_duplicates():
    """A pattern's {@list} is escaped, not folded: 'Sinn Fein' and 'Sinn Féin' are two
    spellings there, and dropping one loses every post written the other way."""
    pattern = minimal_rule(id="party_political.x", category="party_political", description="why",
                           match={"patterns": ["\\b(?:{@parties})\\b"]},
                           examples={"flag": ["[[Sinn Fein]]", "[[Sinn Féin]]"], "pass": ["nothing"]})
    lists = {"parties": {"terms": ["Sinn Féin", "Labour", "Sinn Fein", "Labour"]}}
    (p,) = problems(book(pattern, lists=lists), "duplicate-term")
    assert p.where == "list 'parties' field 'terms[3]'" and "'terms[1]'" in p.message


def test_a_term_in_two_lists_one_field_reads_together():
    lists = {"uk": {"terms": ["Reform", "Labour"]}, "other": {"terms": ["Labour"]}}
    (p,) = problems(book(rule(phrases=["{@uk}", "{@other}"]), lists=lists), "duplicate-term")
    assert p.where == "list 'other' field 'terms[0]'" and "list 'uk' field 'terms[1]'" in p.message
    assert "match.phrases" in p.message


def test_lists_read_by_different_rules_may_share_a_term():
    lists = {"insults": {"terms": ["reckless"]}, "judgements": {"terms": ["reckless"]}}
    data = book(rule("attack.a", ["{@insults}"]), rule("tone.b", ["{@judgements}"]), lists=lists)
    assert problems(data, "duplicate-term") == []


def test_a_phrase_in_two_rules():
    data = book(rule("attack.a", ["playing politics", "zorblax"]), rule("tone.b", ["Playing politics"]))
    (p,) = problems(data, "duplicate-term")
    assert p.where == "rule 'tone.b' (rules[1]) field 'match.phrases[0]'"
    assert "rule 'attack.a' (rules[0]) field 'match.phrases[0]'" in p.message


# -- id-category ------------------------------------------------------------------------
@pytest.mark.parametrize("rid, words", [("attack.x", "says 'attack' but 'category' is 'tone'"),
                                        ("misc.x", "'misc', which is not a category")])
def test_an_id_that_disagrees_with_its_category_is_an_error(rid, words):
    (p,) = problems(book(rule(rid, category="tone")), "id-category")
    assert p.level == "error" and p.where == f"rule {rid!r} (rules[0]) field 'id'" and words in p.message
    assert "tone." in p.hint


# -- unused-list ------------------------------------------------------------------------
def test_a_list_no_rule_reaches_is_unused():
    lists = {"used": {"terms": ["{@inner}"]}, "inner": {"terms": ["zorblax"]}, "orphan": {"terms": ["x"]},
             "in_pattern": {"terms": ["y"]}}
    data = book(rule(phrases=["{@used}"]),
                minimal_rule(id="tone.p", category="tone", match={"patterns": [r"\b{@in_pattern}\b"]},
                             examples={"flag": ["y"], "pass": ["z"]}))
    data["lists"] = lists
    (p,) = problems(data, "unused-list")
    assert p.where == "list 'orphan'" and p.level == "advice" and "{@orphan}" in p.hint


def test_a_list_reached_through_a_fragment_is_used_and_an_unnamed_fragment_is_unused():
    data = book(minimal_rule(id="tone.p", category="tone", match={"patterns": [r"\b{%actor}\s+again\b"]},
                             examples={"flag": ["[[y again]]"], "pass": ["z"]}))
    data["lists"] = {"actors": {"terms": ["y"]}}
    data["fragments"] = {"actor": {"description": "an actor", "pattern": "{@actors}"},
                         "spare": {"description": "nobody names it", "pattern": "x"}}
    assert problems(data, "unused-list") == []
    (p,) = problems(data, "unused-fragment")
    assert p.where == "fragment 'spare'" and p.level == "advice" and "{%spare}" in p.hint


# -- exception-cancels -----------------------------------------------------------------
def test_a_phrase_inside_its_exception_can_never_flag():
    data = book(rule(phrases=["zorblax", "green flag award"], exceptions=["flag award"]))
    (p,) = problems(data, "exception-cancels")
    assert p.level == "error" and p.where == "rule 'loaded_language.x' (rules[0]) field 'match.phrases[1]'"
    assert "'green flag award' can never flag" in p.message and "'flag award'" in p.message


def test_an_exception_that_only_overlaps_is_fine():
    data = book(rule(phrases=["labour"], exceptions=["labour market", "flagrant labour"]))
    assert problems(data, "exception-cancels") == []


def test_a_list_term_cancelled_in_some_rules_only_is_advice():
    lists = {"slogans": {"terms": ["coalition of chaos", "zorblax"]}}
    data = book(rule("attack.a", ["{@slogans}"], exceptions=["coalition of"]), rule("tone.b", ["{@slogans}"]),
                lists=lists)
    (p,) = problems(data, "exception-cancels")
    assert p.level == "advice" and p.where == "list 'slogans' field 'terms[0]'"
    assert "cancelled in 1 of the 2 rules" in p.message


def test_a_list_term_cancelled_everywhere_is_an_error_unless_a_pattern_reads_the_list():
    lists = {"slogans": {"terms": ["coalition of chaos", "zorblax"]}}
    data = book(rule("attack.a", ["{@slogans}"], exceptions=["coalition of"]), lists=lists)
    assert [p.level for p in problems(data, "exception-cancels")] == ["error"]
    data["rules"].append(minimal_rule(id="tone.p", category="tone", match={"patterns": ["#{@slogans}"]},
                                      examples={"flag": ["#zorblax"], "pass": ["zorblax"]}))
    (p,) = problems(data, "exception-cancels")
    assert p.level == "advice" and "patterns or gates still read it" in p.message


# -- same-span ---------------------------------------------------------------------------
def test_two_rules_underlining_the_same_words():
    data = book(rule("attack.a", ["zorblax"]), rule("tone.b", ["zorblax", "quux"]), rule("tone.c", ["quux"]))
    found = problems(data, "same-span")
    assert [p.where for p in found] == ["rules 'attack.a' and 'tone.b'", "rules 'tone.b' and 'tone.c'"]
    assert "'zorblax'" in found[0].message and found[0].level == "advice"
    # attack and tone on the same words are two cards; two tone rules are one
    assert "two cards on the same words" in found[0].message and "only one card" in found[1].message


def test_same_span_also_reads_a_corpus():
    near = minimal_rule(id="tone.b", category="tone", description="why",
                        match={"near": {"terms": ["zorblax"], "context": ["day"], "side": "after", "span": "term"}},
                        examples={"flag": ["[[zorblax]] day"], "pass": ["zorblax"]})
    data = book(rule("attack.a", ["zorblax"], exceptions=["zorblax day"]), near)
    assert problems(data, "same-span") == []  # in the examples never both on the same words
    (p,) = problems(data, "same-span", corpus=[("zorblax on a day", "generic", False)])
    assert p.where == "rules 'attack.a' and 'tone.b'" and "examples and corpus: 'zorblax'" in p.message


# -- no-description -------------------------------------------------------------------
def test_a_rule_without_a_description():
    bare = rule()
    del bare["description"]
    (p,) = problems(book(bare), "no-description")
    assert p.where == "rule 'loaded_language.x' (rules[0]) field 'description'" and p.level == "advice"


# -- late-inline-flag -----------------------------------------------------------------
def test_a_flag_after_the_start_of_a_pattern_is_advice():
    late = rule("tone.late", match={"patterns": [r"(?P<s>(?i)\bzorblax\b)"]})
    scoped = rule("tone.scoped", match={"patterns": [r"(?i)\bflurb\b", r"\b(?i:quux)\b", r"\(\?i\)"]})
    scoped["examples"] = {"flag": ["flurb"], "pass": ["nothing"]}
    (p,) = problems(book(late, scoped), "late-inline-flag")
    assert p.where == "rule 'tone.late' (rules[0]) field 'match.patterns[0]'" and p.level == "advice"
    assert "(?i) at character 6" in p.message and "not prefiltered" in p.message and "(?i:...)" in p.hint


@pytest.mark.parametrize("source, late", [
    (r"(?i)(?s)ab", None),  # flags stacked at the start
    (r"(?x) (?i)zorblax", None),  # verbose mode: Python reads the space as nothing
    (r"a[(?i)]b", None), (r"a[\](?i)]b", None), (r"a[](?i)]b", None),  # inside a class
    (r"a\(?i\)b", None),  # escaped parentheses
    (r"a\\(?i)b", (3, "(?i)")),  # an escaped backslash, then a real flag group
    (r"\p{Lu}\w(?i)b", (8, "(?i)")),  # a property class before it: the position is ours, not the parser's
    (r"a(?x)b(?s)", (1, "(?x)")),
])
def test_late_flag_is_what_pythons_parser_refuses(source, late):
    from server.lint import late_flag
    assert late_flag(source) == late


def test_a_flag_from_a_fragment_is_found_where_the_fragment_is_named():
    data = book(rule("tone.frag", match={"patterns": [r"\bzorblax{%f}"]}),
                rule("tone.near", match={"near": {"terms": ["flurb"], "term_patterns": [r"\bqu(?i)ux"],
                                                  "context": ["wibble"], "within": 3}}))
    data["rules"][1]["examples"] = {"flag": ["flurb wibble"], "pass": ["nothing"]}
    data["fragments"] = {"f": {"pattern": r"(?i)\b", "description": "d"}, "unused": {"pattern": r"a(?i)b", "description": "d"}}
    found = {p.where: p.message for p in problems(data, "late-inline-flag")}
    assert set(found) == {"rule 'tone.frag' (rules[0]) field 'match.patterns[0]'",
                          "rule 'tone.near' (rules[1]) field 'match.near.term_patterns[0]'"}
    assert "(?i) at character 9 (fragments filled in)" in found["rule 'tone.frag' (rules[0]) field 'match.patterns[0]'"]


# -- review dates -------------------------------------------------------------------------
def dated(**dates):
    return book(rule(phrases=["{@politicians}"]), lists={"politicians": {"terms": ["Jane Smith"], **dates}})


def test_a_list_past_its_review_date_is_advice():
    data = dated(reviewed="2026-11-30", review_after="2027-02-28")
    assert problems(data, "review-due", today=dt.date(2027, 2, 28)) == []
    (p,) = problems(data, "review-due", today=dt.date(2027, 3, 1))
    assert p.level == "advice" and p.where == "list 'politicians' field 'review_after'"
    assert "due since 2027-02-28 (last reviewed 2026-11-30)" in p.message


@pytest.mark.parametrize("dates, where, words", [
    ({"reviewed": "2026-02-30"}, "field 'reviewed'", "'2026-02-30' is not a date"),
    ({"reviewed": "2026-11-30", "review_after": "2026-01-01"}, "field 'review_after'", "before 'reviewed'"),
])
def test_review_dates_that_are_not_dates_or_out_of_order_are_errors(dates, where, words):
    (p,) = problems(dated(**dates), "review-dates")
    assert p.level == "error" and where in p.where and words in p.message


def test_the_schema_refuses_a_review_date_that_is_not_yyyy_mm_dd():
    from server.engine import RulebookError

    with pytest.raises(RulebookError, match="list 'politicians' field 'review_after'"):
        parse_rulebook(json.dumps(dated(review_after="next spring")))


# -- the command ---------------------------------------------------------------------------
def write(tmp_path, data):
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(data))
    return path


def test_advice_passes_and_strict_fails(tmp_path):
    bare = rule()
    del bare["description"]
    path = write(tmp_path, book(bare))
    r = run("lint", path)
    assert r.returncode == 0, r.stdout
    assert "advice no-description  rule 'loaded_language.x' (rules[0]) field 'description': missing" in r.stdout
    assert r.stdout.strip().splitlines()[-1] == "lint: 0 error; 1 advice: 1 no-description"
    assert run("lint", path, "--strict").returncode == 1


def test_an_error_fails_and_names_the_kind_counts(tmp_path):
    path = write(tmp_path, book(rule("attack.x", category="tone"), rule("tone.y", ["zorblax"])))
    r = run("lint", path, "--today", "2026-11-30")
    assert r.returncode == 1
    assert r.stdout.strip().splitlines()[-1] == "lint: 1 error: 1 id-category; 2 advice: 1 duplicate-term, 1 same-span"
    only = run("lint", path, "--kind", "id-category").stdout
    assert "id-category" in only and "advice duplicate-term" not in only


def test_json_output_and_a_bad_today(tmp_path):
    path = write(tmp_path, book(rule("attack.x", category="tone")))
    r = run("lint", path, "--json")
    assert r.returncode == 1
    out = json.loads(r.stdout)
    assert out["counts"] == {"error id-category": 1} and out["failures"] == [] and out["examples"] == 2
    assert out["problems"][0]["where"] == "rule 'attack.x' (rules[0]) field 'id'"
    r = run("lint", path, "--today", "tomorrow")
    assert r.returncode == 2 and "--today must be a date such as 2026-11-30, not 'tomorrow'" in r.stderr


def test_a_lexicon_word_is_named_as_such():
    lists = {"judgements": {"lexicon": {"name": "vader", "max_valence": -1.5}, "terms": ["zorblax"]}}
    data = book(rule(phrases=["{@judgements}"], exceptions=["disgrace"]), lists=lists)
    (p,) = problems(data, "exception-cancels")
    assert p.where == "list 'judgements' field 'lexicon' (the word 'disgrace')" and p.level == "error"
