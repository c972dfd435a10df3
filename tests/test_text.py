"""Folding and offsets: the contract that spans land on the right characters."""

from server.engine.text import FoldedText, Utf16Offsets, find_lone_surrogate, utf16_len

from helpers import utf16_slice


def test_ascii_folds_to_lower_case_with_identity_offsets():
    f = FoldedText("Vote LABOUR")
    assert f.folded == "vote labour"
    assert f.to_original(5, 11) == (5, 11)


def test_curly_quotes_dashes_and_odd_spaces_fold_without_moving_offsets():
    text = "Labour\u2019s plan \u2014 the\u00a0Tories"
    f = FoldedText(text)
    assert f.folded == "labour's plan - the tories"
    assert len(f.folded) == len(text)


def test_accents_fold_to_base_letters():
    assert FoldedText("Sinn Féin").folded == "sinn fein"


def test_decomposed_accents_map_back_over_the_combining_mark():
    text = "Sinn Fe\u0301in said"
    f = FoldedText(text)
    assert f.folded == "sinn fein said"
    start = f.folded.index("sinn fein")
    s, e = f.to_original(start, start + len("sinn fein"))
    assert text[s:e] == "Sinn Fe\u0301in"


def test_soft_hyphen_inside_a_word_is_ignored_for_matching():
    text = "Lab\u00adour will"
    f = FoldedText(text)
    assert f.folded == "labour will"
    assert text[slice(*f.to_original(0, 6))] == "Lab\u00adour"


def test_utf16_offsets_count_astral_characters_twice():
    text = "Great news 🎉 from the Labour party"
    conv = Utf16Offsets(text)
    start = text.index("Labour")
    assert start == 22
    assert conv(start) == 23
    assert utf16_slice(text, conv(start), conv(start + 6)) == "Labour"


def test_utf16_len_and_lone_surrogates():
    assert utf16_len("a👩‍👩‍👧b") == 2 + 8
    assert find_lone_surrogate("fine 🎉") is None
    assert find_lone_surrogate("bad \ud83d here") == 4


def test_the_fold_cache_stays_bounded_whatever_the_posts_contain():
    from server.engine import text as textmod

    FoldedText("".join(chr(cp) for cp in range(0x4E00, 0x4E00 + 30_000)))
    assert len(textmod._TABLE) <= textmod._FOLD_CACHE_MAX
    # Past the bound, folding still works.
    assert FoldedText("\u00c9COLE \u4e00").folded == "ecole \u4e00"


def test_the_syllable_cache_skips_words_no_one_writes():
    from server.engine import readability as rmod

    rmod.readability("a" * 5000 + " word.")
    assert all(len(w) <= rmod._CACHED_WORD_MAX for w in rmod._syllables)


def test_folding_only_the_non_ascii_runs_equals_folding_every_character():
    """_fold translates the non-ASCII runs and lowers the rest: the same text as the
    table applied to every character, for every character of the BMP and beyond."""
    from server.engine.text import _TABLE, _fold

    for lo in range(0x80, 0x30000, 256):
        chunk = "".join(chr(c) for c in range(lo, lo + 256) if not 0xD800 <= c < 0xE000)
        text = "Ab " + chunk + " ZY"
        assert _fold(text) == text.translate(_TABLE), hex(lo)
    ascii_all = "".join(chr(c) for c in range(128)) + "É"
    assert _fold(ascii_all) == ascii_all.translate(_TABLE)
    for text in ("ΟΔΟΣ ΣΑΣ", "İstanbul", "Fe\u0301in Lab\u00adour", "ﬁ ß ẞ"):
        assert _fold(text) == text.translate(_TABLE)


def test_one_automaton_pass_finds_the_phrases_and_the_prefilter_literals_of_an_ascii_post():
    """An ASCII post's prefilter literals come from the phrase pass: the same set as the
    prefilter index's own pass."""
    from server.engine import Checker, load_rulebook

    from pathlib import Path

    checker = Checker(load_rulebook(str(Path(__file__).resolve().parent.parent / "rules.json")))
    for text in ("Vote Labour on Thursday!! Call 07700 900123", "Bins go out on Monday", "",
                 "Mr Smith lives at 12 Elm Road, Leeds LS1 4AB #Labour @council"):
        post = checker.analyse(text)
        checker._phrase_hits(post)
        shared = post.scan.present
        assert shared == checker._prefilter_index.scan(text).present
