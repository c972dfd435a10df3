"""Anchored patterns (server/engine/anchors.py): tried only where their leading literals
start, they must find exactly what `finditer` over the whole post finds."""

import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from server.engine import Checker, load_rulebook
from server.engine import prefilter
from server.engine.anchors import AnchorIndex, anchored_finditer, leading_literals
from server.engine.regex_safety import timed_finditer


def test_leading_literals_of_common_shapes():
    assert leading_literals(r"(?i)\b(?:passport|NHS number)\s+\d") == {"passport", "nhs number"}
    # an optional word before: either it or what follows starts the match
    assert leading_literals(r"\b(?:the\s+)?culprit\b") == {"the", "culprit"}
    # a small class of literals branches; lookarounds and \b consume nothing
    assert leading_literals(r"(?<![\w#])['\"]so[- ]called") == {"'so-called", "'so called", '"so-called', '"so called'}
    assert leading_literals(r"(?=[A-Z])ID\s*[:#]?") == {"id", "id:", "id#"}


def test_no_anchor_where_a_match_can_start_anywhere():
    assert leading_literals(r"\w+\s+at\s+its\s+finest") is None
    assert leading_literals(r"x{0,2}abc") is None  # "x" alone is too common to anchor on
    assert leading_literals(r"(?:the|a)\s+resident") is None
    assert leading_literals(r"\p{Extended_Pictographic}{3,}") is None


def test_literals_cut_to_what_an_ascii_post_can_hold():
    # "Sinn Féin" cannot be in an ASCII post, so it anchors nothing there
    assert leading_literals(r"\b(?:Fianna\s?Fáil|Sinn Féin)") == {"fianna"}
    # "ſ" matches "s" case-insensitively: no literal that an ASCII "stop" would not contain
    assert leading_literals(r"(?i)ſtop") is None


def _same(pattern: str, text: str) -> None:
    pat = regex.compile(pattern, regex.V0)
    index = AnchorIndex([pattern])
    anchor = index.ids[0]
    assert anchor is not None
    starts = index.starts(anchor, index.scan(text.lower()))
    plain = [(m.span(), m.groups()) for m in timed_finditer(pat, text, 1.0)]
    anchored = [(m.span(), m.groups()) for m in anchored_finditer(pat, text, starts, 1.0)]
    assert anchored == plain


PATTERNS = [
    r"(?i)\b(?:spread(?:s|ing)?|push(?:es)?)\s+(?:more\s+)?lies\b",
    r"\b(?:Mr|Ms|Dr)\.?\s+[A-Z]\w+",
    r"(?i)(?<=\s)(?:so[\s-]called|self[\s-]styled)\s+(\w+)",
    r"(?i)\bthe\s+(?:culprit|thug)s?\b|\bcaught\b",
    r"(?:ab|abab|ba)+c",
]
WORDS = ["spread", "spreads", "lies", "push", "pushes", "more", "Mr", "Ms.", "Dr", "Smith", "so-called",
         "self styled", "the", "culprit", "thugs", "caught", "ab", "abab", "ba", "c", "x", "a", " ", "\n", "."]


@settings(max_examples=400, deadline=None)
@given(pattern=st.sampled_from(PATTERNS),
       text=st.lists(st.sampled_from(WORDS) | st.text(alphabet="abcSMrs .-", max_size=4), max_size=20).map("".join))
def test_anchored_matches_are_finditer_matches(pattern, text):
    _same(pattern, text)


def test_the_rulebook_finds_the_same_with_and_without_anchors(monkeypatch):
    checker = Checker(load_rulebook("rules.json"))
    index = checker._prefilter_index
    assert sum(a is not None for a in index.anchors.ids) > len(index.anchors.ids) // 2
    posts = [ex.text for r in checker.rules for ex in r.flag_examples + r.pass_examples]

    def findings():
        return [[(f.rule_id, f.start, f.end) for f in checker.check(t).findings] for t in posts]

    anchored = findings()
    monkeypatch.setattr(prefilter.PostScan, "starts", lambda self, anchor: None)
    assert findings() == anchored


def test_the_timeout_covers_every_try():
    pat = regex.compile(r"ab(?:c|d)")
    text = "ab " * 2000
    starts = list(range(0, len(text), 3))
    try:
        list(anchored_finditer(pat, text, starts, 1e-9))
    except TimeoutError:
        return
    raise AssertionError("no timeout")
