"""A learned head whose category a rule already names is not shown (CheckResult.shown()), so the
checker does not choose its words (Matcher.find_unshown): the response must be exactly what it is
when every head's words are chosen (Checker(every_word=True), as make eval runs)."""

import glob
import json
import random

import pytest

from server.engine import Checker
from server.engine.checker import _dedupe
from server.engine.findings import Finding

from helpers import ROOT


@pytest.fixture(scope="module")
def pair(checker):
    return checker, Checker(checker.rulebook, every_word=True)


def _posts(n=1500):
    texts = [json.loads(line)["text"] for path in sorted(glob.glob(str(ROOT / "corpus" / "*.jsonl")))
             for line in open(path, encoding="utf-8")]
    return random.Random(5).sample(texts, n)


def test_the_response_is_the_same_as_with_every_heads_words(pair):
    fast, every = pair
    unshown = 0
    for text in _posts():
        a, b = fast.check(text), every.check(text)
        assert a.to_json() == b.to_json(), text
        assert (a.verdict, a.flagged()) == (b.verdict, b.flagged()), text
        unshown += sum(f.unshown for f in a.findings)
        assert not any(f.unshown for f in b.findings)
    assert unshown > 50  # the shortcut was taken: the comparison is not vacuous


def test_an_unshown_head_still_counts_for_the_verdict_and_the_model(pair):
    fast, _ = pair
    text = "Vote Labour on Thursday. Only Labour will keep your libraries open!"
    heads = [f for f in fast.check(text).findings if f.unshown]
    assert heads and all(f.supplementary and not f.generic and f.scope == "post" for f in heads)
    assert all((f.start, f.end) == (0, len(text)) for f in heads)
    assert not any(f.rule_id in {h.rule_id for h in heads} for f in fast.check(text).shown())


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


def test_an_unshown_cards_whole_post_span_hides_no_hint():
    hint = _finding("accessibility.reading-age", 0, 40, category="accessibility", scope="post")
    unshown = _finding("model.attack", 0, 40, category="attack", supplementary=True, unshown=True, scope="post")
    assert {f.rule_id for f in _dedupe([hint, unshown])} == {"accessibility.reading-age", "model.attack"}
    shown = _finding("model.attack", 0, 40, category="attack", supplementary=True, scope="post")
    assert [f.rule_id for f in _dedupe([hint, shown])] == ["model.attack"]  # a chosen span still does
