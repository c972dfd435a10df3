"""A pattern two rules run (tone.shouting's capitals, which tone.raised-voice repeats beside a
breach) is scanned once per post (patterns.share_scans): the findings must be those of a scan
per rule."""

import regex

from server.engine.checker import _plan_indexes
from server.engine.matchers.patterns import PlanIndex, plan_matches, share_scans
from server.engine.post import Post


def _shared(checker):
    return {r.id for r in checker.rules for index in _plan_indexes(r.matcher) if index.shared}


def test_the_shipped_rulebook_shares_the_capitals_scans(checker):
    assert {"tone.shouting", "tone.raised-voice"} <= _shared(checker)


class _Scan:
    """What plan_matches reads of a post's prefilter scan: every plan admitted."""

    def __init__(self, ids):
        self.runnable = frozenset(ids)


def _post(text):
    post = Post(text)
    post.regex_timeout = 1.0
    post.scan = _Scan(())
    return post


class _Counted:
    """A pattern that counts its scans."""

    def __init__(self, source):
        self.pattern = regex.compile(source)
        self.scans = 0

    def finditer(self, *args):
        self.scans += 1
        return self.pattern.finditer(*args)


def test_a_shared_pattern_is_scanned_once_and_finds_the_same():
    caps, other, third = _Counted(r"[A-Z]{3,}"), _Counted(r"\d+"), _Counted(r"\d+")  # equal is not the same
    a, b, alone = PlanIndex([(caps, None), (other, None)]), PlanIndex([(caps, None)]), PlanIndex([(third, None)])
    share_scans([a, b, alone])
    assert a.shared == b.shared == {id(caps)} and not alone.shared
    post = _post("STOP the 3 CUTS now, 45 days LEFT")
    first, second = plan_matches(post, a), plan_matches(post, b)
    assert [m.span() for m in second] == [m.span() for m in caps.pattern.finditer(post.text)]
    assert [m.span() for m in first] == [m.span() for m in second] + [m.span() for m in other.pattern.finditer(post.text)]
    assert caps.scans == 1 and other.scans == 1
    plan_matches(_post("NO MORE"), b)  # another post scans again
    assert caps.scans == 2


def test_shared_scans_change_no_finding(checker):
    from server.engine import Checker

    separate = Checker(checker.rulebook)
    for index in (i for r in separate.rules for i in _plan_indexes(r.matcher)):
        index.shared = frozenset()
    texts = ["THIS COUNCIL HAS FAILED YOU AGAIN!!! THE LEADER MUST GO. Disgraceful, incompetent and a liar.",
             "Residents: the road WILL be closed on Monday.",
             "Our useless MP does NOT care. VOTE THEM OUT!?"]
    for text in texts:
        assert checker.check(text).to_json() == separate.check(text).to_json(), text
