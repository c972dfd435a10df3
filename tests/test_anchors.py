"""Anchored patterns (server/engine/anchors.py): tried only where their leading literals
start, they must find exactly what `finditer` over the whole post finds."""

import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from server.engine import Checker, load_rulebook
from server.engine import anchors, prefilter
from server.engine.anchors import AnchorIndex, anchored_finditer, fold_text, leading_literals
from server.engine.regex_safety import timed_finditer


def test_leading_literals_of_common_shapes():
    assert leading_literals(r"(?i)\b(?:passport|NHS number)\s+\d") == {"passport ", "nhs number "}
    # an optional word before: either it or what follows starts the match; one space or
    # more is one, then what follows or more space
    assert leading_literals(r"\b(?:the\s+)?culprit\b") == {"the culprit", "the  ", "culprit"}
    # a small class of literals branches; lookarounds and \b consume nothing
    assert leading_literals(r"(?<![\w#])['\"]so[- ]called") == {"'so-called", "'so called", '"so-called', '"so called'}
    assert leading_literals(r"(?=[A-Z])ID\s*[:#]?") == {"id"}  # "id:" begins with "id": one is enough


def test_no_anchor_where_a_match_can_start_anywhere():
    assert leading_literals(r"\w+\s+at\s+its\s+finest") is None
    assert leading_literals(r"x{0,2}abc") is None  # "x" alone is too common to anchor on
    assert leading_literals(r"(?:the|a)\w+") is None  # "a" alone: too common to anchor on
    assert leading_literals(r"\p{Extended_Pictographic}{3,}") is None


def test_literals_and_posts_fold_as_regex_folds_case():
    assert leading_literals(r"\b(?:Fianna\s?Fáil|Sinn Féin)") == {"fianna fáil", "fiannafáil", "sinn féin"}
    # "ſ" matches "s" case-insensitively, "ς" matches "σ": both sides fold to one form
    assert leading_literals(r"(?i)ſtop") == {"stop"}
    assert fold_text("STOP ſtop Σας") == "stop stop σασ"
    # "İ" has no one-character fold: a literal ends before it, and a post holding it is not anchored
    assert leading_literals(r"xyİz") == {"xy"}
    assert fold_text("İstanbul") is None


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet="sSſkKKσςΣıIiİßẞµμ ab", max_size=12))
def test_case_variants_are_found_where_regex_finds_them(text):
    for pattern in (r"(?i)s[kσ]", r"(?i)ab|ſk", r"(?i)aμ|ii", r"(?i)σa|bς", r"(?i)\bsσ"):
        index = AnchorIndex([pattern])
        at = index.scan(text)
        if at is None:
            continue
        _same(pattern, text)


def _same(pattern: str, text: str) -> None:
    pat = regex.compile(pattern, regex.V0)
    index = AnchorIndex([pattern])
    anchor = index.ids[0]
    assert anchor is not None
    at = index.scan(text)
    if at is None:  # not anchored: nothing to compare
        return
    starts = index.starts(anchor, at, n_chars=10**9)  # however dense: compare every try
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


# Two lists of 40 words, each word maybe plural: 6,400 whole literals, more than the walk
# lists (anchors.MAX_PREFIXES), so they are cut to their first characters.
CUT_WORDS = [x + y + "n" for x in "bcdfghlm" for y in "aeiou"]
CUT_PATTERN = r"(?i)\b(?:" + "|".join(CUT_WORDS) + r")s?[\s-]+(?:" + "|".join(CUT_WORDS) + r")s?\b"


def test_too_many_literals_are_cut_short_rather_than_dropped():
    literals = leading_literals(CUT_PATTERN)
    assert literals is not None and len(literals) <= anchors.MAX_PREFIXES
    # cut at 8 characters still too many ("bans ban"...); at 5 the separator ends them first
    assert max(map(len, literals)) == 5 and {"ban b", "ban  ", "ban -", "bans-"} <= literals


@settings(max_examples=300, deadline=None)
@given(text=st.lists(st.sampled_from(CUT_WORDS + ["s", " ", "-", "x", "BAN", "Bans"]), max_size=16).map("".join))
def test_literals_cut_short_still_find_every_match(text):
    _same(CUT_PATTERN, text)


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


@settings(max_examples=300, deadline=None)
@given(text=st.lists(st.sampled_from(WORDS) | st.text(alphabet="abcSMrs .-", max_size=4), max_size=20).map("".join))
def test_runnable_drops_only_anchored_patterns_with_no_match(text):
    """PostScan.runnable: the admitted prefilters less anchored ones whose pattern cannot
    match the post (none of its leading literals there); what it drops finditer finds nothing for."""
    index = prefilter.PrefilterIndex(PATTERNS)
    scan = index.scan(text)
    dropped = scan.admitted - scan.runnable
    assert scan.runnable <= scan.admitted
    for pf in index.prefilters:
        if pf is not None and pf.id in dropped:
            assert pf.anchor is not None
            assert not list(timed_finditer(regex.compile(PATTERNS[pf.id]), text, 1.0))


def test_runnable_drops_patterns_on_the_rulebook_examples():
    """On real posts runnable drops patterns (the saving), and never one that matches."""
    checker = Checker(load_rulebook("rules.json"))
    index = checker._prefilter_index
    sources = [s for r in checker.rules for s in r.matcher.regex_sources()]
    dropped_any = False
    for rule in checker.rules:
        for ex in rule.flag_examples + rule.pass_examples:
            scan = index.scan(ex.text)
            dropped = scan.admitted - scan.runnable
            dropped_any = dropped_any or bool(dropped)
            for i in dropped:
                assert not list(timed_finditer(regex.compile(sources[i]), ex.text, 1.0)), (rule.id, sources[i])
    assert dropped_any


def test_the_timeout_covers_every_try():
    pat = regex.compile(r"ab(?:c|d)")
    text = "ab " * 2000
    starts = list(range(0, len(text), 3))
    try:
        list(anchored_finditer(pat, text, starts, 1e-9))
    except TimeoutError:
        return
    raise AssertionError("no timeout")


def test_every_case_pair_regex_matches_folds_alike():
    """Exhaustive over every character with a case mapping: where `(?i)p` matches t, p and t
    fold to the same character, unless one of them has no fold (then nothing relies on it)."""
    from server.engine.anchors import fold_char

    cased = [chr(c) for c in range(0x20, 0x30000) if not 0xD800 <= c < 0xE000
             and len({chr(c), chr(c).lower(), chr(c).upper(), chr(c).title(), chr(c).casefold()}) > 1]
    every = "".join(cased)
    for p in cased:
        fp = fold_char(p)
        if fp is None:
            continue
        for t in regex.compile("(?i)" + regex.escape(p), regex.V0).findall(every):
            assert fold_char(t) in (fp, None), (p, t)
    # a character with no case mapping matches only itself
    uncased = "".join(chr(c) for c in range(0x20, 0x3000) if not 0xD800 <= c < 0xE000 and chr(c) not in set(cased))
    assert regex.compile("(?i)[" + regex.escape(every) + "]", regex.V0).search(uncased) is None


def test_whitespace_folds_to_a_space_wherever_regex_reads_it_as_whitespace():
    import sys

    from server.engine.anchors import fold_char

    for c in range(sys.maxunicode + 1):
        if 0xD800 <= c < 0xE000:
            continue
        if regex.match(r"\s", chr(c), regex.V0):
            assert fold_char(chr(c)) == " ", hex(c)
    assert fold_text("A\tB\nC\u00a0D  E") == "a b c d  e"
    assert leading_literals(r"(?i)\bwhat\s+an\s+achievement") == {"what an achievement", "what  ", "what an  "}
    assert leading_literals(r"\bTe[\s_-]?Pati") == {"tepati", "te pati", "te_pati", "te-pati"}


# Every match starts at a leading literal, yet the prefilter walk reads no need ("Cr" is too
# short to look for, and not bounded as a word): anchored all the same (rule pre_election.candidate).
UNREAD = r"\bCrs?\s+[A-Z][a-z]+|\b(?:council leader|Mayor)\b(?:\s+[A-Z][a-z]+)?"
UNREAD_WORDS = ["Cr", "Crs", "cr", "Cllr", " ", "  ", "\n", "Smith", "council leader", "Council Leader",
                "Mayor", "mayor", "x", ".", "ſ"]


def test_a_pattern_with_leading_literals_and_no_other_need_is_anchored():
    assert prefilter.analyse(UNREAD) == (frozenset(), 0)
    pf = prefilter.PrefilterIndex([UNREAD]).prefilters[0]
    assert pf is not None and pf.anchor is not None
    assert not (pf.all_idx or pf.any_idx or pf.words or pf.digits or pf.non_ascii or pf.upper_pair)


@settings(max_examples=400, deadline=None)
@given(text=st.lists(st.sampled_from(UNREAD_WORDS) | st.text(alphabet="CrMS .", max_size=3), max_size=12)
       .map("".join))
def test_an_anchor_only_prefilter_drops_only_posts_with_no_match(text):
    """It admits every post (it needs nothing), runnable drops it where no leading literal
    starts, and where it is kept the anchored tries find what finditer finds."""
    index = prefilter.PrefilterIndex([UNREAD])
    pf = index.prefilters[0]
    scan = index.scan(text)
    assert pf.id in scan.admitted
    plain = [m.span() for m in regex.finditer(UNREAD, text)]
    if pf.id not in scan.runnable:
        assert plain == []
        return
    starts = scan.starts(pf.anchor)
    if starts is not None:
        assert [m.span() for m in anchored_finditer(regex.compile(UNREAD), text, starts, 1.0)] == plain
