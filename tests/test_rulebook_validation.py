"""A bad rulebook is refused with a message naming the rule and the field."""

import json

import pytest

from server.engine import RulebookError, parse_rulebook

from helpers import RULES, book_json, minimal_rule


def problems(raw) -> list[str]:
    with pytest.raises(RulebookError) as info:
        parse_rulebook(raw)
    return info.value.problems


def test_the_shipped_rulebook_is_valid(rulebook):
    assert rulebook.rules and rulebook.version


def test_invalid_json_names_line_and_column():
    (p,) = problems('{"version": "1",\n "rules": [}')
    assert "invalid JSON at line 2" in p


def test_invalid_regex_names_rule_and_field():
    (p,) = problems(book_json(minimal_rule(id="pii.bad", match={"patterns": ["ok", "(unclosed"]})))
    assert "rule 'pii.bad'" in p and "match.patterns[1]" in p and "invalid regular expression" in p


def test_flags_the_regex_module_cannot_combine_are_a_problem_not_a_crash():
    # (?V1) against the engine's VERSION0 raises ValueError, not regex.error
    (p,) = problems(book_json(minimal_rule(id="tone.v1", match={"patterns": ["(?V1)ab[[:alpha:]]"]})))
    assert "rule 'tone.v1'" in p and "match.patterns[0]" in p and "VERSION0 and VERSION1" in p


def test_nested_quantifier_is_refused_as_catastrophic():
    (p,) = problems(book_json(minimal_rule(id="tone.slow", match={"patterns": ["(\\w+\\s?)+$"]})))
    assert "rule 'tone.slow'" in p and "catastrophic backtracking" in p


def test_pattern_that_times_out_on_probe_input_is_refused():
    # (a|aa)+ passes the static check; the probe run catches it.
    (p,) = problems(book_json(minimal_rule(id="tone.slow", match={"patterns": ["(a|aa)+$"]})))
    assert "catastrophic backtracking" in p and "took over" in p


def test_a_pattern_that_explodes_only_on_its_own_letters_is_refused():
    # (b|bb)+$ passes the static check and every fixed probe (none is made of b's); a run of
    # the literal inside its repeat makes it take minutes, so it is refused at load.
    (p,) = problems(book_json(minimal_rule(id="tone.slow", match={"patterns": ["(b|bb)+$"]})))
    assert "rule 'tone.slow'" in p and "took over" in p and "('bbb'...)" in p
    # the same with a `regex`-only property class beside the literals, and with a longer literal
    (p,) = problems(book_json(minimal_rule(id="tone.slow", match={"patterns": ["(?:\\p{Lu}\\s|zz|z)+$"]})))
    assert "took over" in p and "('zzz'...)" in p
    (p,) = problems(book_json(minimal_rule(id="tone.slow", match={"patterns": ["(ab|abab)+c"]})))
    assert "took over" in p and "('aba'...)" in p


def test_linear_patterns_with_repeated_groups_are_accepted():
    parse_rulebook(book_json(minimal_rule(id="pii.mail", match={"patterns": ["[a-z]+(?:\\.[a-z]+)*@x\\.org"]},
                                          examples={"flag": ["a.b@x.org"], "pass": ["x"]})))


def test_duplicate_ids():
    (p,) = problems(book_json(minimal_rule(), minimal_rule()))
    assert "rule 'test.rule' (rules[1])" in p and "duplicate id" in p and "rules[0]" in p


def test_unknown_category_and_severity_are_schema_errors():
    ps = problems(book_json(minimal_rule(category="gossip", severity="fatal")))
    assert any("field 'category'" in p and "gossip" in p for p in ps)
    assert any("field 'severity'" in p and "fatal" in p for p in ps)


def test_match_needs_exactly_one_kind():
    (p,) = problems(book_json(minimal_rule(match={"phrases": ["a"], "patterns": ["b"]})))
    assert "field 'match'" in p and "exactly one of" in p and "phrases, patterns" in p


def test_unknown_list_reference():
    (p,) = problems(book_json(minimal_rule(match={"phrases": ["{@nowhere}"]})))
    assert "unknown list '{@nowhere}'" in p.replace("'@nowhere'", "'{@nowhere}'") or "nowhere" in p
    assert "rule 'test.rule'" in p


def test_unknown_list_in_pattern():
    (p,) = problems(book_json(minimal_rule(match={"patterns": ["#{@nowhere}"]})))
    assert "match.patterns[0]" in p and "nowhere" in p


def test_missing_examples_is_an_error():
    rule = minimal_rule()
    del rule["examples"]
    (p,) = problems(book_json(rule))
    assert "rule 'test.rule'" in p and "examples" in p


def test_all_problems_are_reported_at_once():
    ps = problems(book_json(
        minimal_rule(id="a.one", match={"patterns": ["("]}),
        minimal_rule(id="a.two", match={"patterns": ["(x+)+"]}),
    ))
    assert len(ps) == 2


def test_schema_file_is_referenced_by_rules_json():
    data = json.loads(RULES.read_text())
    assert data["$schema"] == "./server/rules.schema.json"


ACTOR = {"description": "a party", "pattern": "(?-i:{@parties})|the\\s+opposition"}


def _with_fragments(rule, fragments, lists=None):
    data = json.loads(book_json(rule, lists=lists or {"parties": {"terms": ["Labour", "Reform UK"]}}))
    data["fragments"] = fragments
    return json.dumps(data)


def test_a_fragment_expands_where_a_pattern_names_it_with_its_lists():
    """{%actor} is the fragment's pattern, as a group, with its lists expanded: the same
    findings as the pattern written out, and an alternation inside stays inside."""
    rule = minimal_rule(category="attack", id="attack.t", match={"patterns": ["(?i){%actor}\\s+(?:failed|lied)"]},
                        examples={"flag": ["[[Reform UK lied]] again"], "pass": ["Labour won"]})
    book = parse_rulebook(_with_fragments(rule, {"actor": ACTOR}))
    written = minimal_rule(category="attack", id="attack.t",
                           match={"patterns": ["(?i)(?:(?-i:{@parties})|the\\s+opposition)\\s+(?:failed|lied)"]},
                           examples={"flag": ["[[Reform UK lied]] again"], "pass": ["Labour won"]})
    plain = parse_rulebook(book_json(written, lists={"parties": {"terms": ["Labour", "Reform UK"]}}))
    from server.engine import Checker
    for text in ["Reform UK lied", "the opposition failed us", "Labour failed", "labour failed", "They lied", "Labour won"]:
        got = [(f.start, f.end) for f in Checker(book).check(text).findings]
        assert got == [(f.start, f.end) for f in Checker(plain).check(text).findings], text
    assert Checker(book).check("Labour failed").findings and not Checker(book).check("labour failed").findings


def test_an_unknown_fragment_names_the_rule_and_field():
    (p,) = problems(_with_fragments(minimal_rule(match={"patterns": ["{%nowhere} lied"]}), {"actor": ACTOR}))
    assert "rule 'test.rule'" in p and "match.patterns[0]" in p and "unknown fragment '%nowhere'" in p


def test_a_fragment_cannot_name_another():
    (p,) = problems(_with_fragments(minimal_rule(match={"patterns": ["{%outer} lied"]}),
                                    {"actor": ACTOR, "outer": {"description": "d", "pattern": "{%actor}s"}}))
    assert "fragment 'outer' field 'pattern'" in p and "cannot name another fragment" in p


def test_a_fragment_needs_a_description():
    (p,) = problems(_with_fragments(minimal_rule(), {"bare": {"pattern": "x"}}))
    assert "fragment 'bare'" in p and "'description' is a required property" in p
