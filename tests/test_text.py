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
