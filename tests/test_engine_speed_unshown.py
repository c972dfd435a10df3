"""A learned head whose category a rule already names is not shown (CheckResult.shown()), so the
checker does not choose its words (Matcher.find_unshown): the response must be exactly what it is
when every head's words are chosen (Checker(every_word=True), as make eval runs)."""

import glob
import json
import random

import pytest

from server.engine import Checker
from server.engine.checker import _dedupe, _rule_speaks
from server.engine.findings import Finding

from helpers import ROOT


@pytest.fixture(scope="module")
def pair(checker):
    return checker, Checker(checker.rulebook, every_word=True)


def _posts(n=1500):
    rows = [json.loads(line) for path in sorted(glob.glob(str(ROOT / "corpus" / "*.jsonl")))
            for line in open(path, encoding="utf-8")]
    texts = [row["text"] for row in rows if row.get("split") != "check"]  # a failure prints its text
    return random.Random(5).sample(texts, n)


def test_the_response_is_the_same_as_with_every_heads_words(pair):
    fast, every = pair
    unshown = generic = 0
    for text in _posts():
        a, b = fast.check(text), every.check(text)
        assert a.to_json() == b.to_json(), text
        assert (a.verdict, a.flagged()) == (b.verdict, b.flagged()), text
        unshown += sum(f.unshown for f in a.findings)
        assert not any(f.unshown for f in b.findings)
        # the generic head skips its words only for a category a rule's finding names
        named = {f.category for f in a.findings if _rule_speaks(f)}
        skipped = [f for f in a.findings if f.generic and f.unshown]
        assert all(f.category in named for f in skipped), text
        generic += len(skipped)
    assert unshown > 50  # the shortcut was taken: the comparison is not vacuous
    assert generic > 20  # and the generic head took it too


def test_an_unshown_head_is_a_finding_about_the_post_that_is_not_shown(pair):
    fast, every = pair
    text = "Vote Labour on Thursday. Only Labour will keep your libraries open!"
    result = fast.check(text)
    heads = [f for f in result.findings if f.unshown]
    assert heads and all(f.supplementary and f.scope == "post" for f in heads)
    assert all((f.start, f.end) == (0, len(text)) for f in heads)
    assert not any(f.rule_id in {h.rule_id for h in heads} for f in result.shown())
    # the model's own figures still see it: with every word chosen, a model finding names the
    # same category (_dedupe keeps one finding per words and category, so that finding may be
    # another head's, as model.political's is here with the model of 2026-12-04)
    model_cats = {f.category for f in every.check(text).findings if f.rule_id.startswith("model.")}
    assert {f.category for f in heads} <= model_cats


def _book(*rules, **kw):
    from server.engine import parse_rulebook

    from helpers import book_json
    return Checker(parse_rulebook(book_json(*rules)), **kw)


def _small_rules(head_severity="warn", **head):
    from helpers import minimal_rule

    scorn = minimal_rule(id="attack.scorn", category="attack", match={"phrases": ["clearly hasn't bothered"]},
                         examples={"flag": ["[[clearly hasn't bothered]]"], "pass": ["x"]})
    model = minimal_rule(id="model.test", category="attack", severity=head_severity,
                         match={"model": dict({"head": "attack", "threshold": 0.0}, **head)},
                         examples={"flag": ["not run here"], "pass": ["x"]})
    return scorn, model


ATTACK = "Cllr Jones clearly hasn't bothered to read the report. Embarrassing."


@pytest.mark.parametrize("kw", [{"max_findings": 1}, {}])
def test_where_the_cap_cuts_in_the_response_is_still_every_words(kw):
    rules = _small_rules()
    fast, every = _book(*rules, **kw), _book(*rules, every_word=True, **kw)
    for text in (ATTACK, ATTACK + " " + ATTACK):
        assert fast.check(text).to_json() == every.check(text).to_json()


def test_a_head_more_severe_than_the_rule_naming_its_category_is_shown_as_with_every_word():
    rules = _small_rules(head_severity="block")
    fast, every = _book(*rules), _book(*rules, every_word=True)
    a, b = fast.check(ATTACK), every.check(ATTACK)
    assert a.to_json() == b.to_json() and a.verdict == b.verdict == "block"


def test_a_reply_keeps_an_unshown_head_for_the_verdict():
    scorn, model = _small_rules(head_severity="block")
    model = dict(model, ignore_reply_mentions=True)
    fast, every = _book(scorn, model), _book(scorn, model, every_word=True)
    text = "@resident " + ATTACK
    assert fast.check(text).verdict == every.check(text).verdict == "block"


def _finding(rule_id, start, end, category="tone", severity="warn", supplementary=False, unshown=False, scope="span"):
    return Finding(rule_id, category, severity, start, end, "m", {}, scope=scope,
                   supplementary=supplementary, unshown=unshown)


def test_dedupe_keeps_the_rules_finding_over_the_models_on_the_same_words():
    model = _finding("model.tone", 7, 31, supplementary=True)
    rule = _finding("tone.raised-voice", 7, 31)
    assert [f.rule_id for f in _dedupe([model, rule])] == ["tone.raised-voice"]
    assert [f.rule_id for f in _dedupe([rule, model])] == ["tone.raised-voice"]
    louder = _finding("model.tone", 7, 31, severity="block", supplementary=True)
    assert [f.rule_id for f in _dedupe([rule, louder])] == ["model.tone"]  # more severe still wins


def test_only_a_rules_finding_hides_a_hint_on_its_words():
    """A model card may be listed rather than underlined (unshown, conditional, tentative, or
    beside a rule): the hint on its words stays; a rule's finding there still replaces it."""
    hint = _finding("accessibility.reading-age", 0, 40, category="accessibility", scope="post")
    for flags in ({"unshown": True}, {}):
        model = _finding("model.attack", 0, 40, category="attack", supplementary=True, scope="post", **flags)
        assert {f.rule_id for f in _dedupe([hint, model])} == {"accessibility.reading-age", "model.attack"}
    rule = _finding("attack.scorn", 0, 40, category="attack")
    assert [f.rule_id for f in _dedupe([hint, rule])] == ["attack.scorn"]
