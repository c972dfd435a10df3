"""Text folding for matching, and the offset bookkeeping that goes with it.

Matching runs on a *folded* copy of the post: lower case, accents and
combining marks removed, curly quotes and dashes made plain, odd spaces made
plain. Folding maps each character to at most one character, so for almost
every post the folded text has the same length as the original and offsets
need no translation. Only deletions (combining marks, zero-width and soft
hyphen characters) change the length; then an index map is built.

Offsets inside the engine are Python code points. The browser counts UTF-16
code units; `Utf16Offsets` converts at the boundary.
"""

from __future__ import annotations

import bisect
import re
import unicodedata

import regex
from typing import Callable

# Characters whose folded form is nothing: they would otherwise split words
# ("Lab\u00adour") or carry accents in decomposed text ("Fe\u0301in"). Only
# the combining-mark blocks used with Latin letters: emoji variation
# selectors and other scripts' marks stay, so most posts keep a 1:1 fold.
_DELETE = {0x00AD, 0x200B, 0x2060, 0xFEFF}
_COMBINING = ((0x0300, 0x036F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF), (0xFE20, 0xFE2F))
_ASTRAL = regex.compile("[\U00010000-\U0010FFFF]")

_PUNCT = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u02bc": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-",
}


_FOLD_CACHE_MAX = 20_000


class _FoldTable(dict):
    """str.translate table computed per character on first sight."""

    def __missing__(self, cp: int):
        ch = chr(cp)
        if cp in _DELETE or any(lo <= cp <= hi for lo, hi in _COMBINING):
            out = None
        elif ch in _PUNCT:
            out = _PUNCT[ch]
        else:
            cat = unicodedata.category(ch)
            if cat in ("Mn", "Me"):
                out = ch
            elif cat == "Zs":
                out = " "
            else:
                base = unicodedata.normalize("NFD", ch)
                base = "".join(c for c in base if unicodedata.category(c) not in ("Mn", "Me"))
                low = (base or ch).lower()
                # One character in, at most one out: keeps offsets aligned.
                out = low[0] if low else ch
        # Bounded: posts covering every code point must not grow each worker
        # by hundreds of MB. Past the bound, rare characters are folded afresh.
        if len(self) < _FOLD_CACHE_MAX:
            self[cp] = out
        return out


_TABLE = _FoldTable()
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


def _fold_run(m) -> str:
    return m.group().translate(_TABLE)


def _fold(text: str) -> str:
    """text.translate(_TABLE), translating only the non-ASCII runs: the table folds an ASCII
    character to its lower case, and what it gives a non-ASCII one is already folded."""
    return _NON_ASCII_RUN.sub(_fold_run, text).lower()


class FoldedText:
    """The folded form of a text plus a map from folded to original offsets."""

    __slots__ = ("original", "folded", "_map")

    def __init__(self, original: str):
        self.original = original
        if original.isascii():
            self.folded = original.lower()
            self._map = None
            return
        folded = _fold(original)
        self.folded = folded
        if len(folded) == len(original):
            self._map = None
            return
        # Some characters were deleted: record where each kept one came from.
        mapping = []
        for i, ch in enumerate(original):
            if _TABLE[ord(ch)] is not None:
                mapping.append(i)
        mapping.append(len(original))
        self._map = mapping

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Original [start, end) for a folded [start, end)."""
        m = self._map
        if m is None:
            return start, end
        o_start = m[start]
        o_end = m[end - 1] + 1 if end > start else o_start
        # Keep combining marks that belong to the last matched letter.
        original = self.original
        n = len(original)
        while o_end < n and _TABLE[ord(original[o_end])] is None:
            o_end += 1
        return o_start, o_end


    def to_folded(self, start: int, end: int) -> tuple[int, int]:
        """Folded [start, end) for an original [start, end)."""
        m = self._map
        if m is None:
            return start, end
        return bisect.bisect_left(m, start), bisect.bisect_left(m, end)


class Utf16Offsets:
    """Converts code-point offsets of one text to UTF-16 code units."""

    __slots__ = ("_astral",)

    def __init__(self, text: str):
        # Positions of characters outside the BMP: each adds one code unit to
        # every offset after it. Most posts have none, and then this is free.
        if text.isascii():
            self._astral = ()
        else:
            self._astral = [m.start() for m in _ASTRAL.finditer(text)]

    def __call__(self, cp_offset: int) -> int:
        if not self._astral:
            return cp_offset
        return cp_offset + bisect.bisect_left(self._astral, cp_offset)


NON_ASCII = re.compile(r"[^\x00-\x7f]")


def char_test(pattern) -> Callable[[str], bool]:
    """Whether `pattern` matches at a character, each distinct character asked once: a post's
    non-ASCII characters are few and repeat (emoji), and the table is bounded, as the fold
    table is."""
    seen: dict[str, bool] = {}

    def test(ch: str) -> bool:
        got = seen.get(ch)
        if got is None:
            got = pattern.match(ch) is not None
            if len(seen) < _FOLD_CACHE_MAX:
                seen[ch] = got
        return got
    return test


def utf16_len(text: str) -> int:
    return len(text) if text.isascii() else len(text) + len(_ASTRAL.findall(text))


def find_lone_surrogate(text: str) -> int | None:
    """Code-point index of the first lone surrogate, or None.

    json.loads accepts "\\ud83d" on its own; such a string cannot be encoded
    and has no meaning to a reader, so the API refuses it.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return None
