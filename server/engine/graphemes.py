"""Findings widened to whole grapheme clusters: what a reader sees as one character.

A phrase or pattern can end inside a cluster: the emoji in a ZWJ sequence ('💁' of
'💁‍♀️'), a base emoji before its skin tone, a letter before a combining accent. The
browser would then underline half a glyph, and a suggestion that replaces the span would
leave a stray modifier behind. Only a span that starts or ends at a code point that
continues a cluster is looked at again, so plain text costs one comparison per edge."""

from __future__ import annotations

import regex

# No cluster continues at a code point under U+0300 (the first combining mark): the cheap test.
_FIRST_CONTINUING = 0x300
_CLUSTER = regex.compile(r"\X", regex.S)


def whole_clusters(text: str, findings: list) -> list:
    """The findings, each start moved back and each end moved on to a cluster boundary."""
    size = len(text)
    for f in findings:
        if 0 < f.start < size and ord(text[f.start]) >= _FIRST_CONTINUING:
            f.start = _boundary_at_or_before(text, f.start)
        if 0 < f.end < size and ord(text[f.end]) >= _FIRST_CONTINUING:
            f.end = _boundary_at_or_after(text, f.end)
    return findings


def _boundary_at_or_before(text: str, at: int) -> int:
    start = 0
    for m in _CLUSTER.finditer(text):
        if m.end() > at:
            return m.start()
        start = m.end()
    return start


def _boundary_at_or_after(text: str, at: int) -> int:
    for m in _CLUSTER.finditer(text):
        if m.end() >= at:
            return m.end()
    return len(text)
