"""The `post` kind of match (a match gated by what the whole post says) and the
tone and sub judice rules built on it: traps that must stay clean and breaches
that must be caught, beyond each rule's own examples."""

import pytest

from server.engine import Checker, RulebookError, load_rulebook, parse_rulebook

from helpers import RULES, book_json, minimal_rule

GATE_LISTS = {
    "proc": {"terms": ["charged", "arrested", "remanded"]},
    "done": {"terms": ["convicted", "jailed", "sentenced"]},
}


def checker_for(*rules, lists=None) -> Checker:
    return Checker(parse_rulebook(book_json(*rules, lists=lists)))


def found(result, rule_id="test.rule"):
    return [result.text[f.start:f.end] for f in result.findings if f.rule_id == rule_id]


def gated(inner, **extra):
    spec = {"requires": ["{@proc}"], "excludes": ["{@done}"], "match": inner}
    spec.update(extra)
    return minimal_rule(match={"post": spec}, examples={"flag": ["A man was charged. The thug"], "pass": ["thug"]})


@pytest.mark.parametrize("inner", [
    {"phrases": ["thug"]},
    {"patterns": [r"(?i)\bthug\b"]},
    {"near": {"terms": ["thug"], "context": ["who"], "within": 1}},
])
def test_post_gate_needs_a_required_phrase_anywhere_and_no_excluded_one(inner):
    c = checker_for(gated(inner), lists=GATE_LISTS)
    assert found(c.check("A man has been charged. The thug who did it is in court.")) == ["thug" if "near" not in inner else "thug who"]
    assert found(c.check("The thug who did it is still at large.")) == []  # no proceedings
    assert found(c.check("The thug who did it was charged and has now been jailed.")) == []  # after sentence


def test_post_gate_ignores_an_excluded_phrase_inside_the_hit():
    rule = gated({"patterns": [r"(?i)who was jailed for \w+ in \d{4}"]})
    c = checker_for(rule, lists=GATE_LISTS)
    text = "Smith, who was jailed for burglary in 2019, has been charged again."
    assert found(c.check(text)) == ["who was jailed for burglary in 2019"]


def test_post_gate_applies_rule_exceptions_to_the_wrapped_patterns():
    rule = gated({"patterns": [r"(?i)\bkiller\b"]}, )
    rule["exceptions"] = ["hunt for the killer"]
    c = checker_for(rule, lists=GATE_LISTS)
    assert found(c.check("A man has been arrested in the hunt for the killer.")) == []
    assert found(c.check("A man has been arrested. The killer will pay.")) == ["killer"]


def test_post_gate_runs_only_when_the_automaton_saw_a_required_phrase():
    c = checker_for(gated({"patterns": [r"(?i)\bthug\b"]}), lists=GATE_LISTS)
    assert c.rules[0].matcher.always is False
    no_gate = checker_for(minimal_rule(match={"post": {"match": {"patterns": ["x"]}}},
                                       examples={"flag": ["x"], "pass": ["y"]}))
    assert no_gate.rules[0].matcher.always is True


def test_post_gate_with_two_kinds_inside_is_refused():
    rule = minimal_rule(match={"post": {"requires": ["a"], "match": {"phrases": ["x"], "patterns": ["y"]}}})
    with pytest.raises(RulebookError) as err:
        parse_rulebook(book_json(rule))
    assert "match.post.match" in str(err.value)


def test_post_gate_reports_unknown_lists_in_the_gate():
    rule = gated({"phrases": ["thug"]})
    with pytest.raises(RulebookError) as err:
        parse_rulebook(book_json(rule, lists={"proc": {"terms": ["charged"]}}))
    assert "match.post.excludes" in str(err.value) and "@done" in str(err.value)


# -- the shipped rules ---------------------------------------------------------

_CHECKER = Checker(load_rulebook(RULES))


def cats(text, category):
    """Findings of the rules (the learned layer's model.* findings are tested in test_learned)."""
    return [(f.rule_id, text[f.start:f.end]) for f in _CHECKER.check(text).findings
            if f.category == category and not f.rule_id.startswith("model.")]


@pytest.mark.parametrize("text", [
    "A 45-year-old man has been charged with robbery and will appear at Wolverhampton Magistrates' Court on Monday.",
    "Two men were arrested on suspicion of burglary and remain in custody.",
    "A man who assaulted a shop worker has been jailed for 18 months.",
    "The killer of a Walsall pensioner was convicted at Birmingham Crown Court today.",
    "Man arrested in hunt for killer of a teenager in Leeds.",
    "Fraudsters are cold-calling residents pretending to be police. If you suspect a scam, hang up.",
    "We remain determined to find those responsible and bring them to justice.",
    "A man has been arrested after a woman was attacked in Park Road. Her attacker fled towards the station.",
    "A 19-year-old has been charged with affray. He denies the charge and will stand trial in June.",
])
def test_factual_court_posts_and_appeals_are_not_sub_judice(text):
    assert cats(text, "sub_judice") == []


@pytest.mark.parametrize("text", [
    "A man has been charged with the attack. This violent thug will not be missed.",
    "The woman arrested yesterday is a serial fraudster who preyed on the elderly.",
    "Charged: the landlord who exploited his tenants. He appears at Luton Crown Court on 2 May.",
    "Two men have been remanded in custody. We hope the court throws the book at them.",
    "A teenager was arrested last night. CCTV doesn't lie.",
    "The defendant has shown no remorse. The trial continues next week.",
])
def test_prejudging_an_active_case_is_blocked(text):
    found_ = cats(text, "sub_judice")
    assert found_, text
    assert all(f.severity == "block" for f in _CHECKER.check(text).findings
               if f.category == "sub_judice" and not f.rule_id.startswith("model."))


@pytest.mark.parametrize("text", [
    "The NHS and DWP have joined up their services for carers.",
    "Thank you to everyone who came to the memorial. She will be missed by all who knew her.",
    "Well done to all our runners!",
    "Our 'Warm Spaces' scheme opens on Monday.",
    "For the first time, the festival will run over three days.",
    "So-called 'honour' based abuse is a crime. Call 999 if you are in danger.",
])
def test_ordinary_official_posts_have_no_tone_warning(text):
    assert [f for f in _CHECKER.check(text).findings if f.category == "tone" and f.severity != "info"] == []


@pytest.mark.parametrize("text,rule", [
    ("How many times do we have to tell you? Bins out by 7am.", "tone.exasperation"),
    ("Thanks for nothing to whoever blocked the gritter.", "tone.sarcasm"),
    ("Well done to the bright spark who set fire to the bins.", "tone.mock-praise"),
    ("The 'residents' who complained live in another county.", "tone.scare-quotes"),
    ("Seriously, people. It's a one-way street. 🙄", "tone.mocking-emoji"),
    ("The opposition voted against it again. Typical.", "tone.put-down"),
    ("If you'd bothered to read the letter you would know.", "tone.condescension"),
])
def test_tone_at_the_reader_warns(text, rule):
    findings = [f for f in _CHECKER.check(text).findings if f.rule_id == rule]
    assert findings and all(f.severity == "warn" for f in findings), (text, rule)


# Tone rules whose `post.requires` is part of what they mean, not a speed gate: tone.mocking-laugh
# flags 😂 only in a post that names someone to laugh at (tone_laugh_targets), so unwrapped it
# would flag a council laughing at the weather.
MEANING_GATES = {"tone.mocking-laugh"}


def test_tone_speed_gates_never_change_what_is_found():
    """Some tone rules run their patterns only on posts with a cue word (a
    `post` gate that exists for speed). Unwrapped, the same rules must find
    exactly the same spans on every tone and sub judice example and trap."""
    import json

    data = json.loads(RULES.read_text())
    ungated = json.loads(RULES.read_text())
    for rule in ungated["rules"]:
        gate = rule["match"].get("post")
        # with_breach is what a rule means, not a speed gate (tone.raised-voice); so is a gate
        # that names whom the match is aimed at (MEANING_GATES)
        if (rule["category"] == "tone" and gate and "excludes" not in gate and not gate.get("with_breach")
                and rule["id"] not in MEANING_GATES):
            rule["match"] = gate["match"]
    fast, plain = Checker(parse_rulebook(json.dumps(data))), Checker(parse_rulebook(json.dumps(ungated)))
    texts = [ex.text for r in fast.rules if r.category in ("tone", "sub_judice")
             for ex in r.flag_examples + r.pass_examples]
    texts += ["How many times do we have to tell you? Bins out by 7am.",
              "Read 👏 the 👏 signs.", "What part of 'closed' don't you understand?",
              "If you'd bothered to read the letter you would know.", "Some folk apparently think it's optional."]

    def spans(c, t):
        return sorted((f.rule_id, f.start, f.end) for f in c.check(t).findings if f.category == "tone")

    for t in texts:
        assert spans(fast, t) == spans(plain, t), t


def test_scolding_marks_ahead_is_the_plain_look_ahead_for_the_marks():
    """tone.scolding's fast look-ahead (fragment scolding_marks_ahead) writes the start of a
    mark by hand; it must stay the look-ahead it replaced, whatever scolding_marks becomes."""
    import json
    import random
    from pathlib import Path

    import regex

    fragments = json.loads(Path(RULES).read_text(encoding="utf-8"))["fragments"]
    plain = regex.compile(r"(?=[\s\S]{0,300}?(?:" + fragments["scolding_marks"]["pattern"] + "))")
    fast = regex.compile(fragments["scolding_marks_ahead"]["pattern"])
    rng = random.Random(6)
    texts = ["", "!", "!!", "?!", "!?", "??!", "? !", "a" * 299 + "!!", "a" * 300 + "!!", "a" * 301 + "?!"]
    for _ in range(3000):
        size = rng.choice((8, 40, 320, 620))
        texts.append("".join(rng.choice("ab !?\n") if rng.random() < 0.3 else "a" for _ in range(size)))
    for text in texts:
        assert [m.start() for m in fast.finditer(text)] == [m.start() for m in plain.finditer(text)], text


# The look-around-first forms the fast patterns replaced (the same {@list} references).
_LOOK_FIRST = {
    ("tone.capitals-sentence", 0):
        r"(?<=[a-z][^.!?\n]{0,200}[.!?:]\s{1,3})(?!(?:{@tone_acronyms}|{@tone_celebration_caps})\b)\b"
        r"[A-Z][A-Z’']++(?:\s+[A-Z][A-Z’']++){0,2}[.!]{1,3}+(?=\s*+(?:$|\n|\p{Lu}|\p{Extended_Pictographic}))",
}


def _pattern_as(rule_id: str, index: int, source: str | None):
    """The rule's pattern compiled by the rulebook, or `source` compiled in its place."""
    import copy
    import json
    from pathlib import Path

    from server.engine import parse_rulebook

    data = json.loads(Path(RULES).read_text(encoding="utf-8"))
    rule = copy.deepcopy(next(r for r in data["rules"] if r["id"] == rule_id))
    if source is not None:
        rule["match"]["patterns"][index] = source
    book = dict(data, version="t", rules=[rule])
    return parse_rulebook(json.dumps(book)).rules[0].matcher.patterns[index]


@pytest.mark.parametrize("rule_id,index", sorted(_LOOK_FIRST))
def test_capitals_patterns_that_consume_first_match_as_the_look_around_first_forms(rule_id, index):
    """Starting with the capitals they consume (several times faster in the regex module)
    must find exactly what looking around first found: on every project corpus post and
    on random strings of capitals, acronyms, marks and lower case."""
    import glob
    import json
    import random

    fast, plain = _pattern_as(rule_id, index, None), _pattern_as(rule_id, index, _LOOK_FIRST[rule_id, index])
    assert fast.pattern != plain.pattern
    rows = [json.loads(line) for path in sorted(glob.glob(str(RULES.parent / "corpus" / "*.jsonl")))
            for line in open(path, encoding="utf-8")]
    texts = [row["text"] for row in rows if row.get("split") != "check"]  # a failure prints its text
    rng = random.Random(11)
    pieces = ["STOP", "NOT", "BBC", "NHS", "I'M", "DON’T", "THE", "ok", "the road", "A", ". ", "! ", "? ", ": ",
              "!!", "\n", " ", "It", "x"]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 30))) for _ in range(4000)]
    # the windows' edges: one to four spaces after the mark, an acronym, a word said twice
    for gap in (" ", "  ", "   ", "    ", "\n", " \n"):
        texts += [f"Stop it.{gap}STOP.", f"it is closed.{gap}NO.", f"ok.{gap}BBC.", f"Read the room!{gap}ROOM!",
                  f"No parking:{gap}NO. PARKING.", f"stop{gap}STOP."]
    for text in texts:
        got = [(m.span(), m.groupdict()) for m in fast.finditer(text)]
        assert got == [(m.span(), m.groupdict()) for m in plain.finditer(text)], text


def test_scolding_runs_only_on_posts_with_a_scolding_mark(checker):
    """The marks are written as literals ('!!', '!?', '?!'), so the prefilter skips tone.scolding
    on a long post in capitals whose only marks are single '!' and '?' (most of a millisecond
    when its words were chained at every capital), and still runs it where a mark is."""
    from server.engine.matchers.patterns import PlanIndex

    rule = next(r for r in checker.rules if r.id == "tone.scolding")
    index = PlanIndex.of(getattr(rule.matcher, "inner", rule.matcher))  # inside its excludes gate
    plain = "PLEASE BRING THE WHOLE FAMILY ALONG! THERE WILL BE STALLS. ANY QUESTIONS? ASK US."
    assert index.admitted(checker.analyse(plain).scan.runnable) == []
    for mark in ("!!", "!?", "?!", "??!"):
        text = plain.replace("ALONG!", "ALONG" + mark)
        assert index.admitted(checker.analyse(text).scan.runnable), mark
        assert any(f.rule_id == "tone.scolding" for f in checker.check(text).findings), mark
