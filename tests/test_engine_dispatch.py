"""The checker's per-post dispatch: which rules run (_candidates, the model heads' screen), which
patterns of a rule run (PlanIndex), and the day the rules' dates are read against. Each is a
shortcut over a plain reference, and must answer as the reference does."""

import datetime as dt
import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import ROOT
from server.engine import checker as checker_module
from server.engine.matchers import RuleHits
from server.engine.matchers.model import HeadScreen
from server.engine.matchers.patterns import PlanIndex


def texts(checker):
    out = [ex.text for r in checker.rules for ex in r.flag_examples + r.pass_examples]
    path = ROOT.parent / "shared/bench/posts.jsonl"
    if path.exists():
        out += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines()]
    return out


def reference_candidates(c, hits, post):
    """_candidates as first written: a test of every rule, no screens."""
    active, open_always, gated_always = c._active(post.platform, post.election_period)
    hit = {c._slot_rule[s] for s in hits} & active
    hit = {ri for ri in hit if ri not in c._needs or all(s in hits for s in c._needs[ri])}
    found = open_always | hit
    if gated_always or not hit.isdisjoint(c._gated):
        opened = {c._opened_by[i] for i in post.scan.admitted if i in c._opened_by}
        found -= c._gated
        found |= opened & (gated_always | hit)
    return sorted(found)


def test_candidates_are_the_reference_less_only_rules_that_find_nothing(checker):
    screened = unrun = 0
    for i, text in enumerate(texts(checker)):
        post = checker.analyse(text, election_period=i % 2 == 0)
        hits = checker._phrase_hits(post)
        got = checker._candidates(hits, post, None)
        want = reference_candidates(checker, hits, post)
        assert set(got) <= set(want), text
        for ri in set(want) - set(got):  # left out by a screen, or no pattern runnable: must find nothing
            rule = checker.rules[ri]
            by_screen = rule.matcher.screen() is not None
            unrunnable = ri in checker._gated and ri not in {checker._opened_by.get(i) for i in post.scan.runnable}
            assert by_screen or unrunnable, (text, rule.id)
            slots = checker._rule_slots[ri]
            assert not list(rule.matcher.find(post, RuleHits(hits, slots) if slots else checker._no_hits)), (text, rule.id)
            screened += by_screen
            unrun += unrunnable
    assert screened > 0, "no post had a model head under its threshold"
    assert unrun > 0, "no post had a gated rule whose admitted patterns all lack their anchor"


def test_the_model_heads_are_one_screen(checker):
    heads = [ri for ri, r in enumerate(checker.rules) if r.matcher.kind == "model"]
    screens = [s for s in checker._screens if isinstance(s, HeadScreen)]
    assert len(screens) == 1 and screens[0].rules == frozenset(heads)


def test_a_screen_keeps_every_head_over_its_threshold(checker):
    post = checker.analyse("Vote Labour on Thursday! The Tories have failed us. #VoteLabour")
    screen = next(s for s in checker._screens if isinstance(s, HeadScreen))
    quiet = set(screen.quiet(post, screen.rules))
    for ri in screen.rules:
        m = checker.rules[ri].matcher
        assert (ri in quiet) == (not m.find(post, checker._no_hits)), checker.rules[ri].id


def test_a_screen_reads_only_the_rules_asked_about(checker):
    screen = next(s for s in checker._screens if isinstance(s, HeadScreen))
    post = checker.analyse("Anything at all")
    assert screen.quiet(post, frozenset()) == [] and post.memo == {}


def reference_plans(plans, admitted):
    return [(pat, pf) for pat, pf in plans if pf is None or pf.id in admitted]


class _Pf:
    def __init__(self, i):
        self.id = i


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(0, 40)), max_size=12, unique=True),
       st.frozensets(st.integers(0, 45)))
def test_plan_index_runs_the_admitted_plans_in_their_order(ids, admitted):
    plans = [(f"pattern{k}", None if i is None else _Pf(i)) for k, i in enumerate(ids)]
    assert PlanIndex(plans).admitted(admitted) == reference_plans(plans, admitted)


def test_plan_index_follows_plans_replaced_after_load(checker):
    matcher = next(r.matcher for r in checker.rules if r.matcher.kind == "patterns")
    first = PlanIndex.of(matcher)
    assert PlanIndex.of(matcher) is first
    old = matcher.plans
    try:
        matcher.plans = [(object(), None)]
        assert PlanIndex.of(matcher).admitted(frozenset()) == matcher.plans
    finally:
        matcher.plans = old


def test_every_pattern_rule_runs_what_testing_each_plan_would(checker):
    rng = random.Random(3)
    sample = rng.sample(texts(checker), 300)
    for text in sample:
        post = checker.analyse(text)
        for r in checker.rules:
            if hasattr(r.matcher, "plans"):
                assert PlanIndex.of(r.matcher).admitted(post.scan.admitted) == \
                    reference_plans(r.matcher.plans, post.scan.admitted), (text, r.id)


def test_every_pattern_rule_runs_its_runnable_plans(checker):
    """plan_matches reads runnable: the admitted plans less those whose anchor the post lacks,
    each of which would have found nothing."""
    rng = random.Random(4)
    for text in rng.sample(texts(checker), 300):
        post = checker.analyse(text)
        scan = post.scan
        for r in checker.rules:
            if not hasattr(r.matcher, "plans"):
                continue
            for pat, pf in reference_plans(r.matcher.plans, scan.admitted):
                if pf is not None and pf.id not in scan.runnable:
                    assert pf.anchor is not None and scan.starts(pf.anchor) == [], (text, r.id)
                    assert not list(pat.finditer(text)), (text, r.id)


def test_the_day_is_asked_again_once_it_has_ended(checker, monkeypatch):
    from server.engine import Checker

    c = Checker.__new__(Checker)
    c._day, c._day_ends = None, float("-inf")
    assert c._today() == dt.date.today()
    ends = c._day_ends
    assert ends > checker_module.time.time()

    class Tomorrow(dt.date):
        @classmethod
        def today(cls):
            return dt.date(2031, 5, 6)

    monkeypatch.setattr(checker_module.dt, "date", Tomorrow)
    assert c._today() != dt.date(2031, 5, 6)  # the day has not ended: no new question
    monkeypatch.setattr(checker_module.time, "time", lambda: ends)
    assert c._today() == dt.date(2031, 5, 6)
