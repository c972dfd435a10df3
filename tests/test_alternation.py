"""A {@list}'s factored alternation (server/engine/alternation.py) matches as the plain one:
factored on first characters where the pattern reads forwards, on last characters inside a
lookbehind, which the `regex` module reads right to left."""

import functools
import random

import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import book_json, minimal_rule
from server.engine import Checker, parse_rulebook
from server.engine.alternation import _key, factored, factored_behind, in_lookbehind, term_tokens

TERMS = ["labour", "our", "Labour Party", "lab", "neighbour", "harbour", "tory", "tories", "the tories",
         "opposition", "the opposition", "o", "Reform UK", "reform", "union", "unions", "trade union"]
# Case variants, hyphenated spellings and letters beyond ASCII, as the shipped lists hold them:
# "RTÉ" once stopped a whole list being factored, "Labour"/"labour" a whole key group.
MIXED = ["Labour", "labour", "labour-party", "Labour Party", "RTÉ", "rté", "rte", "Sinn Féin", "sinn-fein",
         "Te Pāti Māori", "Straße", "STRASSE", "SNP", "snp", "Scottish Labour", "scottish-labour", "Senate",
         "ſcot", "Kelvin"]


def plain(terms):
    return "(?:" + "|".join(sorted(map(_spelt, terms), key=len, reverse=True)) + ")"


def _spelt(term):
    return r"[\s_-]?".join(regex.escape(w) for w in term.split(" "))


def tokens(terms):
    return [term_tokens(t) for t in sorted(terms, key=lambda t: len(_spelt(t)), reverse=True)]


def test_factored_behind_groups_terms_on_their_last_characters():
    src = factored_behind(tokens(["labour", "harbour", "tory"]))
    assert src == "(?:(?:(?:(?:har|la)b)o)u)r|tory"  # the shared ending written once, innermost last
    assert regex.fullmatch(f"(?:{src})", "harbour") and regex.fullmatch(f"(?:{src})", "tory")
    assert not regex.fullmatch(f"(?:{src})", "our")


words = st.lists(st.sampled_from(TERMS + ["x", " ", "-", "'s", "the", "Our", "LABOUR", "ab"]), max_size=12)


@settings(max_examples=300, deadline=None)
@given(words, st.lists(st.sampled_from(TERMS), min_size=1, max_size=len(TERMS), unique=True))
def test_lookbehinds_with_either_factoring_find_the_same_places(parts, terms):
    text = " ".join(parts)
    for flags in ("", "(?i)"):
        want = regex.compile(f"{flags}(?<=\\b{plain(terms)})\\s")
        got = regex.compile(f"{flags}(?<=\\b(?:{factored_behind(tokens(terms))}))\\s")
        fwd = regex.compile(f"{flags}\\b(?:{factored(tokens(terms))})\\b")
        assert [m.span() for m in got.finditer(text)] == [m.span() for m in want.finditer(text)]
        assert [m.span() for m in fwd.finditer(text)] == [
            m.span() for m in regex.compile(f"{flags}\\b{plain(terms)}\\b").finditer(text)]


mixed_words = st.lists(st.sampled_from(MIXED + ["x", " ", "-", "_", "'s", "LABOUR", "Rté", "SCOT", "kelvin",
                                                 "PĀTI", "strasse", "é", "É", "ß", "\u212a", "ſ"]),
                       max_size=10)


@settings(max_examples=400, deadline=None)
@given(mixed_words, st.lists(st.sampled_from(MIXED + TERMS), min_size=1, max_size=20, unique=True),
       st.sampled_from(["", " ", "-", ""]))
def test_case_variants_and_non_ascii_terms_find_the_same_places(parts, terms, joiner):
    text = joiner.join(parts)
    for flags in ("", "(?i)"):
        behind = (f"{flags}(?<=\\b{plain(terms)})", f"{flags}(?<=\\b(?:{factored_behind(tokens(terms))}))")
        ahead = (f"{flags}\\b{plain(terms)}", f"{flags}\\b(?:{factored(tokens(terms))})")
        # what follows makes the engine try the later terms where an earlier one matched
        ahead_then = (ahead[0] + r"(?=\s|\Z)", ahead[1] + r"(?=\s|\Z)")
        for want, got in (behind, ahead, ahead_then):
            assert [m.span() for m in regex.finditer(got, text)] == [m.span() for m in regex.finditer(want, text)]


def test_different_keys_never_match_one_character():
    """What factoring forward relies on (_key): no character is matched, with or without
    (?i), by two tokens with different keys ("i" and "İ" both match "İ": the latter has none)."""
    everything = "".join(chr(c) for c in range(0x10000) if not 0xD800 <= c < 0xE000)
    keys_of: dict[str, set] = {}
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for c in set(letters + "ÉéāĀſ\u212aµΣσςϐẞßİıǅǆ" + "".join(MIXED)):
        key = _key(regex.escape(c))
        if key is not None:
            for y in regex.findall("(?i)" + regex.escape(c), everything):
                keys_of.setdefault(y, set()).add(key)
    assert keys_of and all(len(keys) == 1 for keys in keys_of.values())


def test_a_term_beyond_ascii_leaves_the_rest_of_a_lookbehind_list_factored():
    src = factored_behind(tokens(["labour", "harbour", "RTÉ"]))
    assert src.count("b)o)u)r") == 1 and "RTÉ" in src  # "RTÉ" a branch of its own


def test_case_variants_are_factored_each_among_the_rest():
    src = factored(tokens(["Scottish Labour", "scottish-labour", "Senate Democrats", "senate-democrats"]))
    assert src.count("S(?:") == 1 and src.count("s(?:") == 1, src  # not four whole terms in a row
    # "Senate" may match where "senate-democrats" does (with (?i)): it keeps its place after it
    assert factored(tokens(["senate-democrats", "Scottish", "Senate"])) == r"senate\-democrats|S(?:cottish|enate)"


def test_in_lookbehind_counts_groups_and_skips_escapes_and_classes():
    src = r"(?<=\b(?:a|{@x}))b\((?<!\)[)(]{@y})c(?<name>{@z})(?<!(?=({@w})))"
    at = {name: src.index("{@" + name) for name in "xyzw"}
    assert in_lookbehind(src, at["x"]) and in_lookbehind(src, at["y"])
    assert not in_lookbehind(src, at["z"])  # a named group is no lookbehind
    assert not in_lookbehind(src, at["w"])  # a lookahead inside a lookbehind reads forwards again
    assert not in_lookbehind(r"(?<=a)b{@x}", 7) and not in_lookbehind(r"\(?<=a{@x}", 6)


def test_a_list_in_a_lookbehind_gives_the_same_findings_as_written_plainly():
    terms = ["Labour", "the Conservatives", "Reform UK", "those opposite", "the previous administration"]
    rule = minimal_rule(id="attack.behind", match={"patterns": [
        r"(?i)(?<=\b{@actors}['’]s\s)(?:plan|record)\s+is\s+(?:reckless|a\s+joke)"]},
        examples={"flag": ["Labour's [[plan is reckless]]."], "pass": ["Our plan is reckless."]})
    book = parse_rulebook(book_json(rule, lists={"actors": {"terms": terms}}))
    checker = Checker(book)
    rng = random.Random(5)
    for _ in range(200):
        actor = rng.choice(terms + ["Our", "the council", "Opposite"])
        text = f"{actor}'s {rng.choice(['plan', 'record'])} is {rng.choice(['reckless', 'a joke', 'fine'])}."
        plain_pat = regex.compile(r"(?i)(?<=\b" + plain(terms) + r"['’]s\s)(?:plan|record)\s+is\s+(?:reckless|a\s+joke)")
        want = [m.span() for m in plain_pat.finditer(text)]
        got = [(f.start, f.end) for f in checker.check(text).findings if f.rule_id == "attack.behind"]
        assert got == want, text


def test_the_innermost_lookaround_decides_the_direction():
    src = r"(?<=(?=(?:{@a})(?<!{@b}))(?:{@c}))(?=x(?<=(?:{@d})))"
    at = {name: src.index("{@" + name) for name in "abcd"}
    assert not in_lookbehind(src, at["a"])  # in a lookahead in a lookbehind, through a plain group
    assert in_lookbehind(src, at["b"]) and in_lookbehind(src, at["c"]) and in_lookbehind(src, at["d"])


# tone.raised-voice's caps_emphasis: a list in a lookahead nested in a lookbehind, which the
# `regex` module matches left to right, so it is factored on first characters.
CAPS = ["EVERY", "EVERYTHING", "EVERYONE", "NEVER", "NOT", "NOTHING", "NOW", "NO", "THE", "THEIR", "THESE", "TWICE"]
NESTED = r"[A-Z]{2}(?<![A-Za-z'’][A-Z]{2})(?<=(?=(?:{@caps})(?![A-Za-z'’]))[A-Z]{2})[A-Z'’]*+"


def test_a_list_in_a_lookahead_inside_a_lookbehind_is_factored_forwards():
    compiled = _nested_pattern().pattern
    assert "(?<=(?=(?:(?:E(?:V(?:E(?:R(?:Y(?:" in compiled, compiled  # shared first characters written once


@settings(max_examples=300, deadline=None)
@given(words=st.lists(st.sampled_from(CAPS + ["NOTED", "EVERYBODY", "TH", "no", "Not", "x", "A"]), max_size=8),
       seps=st.lists(st.sampled_from([" ", "", ",", "'", "\n"]), min_size=8, max_size=8))
def test_a_list_in_a_lookahead_inside_a_lookbehind_finds_what_the_plain_list_finds(words, seps):
    text = "".join(w + s for w, s in zip(words, seps))
    want = [m.span() for m in regex.finditer(NESTED.replace("{@caps}", plain(CAPS)), text)]
    assert [m.span() for m in _nested_pattern().finditer(text)] == want


@functools.cache
def _nested_pattern():
    """NESTED as the checker compiles it (one checker for every example hypothesis tries)."""
    rule = minimal_rule(id="tone.nested", match={"patterns": [NESTED]},
                        examples={"flag": ["It is [[NOT]] fine."], "pass": ["It is NOTED."]})
    return Checker(parse_rulebook(book_json(rule, lists={"caps": {"terms": CAPS}}))).rules[0].matcher.patterns[0]
