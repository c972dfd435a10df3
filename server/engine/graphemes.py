"""Findings widened to whole grapheme clusters: what a reader sees as one character.

A phrase or pattern can end inside a cluster: the emoji in a ZWJ sequence ('💁' of
'💁‍♀️'), a base emoji before its skin tone, a letter before a combining accent, the CR of a
CR LF. The browser would then underline half a glyph, and a suggestion that replaces the
span would leave a stray modifier behind. Only an edge at a code point that can continue a
cluster is looked at again, so plain text costs one comparison per edge; the post's cluster
boundaries are then found once per check and each such edge is a bisect.

Not handled: a cluster that continues after a Prepend mark (U+0600 and kin, before a
letter), which no rule's span ends on."""

from __future__ import annotations

from bisect import bisect_left, bisect_right

import regex

# No cluster continues at a code point under U+0300 (the first combining mark) except the
# LF of a CR LF: the cheap test.
_FIRST_CONTINUING = 0x300
_CLUSTER = regex.compile(r"\X", regex.S)


def whole_clusters(text: str, findings: list) -> list:
    """The findings, each start moved back and each end moved on to a cluster boundary."""
    size, bounds = len(text), None
    for f in findings:
        if 0 < f.start < size and _may_continue(text, f.start):
            bounds = bounds or _boundaries(text)
            f.start = bounds[bisect_right(bounds, f.start) - 1]
        if 0 < f.end < size and _may_continue(text, f.end):
            bounds = bounds or _boundaries(text)
            f.end = bounds[bisect_left(bounds, f.end)]
    return findings


def _may_continue(text: str, at: int) -> bool:
    c = text[at]
    return ord(c) >= _FIRST_CONTINUING or c == "\n" and text[at - 1] == "\r"


def _boundaries(text: str) -> list[int]:
    """Every cluster boundary of the text, 0 and its length included."""
    return [0, *(m.end() for m in _CLUSTER.finditer(text))]
