"""A {@list}'s factored alternation (server/engine/alternation.py) matches as the plain one:
factored on first characters where the pattern reads forwards, on last characters inside a
lookbehind, which the `regex` module reads right to left."""

import random

import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import book_json, minimal_rule
from server.engine import Checker, parse_rulebook
from server.engine.alternation import factored, factored_behind, in_lookbehind, term_tokens

TERMS = ["labour", "our", "Labour Party", "lab", "neighbour", "harbour", "tory", "tories", "the tories",
         "opposition", "the opposition", "o", "Reform UK", "reform", "union", "unions", "trade union"]


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


def test_in_lookbehind_counts_groups_and_skips_escapes_and_classes():
    src = r"(?<=\b(?:a|{@x}))b\((?<!\)[)(]{@y})c(?<name>{@z})(?<!(?=({@w})))"
    at = {name: src.index("{@" + name) for name in "xyzw"}
    assert in_lookbehind(src, at["x"]) and in_lookbehind(src, at["y"]) and in_lookbehind(src, at["w"])
    assert not in_lookbehind(src, at["z"])  # a named group is no lookbehind
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
