"""Where a pattern's matches can start: run it only there.

A pattern like `\\b(?:passport|NHS number|...)\\s*...` can only match where one
of its leading literals begins. The `regex` module does not know that: it tries
the pattern at every position of the post, about a tenth of a microsecond each,
which for a long alternation is most of a check's time. Here each pattern's
leading literals are read at load (with Python's own regex parser, as the
prefilters are), all of them go into one Aho-Corasick automaton, and per post
the pattern is tried with `match` at the positions the automaton found, in
order, as `finditer` would find them: a match starts at one of those positions
or nowhere, and `match(text, pos)` sees the text before `pos` (for `\\b` and
lookbehinds) as `finditer` does.

Only ASCII posts are anchored: their lower case has the same offsets, and the
leading literals are cut to what an ASCII post can hold (`_for_ascii`). Other
posts take the plain `finditer`.
"""

from __future__ import annotations

import time

import ahocorasick_rs

from .prefilter import _ATOMIC, _REPEATS, _c, _parser, _stand_ins

_ZERO_WIDTH = {_c.AT, _c.ASSERT, _c.ASSERT_NOT}
_STOP = (None, None)  # in a walk: what follows is not known (after a repeat's body)
MAX_PREFIXES = 4096
MAX_STEPS = 50_000


class _TooMany(Exception):
    pass


def leading_literals(source: str) -> frozenset[str] | None:
    """Lower-case literals one of which begins (at the match's start) every match of
    `source`, or None when no such set is known or it would not narrow the search."""
    try:
        tree = _parser.parse(_stand_ins(source))
    except Exception:
        return None
    out: set[str] = set()
    try:
        _walk(list(tree), "", out, [0])
    except (_TooMany, RecursionError):
        return None
    found = {p for p in map(_for_ascii, out) if p is not None}
    if not all(_usable(p) for p in found):
        return None
    return frozenset(found)


def _for_ascii(prefix: str) -> str | None:
    """What of a prefix an ASCII post can hold: all of it; the part before a non-ASCII letter
    with an ASCII case partner ("ſ" matches "s" case-insensitively, the Kelvin sign "k"); or
    nothing (None) when another non-ASCII character ("á", "’") is in it, which no ASCII
    character matches."""
    for i, ch in enumerate(prefix):
        if ord(ch) >= 0x80:
            partners = ch.lower() + ch.upper() + ch.casefold()
            return prefix[:i] if any(c.isascii() for c in partners) else None
    return prefix


def _usable(prefix: str) -> bool:
    """Selective enough to anchor on."""
    return len(prefix) >= 2 or (len(prefix) == 1 and not prefix.isalnum() and not prefix.isspace())


def _walk(seq: list, prefix: str, out: set, steps: list) -> None:
    """Add to `out` each literal prefix a match of `seq` can begin with, `prefix` before it."""
    i = 0
    while i < len(seq):
        steps[0] += 1
        if steps[0] > MAX_STEPS or len(out) > MAX_PREFIXES:
            raise _TooMany
        op, av = seq[i]
        if (op, av) == _STOP:
            break
        if op in _ZERO_WIDTH:
            i += 1
        elif op == _c.LITERAL:
            ch = chr(av)
            prefix += ch.lower() if ch.isascii() else ch  # _for_ascii reads non-ASCII as written
            i += 1
        elif op == _c.SUBPATTERN:
            seq, i = list(av[-1]) + seq[i + 1:], 0
        elif op == _ATOMIC:
            seq, i = list(av) + seq[i + 1:], 0
        elif op == _c.BRANCH:
            for alt in av[1]:
                _walk(list(alt) + seq[i + 1:], prefix, out, steps)
            return
        elif op == _c.IN and av and len(av) <= 4 and all(o == _c.LITERAL for o, _ in av):
            for _, ch in av:
                _walk([(_c.LITERAL, ch)] + seq[i + 1:], prefix, out, steps)
            return
        elif op in _REPEATS:
            low, high, body = av
            if low == 0:
                _walk(seq[i + 1:], prefix, out, steps)
            if high != 0:
                _walk(list(body) + [_STOP], prefix, out, steps)
            return
        else:
            break
    out.add(prefix)


class AnchorIndex:
    """The leading literals of many patterns in one automaton. `ids[i]` is the anchor id
    of the i-th source (None: not anchored)."""

    def __init__(self, sources):
        literal_index: dict[str, int] = {}
        self.ids: list[int | None] = []
        self._members: list[frozenset] = []  # anchor id -> its literals' indexes
        for source in sources:
            lits = leading_literals(source)
            if lits is None:
                self.ids.append(None)
                continue
            self.ids.append(len(self._members))
            self._members.append(frozenset(literal_index.setdefault(t, len(literal_index)) for t in lits))
        self._literals = list(literal_index)
        self._automaton = (ahocorasick_rs.AhoCorasick(self._literals, matchkind=ahocorasick_rs.MatchKind.Standard)
                           if self._literals else None)

    def scan(self, lower: str) -> dict[int, list[int]]:
        """Literal index -> where it starts in `lower` (ascending)."""
        at: dict[int, list[int]] = {}
        if self._automaton is not None:
            for k, s, _ in self._automaton.find_matches_as_indexes(lower, overlapping=True):
                got = at.get(k)
                if got is None:
                    at[k] = [s]
                else:
                    got.append(s)
        return at

    def starts(self, anchor: int, at: dict[int, list[int]]) -> list[int]:
        """Where a match of the anchored pattern can start, ascending, without repeats."""
        members = self._members[anchor]
        found = [at[k] for k in members.intersection(at)]
        if len(found) == 1:
            return found[0]
        return sorted(set().union(*found))


def anchored_finditer(pattern, text: str, starts: list[int], timeout: float):
    """The matches `pattern.finditer(text)` gives, when every one starts at a position in
    `starts`: tried there in order, the next only from the end of the last match (anchored
    patterns begin with a literal, so no match is empty). The timeout holds for all of them."""
    if not starts:
        return
    stop = time.perf_counter() + timeout
    end = 0
    match = pattern.match
    for pos in starts:
        if pos < end:
            continue
        left = stop - time.perf_counter()
        if left <= 0:
            raise TimeoutError("regex timed out")
        m = match(text, pos, None, None, False, left)  # (string, pos, endpos, concurrent, partial, timeout)
        if m is not None:
            yield m
            end = m.end()
            if end <= pos:
                end = pos + 1
