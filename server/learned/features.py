"""Text → features, shared by training (as scikit-learn analyzers) and scoring.

Two blocks of terms, each weighted by TF-IDF and L2-normalised on its own:

- words: word unigrams and bigrams over the folded text, plus one pseudo-term for the
  post's length band (``length_term``: short posts have few terms, each weighing a lot
  after normalisation, and the model needs a way to learn to trust them less);
- chars: character n-grams (sizes in the artifact, 4 by default; none at all is allowed) inside each
  whitespace-separated chunk padded with one space each side (like scikit-learn's
  ``char_wb``, so a gram never spans two chunks).

Folding (``fold``): lower case, accents stripped (NFKD, marks dropped), curly
quotes and dashes made plain, zero-width and format characters dropped, and every
decimal digit written as ``0`` so the model learns the *shape* of a number
(a mobile number, a date, a crime reference) and never a particular number.

The training analyzers (``word_terms``, ``char_terms``) and the scorer use the same
functions (the scorer caches ``padded_grams`` per chunk). ``chunk_grams`` and
``ChunkInfo`` give the same grams with their spans and the word each is credited to,
for explanations and silencing; ``tests/test_learned.py`` checks that the paths agree.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

FEATURES_VERSION = 1

WORD = re.compile(r"[#@]?\w+(?:['\-]\w+)*")
CHUNK = re.compile(r"\S+")
CHAR_N = (3, 4)  # the default; the artifact records the sizes it was trained with

_PLAIN = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u02bc": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-",
}


def _fold_char(c: str) -> str:
    if c in _PLAIN:
        return _PLAIN[c]
    if c.isdecimal():
        return "0"
    out = []
    for d in unicodedata.normalize("NFKD", c.lower()):
        cat = unicodedata.category(d)
        if cat in ("Mn", "Me", "Cf"):
            continue
        if d.isdecimal():
            d = "0"
        elif d in _PLAIN:
            d = _PLAIN[d]
        out.append(d)
    return "".join(out)


class _FoldTable(dict):
    """str.translate table that computes and caches each character's fold."""

    def __missing__(self, key: int) -> str:
        value = _fold_char(chr(key))
        if len(value) != 1:
            _NOT_ONE.add(chr(key))
        self[key] = value
        return value


_TABLE = _FoldTable()
_NOT_ONE: set[str] = set()  # characters seen whose fold is not exactly one character


# ASCII folds by lower case and digits alone (no ASCII character decomposes, is a mark or
# format character, or is in _PLAIN): bytes.translate does that many times faster.
_ASCII_FOLD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", b"abcdefghijklmnopqrstuvwxyz0000000000")


# A text as alternating runs of ASCII and non-ASCII characters (fold).
_RUNS = re.compile(r"[\x00-\x7f]+|[^\x00-\x7f]+")


def _fold_ascii(text: str) -> str:
    return text.encode("ascii").translate(_ASCII_FOLD).decode("ascii")


def fold(text: str) -> str:
    """The folded text that every feature is read from."""
    if text.isascii():
        return _fold_ascii(text)
    # text.translate(_TABLE), run by run: the table costs a look-up per character, and most
    # characters of a post with a curly quote or an emoji are ASCII. Only the ASCII runs are
    # folded by bytes: what the table gives a non-ASCII character may hold a capital ("ℌ").
    return "".join([_fold_ascii(run) if run.isascii() else run.translate(_TABLE) for run in _RUNS.findall(text)])


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """Folded text and, for each of its characters, the index of the original
    code point it came from (one extra entry: len(text))."""
    parts, where = [], []
    table = _TABLE
    for i, c in enumerate(text):
        f = table[ord(c)]
        if f:
            parts.append(f)
            where.extend([i] * len(f))
    where.append(len(text))
    return "".join(parts), where


def fold_map(text: str, folded: bool = False) -> list[int] | None:
    """``fold_with_map(text)[1]``, or None when folding kept every character in place
    (one character for one, the usual case) so folded offsets are original offsets.
    ``folded``: fold(text) has been called (the table knows every character of text)."""
    if text.isascii():  # every ASCII character folds to one (_ASCII_FOLD)
        return None
    if not folded:
        fold(text)  # every character of text is in the table from here on
    if _NOT_ONE.isdisjoint(text):
        return None
    # Each code point repeated as many times as its fold has characters (fold_with_map's
    # loop, in C: a post with one emoji joiner no longer pays a Python step per character).
    sizes = np.frombuffer(text.translate(_SIZES).encode("latin-1"), np.uint8)
    return np.repeat(np.arange(len(text)), sizes).tolist() + [len(text)]


class _SizeTable(dict):
    """str.translate table: each character to chr(the length of its fold)."""

    def __missing__(self, key: int) -> str:
        value = self[key] = chr(len(_TABLE[key]))
        return value


_SIZES = _SizeTable()


LENGTH_BINS = (5, 10, 20, 40)  # the default; the artifact records its own (or none)

# What the model reads of a link: "host" (the default since model 2026.12.05.3) keeps the scheme
# and host ("https://www.gop.gov", "actblue.com" say who is behind it) and blanks the path, a
# news headline or press-release slug the post never said ("/2019/02/05/iowa-chuck-grassley-attends-
# state-union-address"): on real members' posts the model flagged neutral ones for their links'
# slugs. "whole" reads the link as text (models before it; the artifact records which).
LINKS = "host"
_LINK_PATH = re.compile(r"(?:https?://|www\.)[^\s/]+(/\S*)")


def mask_links(folded: str) -> str:
    """Folded text with each link's path blanked, space for character, so every offset into
    it is an offset into the unmasked text."""
    if "://" not in folded and "www." not in folded:
        return folded
    return _LINK_PATH.sub(lambda m: m.group(0)[:m.start(1) - m.start(0)] + " " * (m.end(1) - m.start(1)), folded)


def read_links(folded: str, links: str) -> str:
    """The folded text as a model that reads links `links` sees it."""
    return mask_links(folded) if links == "host" else folded


def length_term(n_words: int, bins=LENGTH_BINS) -> str | None:
    """A pseudo-term naming the post's length band ("\x00len<=5", ..., "\x00len>40"), so the
    model can learn how far to trust a short post's few terms. No word can equal it."""
    if not bins:
        return None
    for b in bins:
        if n_words <= b:
            return f"\x00len<={b}"
    return f"\x00len>{bins[-1]}"


def word_terms_folded(folded: str, bins=LENGTH_BINS) -> list[str]:
    words = WORD.findall(folded)
    out = words + [a + " " + b for a, b in zip(words, words[1:])]
    if bins:
        out.append(length_term(len(words), bins))
    return out


def padded_grams(chunk: str, ns=CHAR_N) -> list[str]:
    p = " " + chunk + " "
    n_chars = len(p)
    out = []
    for n in ns:
        out.extend([p[i:i + n] for i in range(n_chars - n + 1)])
    return out


def char_terms_folded(folded: str, ns=CHAR_N) -> list[str]:
    out = []
    for chunk in CHUNK.findall(folded):
        out.extend(padded_grams(chunk, ns))
    return out


def word_terms(text: str) -> list[str]:  # with the default length bins
    """scikit-learn analyzer for the word block (takes the raw text)."""
    return word_terms_folded(fold(text))


def char_terms(text: str) -> list[str]:
    """scikit-learn analyzer for the char block (takes the raw text)."""
    return char_terms_folded(fold(text))


def chunk_grams(chunk: str, ns=CHAR_N) -> list[tuple[str, int, int]]:
    """Character n-grams of one chunk padded with a space each side, with the span
    of the chunk's own characters each covers (chunk coordinates, padding left out)."""
    p = " " + chunk + " "
    n_chars = len(p)
    last = len(chunk)
    out = []
    for n in ns:
        for i in range(n_chars - n + 1):
            out.append((p[i:i + n], max(i - 1, 0), min(i + n - 1, last)))
    return out


class ChunkInfo:
    """What explanations need of one chunk: its units (the words in it, or the whole
    chunk when it has none, e.g. "?!" or an emoji) and the unit each character n-gram
    is credited to: the unit of the gram's middle character, where punctuation
    belongs to the nearest word and the padding to the character beside it."""

    __slots__ = ("units", "gram_units", "has_words")

    def __init__(self, chunk: str, ns=CHAR_N):
        n_chars = len(chunk)
        units = [(m.start(), m.end()) for m in WORD.finditer(chunk)]
        self.has_words = bool(units)
        units = units or [(0, n_chars)]
        # each character belongs to its word, a gap between words is split at its middle
        owner: list[int] = []
        bounds = [(units[k][1] + units[k + 1][0] + 1) // 2 for k in range(len(units) - 1)] + [n_chars]
        for k, end in enumerate(bounds):
            owner += [k] * (end - len(owner))
        self.units = units
        last = n_chars - 1
        self.gram_units = [
            owner[min(max(i + (n - 1) // 2 - 1, 0), last)]  # padded middle → chunk position
            for n in ns
            for i in range(n_chars + 2 - n + 1)
        ]  # aligned with chunk_grams(chunk)


def term_words(term: str) -> tuple[str, ...]:
    """A silenced term as the folded words it matches ("Fantasy economics" →
    ("fantasy", "economics"))."""
    return tuple(WORD.findall(fold(term)))
