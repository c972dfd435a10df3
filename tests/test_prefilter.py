"""The regex prefilter: what it reads from a pattern, and that it never refuses a post the pattern matches."""

import copy
import json
from pathlib import Path

import pytest
import regex

from server.engine import fastscan
from server.engine.examples import all_examples
from server.engine.prefilter import PrefilterIndex, analyse

ROOT = Path(__file__).resolve().parent.parent


def admits(source: str, text: str) -> bool:
    index = PrefilterIndex([source])
    pf = index.prefilters[0]
    return pf is None or pf.admits(index.scan(text))


def filtered(source: str) -> bool:
    return PrefilterIndex([source]).prefilters[0] is not None


def test_short_titles_bounded_as_words_are_looked_up_as_words():
    # The parser stores this as "M" then r|rs|s|iss|x: the words are put back together.
    source = r"\b(?:Mr|Mrs|Ms|Miss|Mx)\.?\s+[A-Z][a-z]+"
    assert filtered(source)
    assert admits(source, "Thanks to Mr. Jones for his help")
    assert admits(source, "Ms Patel opened the library")
    assert not admits(source, "Summer storms: stay safe on the roads")  # "ms" only inside words


def test_a_short_literal_not_bounded_as_a_word_is_not_used():
    source = r"(?:Mr|Ms)[A-Z]"
    assert admits(source, "XMrB")
    assert admits(source, "hello MrX")


def test_each_alternative_after_a_shared_symbol_is_still_needed():
    source = r"(?i)(?<![\w#])#(?:labour|green|snp|con)(?!\w)"
    assert not admits(source, "Join us at #LocalHistoryMonth")
    assert admits(source, "Out today #Labour")
    assert admits(source, "#SNP conference")


def test_words_needed_inside_a_lookbehind_count():
    source = r"(?<=\b(?:lives|living)\s)at\s+\d+"
    assert not admits(source, "Doors open at 10 tomorrow")
    assert admits(source, "She is living at 12 Elm Road")


def test_regex_only_syntax_is_read_with_stand_ins():
    assert analyse(r"\p{Lu}\p{Ll}+ is a \K(?:fraud|liar)") is not None
    source = r"(?<![\w.])\p{Lu}\p{Ll}+ is a \K(?:fraud|liar)\b"
    assert filtered(source)
    assert not admits(source, "Smith is a volunteer")
    assert admits(source, "Smith is a liar")


@pytest.mark.parametrize("source, text", [
    (r"Wow[\p{Extended_Pictographic}!]", "Wow!"),                    # a property inside a class
    (r"a[\p{Extended_Pictographic}\u2600-\u27BF]b", "a\u2601b"),       # ... beside a range
    (r"[^\p{Extended_Pictographic}]ok", "xok"),                      # a negated class
    (r"[^\p{Lu}]ok\b", "xok"),
    (r"\P{Lu}ok\b", "xok"),                                          # a negated property
    (r"(?:[!?]|[\p{Extended_Pictographic}\u2600-\u27BF])\s*$", "Really?"),
])
def test_a_property_class_anywhere_never_makes_the_prefilter_refuse_a_match(source, text):
    # A stand-in that is itself a class, put inside a class, once made "Wow!" need the
    # characters of the range as literals.
    assert regex.search(source, text)
    assert admits(source, text)


def test_a_pictographic_property_still_needs_a_non_ascii_character():
    source = r"(?:\p{Extended_Pictographic}|[\p{Regional_Indicator}]){3}"
    assert filtered(source)
    assert not admits(source, "No emoji here at all")
    assert admits(source, "Well done \U0001F44F\U0001F44F\U0001F44F")


def test_word_lookup_uses_the_patterns_word_characters():
    # "²" is a word character to Python's re but not to the regex module the patterns run in:
    # "he" is a whole word here, and must be found as one.
    source = r"(?i)\b(?:he|she)\b.{0,3}confessed"
    text = "he² confessed"
    assert regex.compile(source, regex.V0).search(text)
    assert filtered(source)
    assert admits(source, text)


def _texts():
    from server.engine import Checker, load_rulebook

    checker = Checker(load_rulebook(str(ROOT / "rules.json")))
    texts = [ex.text for _, ex, _ in all_examples(checker.rules)]
    for line in (ROOT / "tests" / "data" / "regressions.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            texts.append(json.loads(line)["text"])
    return checker, texts


def test_the_real_rulebook_prefilters_never_refuse_a_match():
    """Every pattern of rules.json against every rule example and regression post: a pattern
    that matches must have been admitted (a refused match would be a silent miss)."""
    checker, texts = _texts()
    index = checker._prefilter_index
    sources = [s for r in checker.rules for s in r.matcher.regex_sources()]
    compiled = [regex.compile(s, regex.V0) if pf is not None else None
                for s, pf in zip(sources, index.prefilters)]
    assert sum(p is not None for p in compiled) > 100, "most patterns should have a prefilter"
    refused = wrong = 0
    for text in texts:
        scan = index.scan(text)
        for pattern, pf in zip(compiled, index.prefilters):
            if pattern is None or pf.admits(scan):
                continue
            refused += 1
            if pattern.search(text, timeout=1):
                wrong += 1
                pytest.fail(f"prefilter refused a post its pattern matches: {pattern.pattern[:80]!r} on {text!r}")
    assert refused > len(texts) * 50, "the prefilter should skip most patterns on most posts"
    assert wrong == 0


def both_paths(index: PrefilterIndex) -> list[PrefilterIndex]:
    """`index`, admitting in C where built, and a twin admitting in Python."""
    pure = copy.copy(index)
    pure._fast = None
    assert (index._fast is not None) is fastscan.FAST
    return [index, pure]


def test_a_whole_word_alternation_needs_one_of_its_words_as_a_word():
    # " Road" is in " Roadworks", and "St" is a word: the alternation needs one of its words.
    source = r"\b\d+ [A-Z][a-z]+ (?:Ave|Road|St)\b"
    index = PrefilterIndex([source])
    assert (frozenset(), frozenset({"ave", "road", "st"})) in index.prefilters[0].any_idx
    for text, match in (("3 Big Roadworks ahead", False), ("12 Elm Ave", True), ("4 Church St.", True)):
        for path in both_paths(index):
            assert (path.scan(text).admitted == {0}) is match, text
        assert bool(regex.search(source, text)) is match, text


@pytest.mark.parametrize("text, match", [
    ("we have closed it", False),  # "ave" and "close" only inside words
    ("12 Oak Close", True),
    ("12 oak close", False),       # words as written: the pattern is case-sensitive
    ("Ave Maria", True),
])
def test_a_case_sensitive_whole_word_alternation_needs_one_word_as_written(text, match):
    source = r"\b(?:Ave|Close)\b"
    index = PrefilterIndex([source])
    for path in both_paths(index):
        assert (path.scan(text).admitted == {0}) is match, text
    assert index.prefilters[0].admits(index.scan(text)) is match
    assert bool(regex.search(source, text)) is match


def test_a_long_whole_word_is_needed_as_a_word():
    source = r"\bhome address\b"
    index = PrefilterIndex([source])
    assert index.prefilters[0].words == {"home", "address"}
    for text, match in (("my home addresses", False), ("her home address is", True)):
        for path in both_paths(index):
            assert (path.scan(text).admitted == {0}) is match, text


def test_the_real_rulebook_whole_words_never_refuse_a_match():
    """Every pattern needing whole words against every rule example and regression post: one
    refused for want of a word, though the post holds every literal it needs, must not match."""
    checker, texts = _texts()
    index = checker._prefilter_index
    sources = [s for r in checker.rules for s in r.matcher.regex_sources()]
    worded = {}
    for source, pf in zip(sources, index.prefilters):
        if pf is not None and (pf.words or pf.any_words):
            literals_only = copy.copy(pf)
            literals_only.words, literals_only.any_words = frozenset(), False
            worded[pf.id] = (regex.compile(source, regex.V0), pf, literals_only)
    assert len(worded) > 100, "most patterns should need some whole word"
    refused = 0
    for text in texts:
        scan = index.scan(text)
        for pattern, pf, literals_only in worded.values():
            if literals_only.admits(scan) and not pf.admits(scan):
                refused += 1
                assert not pattern.search(text, timeout=1), (pattern.pattern[:80], text)
    assert refused > len(texts), "the whole words should refuse some patterns the literals admit"


def test_a_repeated_character_is_needed_as_often_as_the_pattern_repeats_it():
    source = r"\w(?:!{2,}|\?+!+|!+\?+)"
    tokens, _ = analyse(source)
    assert ("any", frozenset({("s", "!!", False), ("s", "?!", False), ("s", "!?", False)}), False) in tokens
    assert not admits(source, "Bins go out on Monday! Thanks!")
    for text in ("Really!!", "Really!!!", "Really??!", "Really!?", "Really?!?!"):
        assert regex.search(source, text) and admits(source, text), text


def test_a_run_breaks_where_more_copies_may_follow():
    # "ab{2,}c" holds "abb" and "bbc", never "abbc" necessarily ("abbbc").
    tokens, _ = analyse(r"ab{2,}c")
    assert {("s", "abb", False), ("s", "bbc", False)} <= tokens
    assert admits(r"ab{2,}c", "abbbbc")
    tokens, _ = analyse(r"ab{2}c")
    assert ("s", "abbc", False) in tokens


def test_the_index_admits_exactly_what_each_prefilter_admits():
    """PrefilterIndex.admitted tests only the prefilters filed under a literal the post
    has: it must give the same answer as asking every prefilter."""
    checker, texts = _texts()
    index = checker._prefilter_index
    for text in texts:
        scan = index.scan(text)
        every = {pf.id for pf in index.prefilters if pf is not None and pf.admits(scan)}
        assert index.scan(text).admitted == every, text


def test_rules_the_checker_skips_would_have_found_nothing():
    """The checker skips rules none of whose prefilters admit the post (Matcher.gate) and
    rules missing a hit of a role they need (Matcher.needs: a proximity rule's context):
    with both off every example and regression post gives the same findings."""
    from server.engine import Checker, load_rulebook

    checker, texts = _texts()
    ungated = Checker(load_rulebook(str(ROOT / "rules.json")))
    ungated._gated = frozenset()
    ungated._needs = {}
    ungated._active_cache.clear()
    assert checker._gated, "pattern rules should be gated"
    assert any(checker.rules[ri].kind == "near" for ri in checker._needs), "near rules need their context"

    def key(result):
        return [(f.rule_id, f.start, f.end, f.severity, f.message) for f in result.findings]

    for text in texts:
        for election in (False, True):
            assert key(checker.check(text, election_period=election)) == \
                key(ungated.check(text, election_period=election)), text


@pytest.mark.parametrize("text", ["he² confessed", "plain ascii words_1 a-b", "naïve café — “x”",
                                  "x\u0301y", "١٢٣ and 12", "emoji 👩‍👧 ok", "tab\tnew\nline\x1c"])
def test_the_word_set_and_digit_count_equal_the_regex_ones(text):
    from server.engine.prefilter import _DIGIT, _WORDS, PostScan

    scan = PostScan(text, PrefilterIndex([r"\bx\b"]))
    assert scan.words == frozenset(_WORDS.findall(text.lower()))
    assert scan.digits == len(_DIGIT.findall(text))


def test_a_case_sensitive_alternation_needs_one_choice_as_written():
    source = r"\b(?:Reform[\s_-]?councillor|Labour|NZ[\s_-]?First)\b"
    assert not admits(source, "Our first Councillor surgery of the year")  # case-folded only
    assert not admits(source, "labour market figures")
    for text in ("Reform councillor says", "Labour said", "NZ First MPs"):
        assert regex.search(source, text) and admits(source, text), text
    # An alternative under (?i) may be written any way: the alternation is not narrowed.
    assert admits(r"\b(?:Labour|(?i:green party))\b", "GREEN PARTY and labour")


def test_two_capitals_in_a_row_are_needed_where_the_pattern_says_so():
    for source in (r"[A-Z]{2}", r"\b(?:STOP|[A-Z]{4,}+)!", r"[A-Z](?<!x)[A-Z]"):
        assert not admits(source, "Bins go out on Monday! Thanks")
        assert admits(source, "STOP! PLEASE!"), source
    for source in (r"(?i)[A-Z]{2}", r"[A-Z]'[A-Z]", r"[A-Z]*[A-Z]"):
        assert admits(source, "a'b c"), source  # may match without two capitals in a row


def test_the_prefilter_choices_do_not_depend_on_the_process():
    """Ties between equally good literals go the same way whatever the hash seed."""
    import subprocess
    import sys

    code = ("from server.engine.prefilter import PrefilterIndex as P;"
            "i = P([r'\\b(?:take\\s+away|hand\\s+over|sell\\s+off)\\b']);"
            "print(sorted(i.literals))")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                           env={"PYTHONHASHSEED": str(seed), "PYTHONPATH": str(ROOT)}).stdout
            for seed in range(4)}
    assert len(outs) == 1 and outs.pop().strip()


def test_a_lookbehind_ending_in_a_space_bounds_the_word_after_it():
    source = r"(?<=\b[A-Z][a-z]+\s)in\s+(?:Year|Class)\s+\d"
    assert filtered(source)
    assert not admits(source, "Sam joined Year 4 at Elm School")  # no word "in"
    assert admits(source, "Sam in Year 4 at Elm School")
    assert admits(r"(?<=x?)in\s+Year", "Cabin Year")  # the lookbehind may be empty: "in" may be inside a word


def test_the_index_admits_exactly_what_each_prefilter_admits():
    """PrefilterIndex.admitted (candidates by literal, the implied ones taken without a test)
    against Prefilter.admits one by one, over the shipped rulebook and its examples."""
    from server.engine import Checker, load_rulebook

    checker = Checker(load_rulebook("rules.json"))
    index = checker._prefilter_index
    assert index._implied  # some prefilters are admitted by their literal alone
    texts = [ex.text for r in checker.rules for ex in r.flag_examples + r.pass_examples]
    for text in texts + [t.upper() for t in texts[::5]] + [t.lower() for t in texts[::5]]:
        scan = index.scan(text)
        want = {i for i, pf in enumerate(index.prefilters) if pf is not None and pf.admits(scan)}
        assert set(scan.admitted) == want, text
