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

Literals and post are compared folded as the `regex` module folds case
(`fold_char`: simple case folding, one character for one, so offsets stay those
of the post); a post with a character that has no one-character fold takes the
plain `finditer`.
"""

from __future__ import annotations

import functools
import re
import sys
import time

from . import fastscan
from .compile_cache import CACHE
from .prefilter import _ATOMIC, _REPEATS, _c, automaton, parse

_ZERO_WIDTH = {_c.AT, _c.ASSERT, _c.ASSERT_NOT}
MAX_PREFIXES = 4096
MAX_STEPS = 50_000
# Where the whole literals are more than MAX_PREFIXES, they are cut to these lengths, longest
# first: a literal's first characters begin every match the literal begins, and a list of
# hundreds of terms followed by another has few distinct beginnings.
CUTS = (8, 5, 3, 2)
# Anchor a pattern only if its literals start, in the sample, fewer than once per this
# many characters: where they are common, one `match` call per start costs more than the
# scan it replaces.
MAX_RATE = 1 / 80
# A post with more candidate starts than one per this many characters is scanned whole:
# a `match` call per start would cost more.
DENSITY = 6


class _TooMany(Exception):
    pass


def leading_literals(source: str) -> frozenset[str] | None:
    """Case-folded literals (`fold_char`) one of which begins every match of `source`, or
    None when no such set is known or it would not narrow the search. Pure: from the
    compile cache, like the prefilters."""
    return CACHE.get("anchors", source, lambda: _leading_literals(source))


def _leading_literals(source: str) -> frozenset[str] | None:
    tree = parse(source)
    if tree is None:
        return None
    for cut in (None,) + CUTS:
        out = _literals(tree, cut)
        if out is not None:
            break
    else:
        return None
    if not out or not all(_usable(p) for p in out):
        return None
    return _shortest(out)


def _literals(tree, cut: int | None) -> set[str] | None:
    """The literals _walk finds, each at most `cut` characters; None past the limits."""
    out: set[str] = set()
    try:
        _walk(tree, 0, None, "", out, _Budget(cut))
    except (_TooMany, RecursionError):
        return None
    return out


class _Budget:
    """What one walk may do: MAX_STEPS steps, literals of at most `cut` characters."""

    __slots__ = ("steps", "cut")

    def __init__(self, cut: int | None):
        self.steps = 0
        self.cut = cut


def _shortest(literals: set[str]) -> frozenset[str]:
    """The literals less those that begin with another of them ("id:" where "id" is one):
    wherever the longer one starts, the shorter does, and each extra literal found costs."""
    kept: list[str] = []
    for lit in sorted(literals):  # a literal sorts right after the ones it begins with
        if not (kept and lit.startswith(kept[-1])):
            kept.append(lit)
    return frozenset(kept)


@functools.lru_cache(maxsize=4096)
def fold_char(ch: str) -> str | None:
    """The one character that `ch` and every character the `regex` module matches to it
    case-insensitively fold to: "ſ" and "S" to "s", "ς" to "σ", the Kelvin sign to "k", and
    every whitespace character to " " (so `\\s` reads as " " in a literal). None when its case
    variants disagree ("ı" is its own fold, yet `(?i)I` matches it) or one folds to several
    characters ("ß", "ﬅ", "İ"), where `regex`'s simple folding may pair characters that
    Python's full folding does not: no literal may rely on it."""
    if ch.isspace():  # every character `\s` matches, and four more
        return " "
    return _case_fold(ch)


def _case_fold(ch: str) -> str | None:
    folds = {v.casefold() for v in (ch, ch.lower(), ch.upper(), ch.title(), ch.casefold()) if len(v) == 1}
    if len(folds) != 1:
        return None
    f = folds.pop()
    return f if len(f) == 1 else None


class _FoldTable(dict):
    """str.translate table of fold_char, filled on first sight of each character; a
    character with no one-character fold is kept as it is and remembered in `ambiguous`."""

    def __init__(self):
        super().__init__()
        self.ambiguous: set[str] = set()

    def __missing__(self, key: int) -> str:
        ch = chr(key)
        f = fold_char(ch)
        if f is None:
            self.ambiguous.add(ch)
        value = self[key] = ch if f is None else f
        return value


_FOLD = _FoldTable()


# ASCII folds by lower case and whitespace to " ", in one bytes.translate.
_ASCII_FOLD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ\t\n\v\f\r\x1c\x1d\x1e\x1f",
                              b"abcdefghijklmnopqrstuvwxyz" + b" " * 9)
_ASCII_SPACE = re.compile(r"[\t\n\v\f\r\x1c-\x1f]")


def fold_text(text: str) -> str | None:
    """The post folded character for character (same offsets), or None when a character of
    it has no one-character fold, so some match could start where no literal is found."""
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_FOLD).decode("ascii")
    if _unlike_lower().search(text) is None:
        return _ASCII_SPACE.sub(" ", text.lower())
    folded = text.translate(_FOLD)
    if _FOLD.ambiguous and not _FOLD.ambiguous.isdisjoint(text):
        return None
    return folded


@functools.cache
def _unlike_lower():
    """A class of the non-ASCII characters whose fold is not their lower case ("ſ", "ς", "ß",
    a no-break space): a post with none of them folds by str.lower() (and its ASCII whitespace
    by one substitution), many times faster than by the table. Built once,
    when the first rulebook is compiled (about a second), not on a request, and kept in the
    compile cache (its key: Python's version, in the cache's fingerprint)."""
    return re.compile("[" + CACHE.get("unicode", "unlike_lower", _unlike_lower_chars) + "]")


def _unlike_lower_chars() -> str:
    unlike = []
    for c in range(0x80, sys.maxunicode + 1):
        if 0xD800 <= c < 0xE000:
            continue
        ch = chr(c)
        if ch.lower() != ch or ch.upper() != ch or ch.casefold() != ch or ch.isspace():
            # after a letter too: str.lower() writes a word-final "Σ" as "ς"
            fold = fold_char(ch)
            if fold is None or fold != ch.lower() or fold != ("A" + ch).lower()[1:]:
                unlike.append(ch)
    return "".join(map(re.escape, unlike))  # for re: a big class is a bitmap


def _usable(prefix: str) -> bool:
    """Selective enough to anchor on."""
    return len(prefix) >= 2 or (len(prefix) == 1 and not prefix.isalnum() and not prefix.isspace())


def _walk(seq, i: int, then, prefix: str, out: set, budget: _Budget) -> None:
    """Add to `out` each literal prefix a match of seq[i:] and then of `then` can begin with,
    `prefix` before it. `then` is what follows, as (seq, i, then) again, or None: the end of
    the pattern, or of a repeat's body, after which the literal stops (more may repeat)."""
    while True:
        budget.steps += 1
        if budget.steps > MAX_STEPS or len(out) > MAX_PREFIXES:
            raise _TooMany
        if i >= len(seq):
            if then is None:
                break
            seq, i, then = then
            continue
        op, av = seq[i]
        if op in _ZERO_WIDTH:
            i += 1
        elif op == _c.LITERAL:
            f = fold_char(chr(av))
            if f is None:  # the literal ends before it: a shorter one still begins every match
                break
            prefix += f
            i += 1
            if len(prefix) == budget.cut:  # long enough: what follows need not be read
                break
        elif op in (_c.SUBPATTERN, _ATOMIC):
            seq, i, then = (av[-1] if op == _c.SUBPATTERN else av), 0, (seq, i + 1, then)
        elif op == _c.BRANCH:
            for alt in av[1]:
                _walk(alt, 0, (seq, i + 1, then), prefix, out, budget)
            return
        elif op == _c.IN and (chars := _small_class(av)) is not None:
            for ch in chars:
                _walk(((_c.LITERAL, ord(ch)),), 0, (seq, i + 1, then), prefix, out, budget)
            return
        elif op in _REPEATS:
            low, high, body = av
            if low == 0:
                _walk(seq, i + 1, then, prefix, out, budget)
            if high == 1:  # taken once, what follows it follows
                _walk(body, 0, (seq, i + 1, then), prefix, out, budget)
            elif high != 0 and low > 0:
                # X{1,} is X then X*, so the literal goes on through the first X: "time\s+for"
                # begins "time for", or "time  " where more space follows
                more = (op, (low - 1, high if high == _c.MAXREPEAT else high - 1, body))
                _walk(body, 0, ((more,), 0, (seq, i + 1, then)), prefix, out, budget)
            elif high != 0:  # more may repeat: the literal stops after one
                _walk(body, 0, None, prefix, out, budget)
            return
        else:
            break
    out.add(prefix)


def _small_class(items) -> list[str] | None:
    """The characters of a class of at most four literals and `\\s` (as " "), or None."""
    if not items or len(items) > 4:
        return None
    out = []
    for op, av in items:
        if op == _c.LITERAL:
            out.append(chr(av))
        elif op == _c.CATEGORY and av == _c.CATEGORY_SPACE:
            out.append(" ")
        else:
            return None
    return list(dict.fromkeys(out))


class AnchorIndex:
    """The leading literals of many patterns in one automaton. `ids[i]` is the anchor id
    of the i-th source (None: not anchored). `sample`: texts like the posts to come; a
    pattern whose literals are common in them ("in", "the", ".") is not anchored, since
    trying it at each would cost more than a scan, and every match found costs the
    automaton's pass a step."""

    def __init__(self, sources, sample=()):
        _unlike_lower()  # now, not on the first post that needs it
        candidates = [leading_literals(source) for source in sources]
        rate = _rates({t for lits in candidates if lits for t in lits}, sample)
        literal_index: dict[str, int] = {}
        self.ids: list[int | None] = []
        self._members: list[frozenset] = []  # anchor id -> its literals' indexes
        for lits in candidates:
            if lits is None or sum(rate.get(t, 0.0) for t in lits) > MAX_RATE:
                self.ids.append(None)
                continue
            self.ids.append(len(self._members))
            self._members.append(frozenset(literal_index.setdefault(t, len(literal_index)) for t in lits))
        self._literals = list(literal_index)
        self._automaton = automaton(self._literals)
        self._fast = fastscan.automaton(self._literals)  # the same pass in C, when built

    @property
    def n_literals(self) -> int:
        return len(self._literals)

    def members(self, anchor: int) -> frozenset:
        """The indexes (keys of `scan`'s answer) of the anchor's literals."""
        return self._members[anchor]

    def scan(self, text: str) -> dict[int, list[int]] | None:
        """Literal index -> where it starts in the post (ascending); None when the post
        cannot be folded for the automaton (`fold_text`)."""
        folded = fold_text(text)
        if folded is None:
            return None
        if self._fast is not None:
            return self._fast.starts(folded)
        at: dict[int, list[int]] = {}
        if self._automaton is not None:
            for k, s, _ in self._automaton.find_matches_as_indexes(folded, overlapping=True):
                got = at.get(k)
                if got is None:
                    at[k] = [s]
                else:
                    got.append(s)
        return at

    def starts(self, anchor: int, at: dict[int, list[int]], n_chars: int) -> list[int] | None:
        """Where a match of the anchored pattern can start in a post of `n_chars` characters
        (`scan`'s answer `at`), ascending, without repeats; None where so many that a plain
        scan is cheaper."""
        members = self._members[anchor]
        # Either way looks up each key of one operand: a set's intersection with a dict walks
        # the dict (the ~30 literals a post holds), a dict's keys & a set walk the set (an
        # anchor's literals: a handful for most, over a thousand for a few).
        keys = members.intersection(at) if len(members) > len(at) else at.keys() & members
        if not keys:  # most anchored patterns a post's prefilters admit: none of their literals
            return []
        if len(keys) == 1:
            for k in keys:
                starts = at[k]
        else:
            starts = sorted(set().union(*[at[k] for k in keys]))
        return None if len(starts) * DENSITY > n_chars else starts


def _rates(literals: set[str], sample) -> dict[str, float]:
    """Occurrences of each literal per character of the sample texts (folded)."""
    ordered = sorted(literals)
    found = automaton(ordered)
    counts = [0] * len(ordered)
    chars = 0
    for text in sample:
        folded = fold_text(text)
        if folded is None or found is None:
            continue
        chars += len(folded)
        for k, _, _ in found.find_matches_as_indexes(folded, overlapping=True):
            counts[k] += 1
    return {t: n / chars for t, n in zip(ordered, counts)} if chars else {}


def anchored_finditer(pattern, text: str, starts: list[int], timeout: float):
    """The matches `pattern.finditer(text)` gives, when every one starts at a position in
    `starts`: tried there in order, the next only from the end of the last match (anchored
    patterns begin with a literal, so every match ends after its start). The timeout holds
    for all of them."""
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
        m = match(text, pos, None, False, False, left)  # (string, pos, endpos, concurrent, partial, timeout)
        if m is not None:
            yield m
            end = m.end()
