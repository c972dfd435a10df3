"""What text a regular expression cannot match without.

At load time each pattern is read (with Python's own regex parser) for what
every match must contain: literal strings ("#" for a hashtag rule, "kicking"),
one of several words (a {@list} alternation, "Road|Street|Lane"), a number of
digits (a phone number needs ten or so), a non-ASCII character (emoji). All
those literals go into one Aho-Corasick automaton; per post it runs once, and
a pattern runs only if the post has what it needs. Most posts skip most
patterns, for a few set look-ups each.
"""

from __future__ import annotations

import functools
import re

import ahocorasick_rs
import regex

from . import fastscan
from .compile_cache import CACHE

try:
    import re._constants as _c
    import re._parser as _parser
except ImportError:  # pragma: no cover
    import sre_constants as _c  # type: ignore
    import sre_parse as _parser  # type: ignore

_I = _c.SRE_FLAG_IGNORECASE
_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", _c.MAX_REPEAT)}
_ATOMIC = getattr(_c, "ATOMIC_GROUP", None)
NON_ASCII = ("non_ascii",)
# Two ASCII capitals in a row (case-sensitive): shouting and all-caps words. A third of posts have one.
UPPER_PAIR = ("upper_pair",)
_ZERO_WIDTH = {_c.ASSERT, _c.ASSERT_NOT, _c.AT}
# Literals shorter than this ("s" of "'s", "we", "he") occur inside nearly every
# post: scanning for them as substrings costs more than the patterns they would
# skip. One or two symbols ("#", "£", "!!") are rare enough to keep, and a short
# literal the pattern bounds as a whole word ("\bMr\b", "\s(?:he|she)\s") is
# looked up in the post's set of words instead.
MIN_LITERAL = 3
# Copies of a repeated character kept in a literal ("!{2,}" needs "!!").
MAX_COPIES = 4
_STARTS = {_c.AT_BEGINNING, _c.AT_BEGINNING_STRING, _c.AT_BOUNDARY}
_ENDS = {_c.AT_END, _c.AT_END_STRING, _c.AT_BOUNDARY}
_NONWORD_CATEGORIES = {_c.CATEGORY_SPACE, _c.CATEGORY_NOT_WORD}


def automaton(literals: list[str]):
    """One Aho-Corasick automaton over `literals` (None for none), as every pass of the engine
    builds them: the prefilters', the anchors' and the checker's."""
    return ahocorasick_rs.AhoCorasick(literals, matchkind=ahocorasick_rs.MatchKind.Standard) if literals else None


def _selective(lit: str) -> bool:
    return len(lit) >= MIN_LITERAL or (len(lit) <= 2 and _rare_symbols(lit))


def _rare_symbols(lit: str) -> bool:
    """One or two symbols, not only the everyday ".,'-": "#", "£", "!!", "?!"."""
    return (bool(lit) and not any(ch.isalnum() or ch.isspace() for ch in lit)
            and any(ch not in ".,'-" for ch in lit))


def _word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _class_kind(items) -> str | None:
    """'digit', 'non_ascii' or 'non_word' when every member of a [...] class is one, else None."""
    if not items:
        return None
    if all((op == _c.LITERAL and 48 <= av <= 57) or (op == _c.RANGE and 48 <= av[0] <= av[1] <= 57)
           or (op == _c.CATEGORY and av == _c.CATEGORY_DIGIT) for op, av in items):
        return "digit"
    if all((op == _c.LITERAL and av >= 0x80) or (op == _c.RANGE and av[0] >= 0x80) for op, av in items):
        return "non_ascii"
    if all((op == _c.LITERAL and av < 0x80 and not _word_char(chr(av)))
           or (op == _c.CATEGORY and av in _NONWORD_CATEGORIES) for op, av in items):
        return "non_word"
    return None


def _excludes_word(assertion) -> bool:
    """(?<![\\w#]) and the like: the neighbour is not a word character."""
    return (len(assertion) == 1 and assertion[0][0] == _c.IN
            and any(op == _c.CATEGORY and av == _c.CATEGORY_WORD for op, av in assertion[0][1]))


def _non_word(op, av) -> bool:
    """Does this element always consume exactly one non-word character?"""
    if op == _c.LITERAL:
        return not _word_char(chr(av))
    if op == _c.IN:
        return _class_kind(av) == "non_word"
    if op == _c.CATEGORY:
        return av in _NONWORD_CATEGORIES
    return False


def _after(op, av, before: bool) -> bool:
    """Is the character just before the next element a non-word one (or the start)?
    `before`: was it so before this element."""
    if _non_word(op, av):
        return True
    if op == _c.AT:
        return av in _STARTS or (before and av != _c.AT_NON_BOUNDARY)
    if op in (_c.ASSERT, _c.ASSERT_NOT):
        return (before or (op == _c.ASSERT_NOT and av[0] == -1 and _excludes_word(av[1]))
                # a lookbehind's text ends here: "(?<=\s)" leaves a non-word character behind
                or (op == _c.ASSERT and av[0] == -1 and _state_after(av[1], False)))
    if op == _c.SUBPATTERN:
        return _state_after(av[-1], before)
    if op == _ATOMIC:
        return _state_after(av, before)
    if op == _c.BRANCH:
        return all(_state_after(alt, before) for alt in av[1])
    if op in _REPEATS:
        last = _state_after(av[2], False)  # the last repetition, whatever came before it
        return last if av[0] >= 1 else before and _state_after(av[2], before)
    return False


def _state_after(seq, before: bool) -> bool:
    for op, av in seq:
        before = _after(op, av, before)
    return before


def _bounded_after(seq, i: int, right: bool) -> bool:
    """Does whatever follows seq[i-1] begin with a non-word character (or the end)?"""
    for k in range(i, len(seq)):
        op, av = seq[k]
        if _non_word(op, av) or (op == _c.AT and av in _ENDS):
            return True
        if op == _c.ASSERT_NOT and av[0] == 1 and _excludes_word(av[1]):
            return True
        if op in (_c.ASSERT, _c.ASSERT_NOT):
            continue
        if op in (_c.SUBPATTERN, _ATOMIC, _c.BRANCH):
            rest = _bounded_after(seq, k + 1, right)
            alts = av[1] if op == _c.BRANCH else [av[-1] if op == _c.SUBPATTERN else av]
            return all(_bounded_after(list(alt), 0, rest) for alt in alts)
        if op in _REPEATS:
            if not _bounded_after(list(av[2]), 0, False):
                return False
            if av[0] >= 1:
                return True
            continue  # optional: it begins with a non-word character, or the rest does
        return False
    return right


def _runs_words(run: str, left: bool, right: bool, ci: bool) -> set:
    """The whole words inside a literal run whose both neighbours are known non-word."""
    out = set()
    for m in _WORD_IN_RUN.finditer(run):
        s, e = m.span()
        if (left if s == 0 else True) and (right if e == len(run) else True):
            out.add(("w", m.group().lower(), ci))
    return out


_WORD_IN_RUN = re.compile(r"\w+")


def _must(seq, ci: bool, left: bool = False, right: bool = False) -> set:
    """Tokens every match of `seq` contains: ("s", text, ci) a substring,
    ("w", word, ci) a whole word, ("any", choices, ci) one of several, NON_ASCII.
    `left`/`right`: the characters around `seq` are known to be non-word."""
    seq = list(seq)
    out: set = set()
    run: list[int] = []
    run_left = left   # is the run's first character preceded by a non-word one?
    state = left      # is the current position preceded by a non-word character?
    capital = False   # is the character just consumed certainly an ASCII capital?

    def text():
        return "".join(chr(c).lower() if ci else chr(c) for c in run)

    def end_run(right_bounded: bool):
        if run:
            out.add(("s", text(), ci))
            out.update(_runs_words(text(), run_left, right_bounded, ci))
            run.clear()

    def flush(i):
        end_run(_bounded_after(seq, i, right))

    for i, (op, av) in enumerate(seq):
        capitals = _capitals(op, av, ci)
        if capitals and (capital or capitals > 1):
            out.add(UPPER_PAIR)
        capital = capitals > 0 or (capital and op in _ZERO_WIDTH)
        if op == _c.LITERAL or _repeated_literal(op, av):
            ch, copies = (av, 1) if op == _c.LITERAL else (av[2][0][1], min(av[0], MAX_COPIES))
            if not run:
                run_left = state
            run.extend([ch] * copies)
            if ch >= 0x80:
                out.add(NON_ASCII)
            if op != _c.LITERAL and av[1] != copies:
                # More copies may follow: the run ends after the first ones and the last
                # ones begin the next ("\?+!+" needs "?!"). What follows is not known.
                end_run(False)
                run.extend([ch] * copies)
                run_left = False
            state = not _word_char(chr(ch))
            continue
        after = _bounded_after(seq, i + 1, right)
        alts = _alternatives(op, av)
        if alts is not None and run:
            # The parser moves a shared prefix out of an alternation ("Mr|Ms" is "M" then "r|s"):
            # put it back so each alternative is read as the whole word it is.
            prefix = [(_c.LITERAL, c) for c in run]
            out.add(("s", text(), ci))
            out |= _branch([_must(prefix + alt, ci, run_left, after) for alt in alts], ci)
            run.clear()
            state = _after(op, av, False)
            continue
        flush(i)
        if op == _c.IN:
            if len(av) == 1 and av[0][0] == _c.LITERAL:
                ch = chr(av[0][1])
                out.add(("s", ch.lower() if ci else ch, ci))
            elif _class_kind(av) == "non_ascii":
                out.add(NON_ASCII)
        elif op == _c.SUBPATTERN:
            add, dele = av[1], av[2]
            out |= _must(av[-1], (ci or bool(add & _I)) and not (dele & _I), state, after)
        elif op in _REPEATS and av[0] >= 1:
            out |= _must(av[2], ci, state, after and av[1] == 1)
        elif op == _ATOMIC:
            out |= _must(av, ci, state, after)
        elif op == _c.BRANCH:
            out |= _branch([_must(alt, ci, state, after) for alt in av[1]], ci)
        elif op == _c.ASSERT:
            out |= _must(av[1], ci)  # a positive lookaround must match too
        state = _after(op, av, state)
    flush(len(seq))
    return out


def _capital(op, av, ci: bool) -> bool:
    """Does this element consume exactly one character, certainly an ASCII capital?"""
    if ci:
        return False
    if op == _c.LITERAL:
        return 65 <= av <= 90
    return op == _c.IN and bool(av) and all(
        (o == _c.LITERAL and 65 <= a <= 90) or (o == _c.RANGE and 65 <= a[0] <= a[1] <= 90) for o, a in av)


def _capitals(op, av, ci: bool) -> int:
    """How many ASCII capitals in a row this element certainly begins and ends with
    (1 for "[A-Z]" or "[A-Z]+", 2 for "[A-Z]{2,}"; 0 when it may begin or end otherwise)."""
    if _capital(op, av, ci):
        return 1
    if op in _REPEATS and av[0] >= 1 and len(av[2]) == 1 and _capital(*av[2][0], ci):
        return min(av[0], 2)
    return 0


def _repeated_literal(op, av) -> bool:
    """c{m,n} with m >= 1 for one literal character c."""
    return op in _REPEATS and av[0] >= 1 and len(av[2]) == 1 and av[2][0][0] == _c.LITERAL


def _alternatives(op, av) -> list | None:
    """The alternatives of an alternation, or of a class of plain characters ("r|s" is parsed as [rs])."""
    if op == _c.BRANCH:
        return [list(alt) for alt in av[1]]
    if op == _c.IN and av and all(o == _c.LITERAL for o, _ in av):
        return [[(_c.LITERAL, a)] for _, a in av]
    return None


def _branch(alts: list[set], ci: bool) -> set:
    """What a match of one of `alts` contains: what all share, or one choice per alternative."""
    if not alts:
        return set()
    common = set.intersection(*alts)
    out = common | _any_word(alts, common)
    choices: set = set()
    for tokens in alts:
        best = _best(tokens - common)
        if best is None:
            return out
        choices |= best
    return out | {("any", frozenset(choices), ci)}


def _any_word(alts: list[set], common: set) -> set:
    """{("anyw", words)} when every alternative needs a whole word (its longest, or one of a
    nested alternation's): the post must hold one of them as a word, where "any" above may
    find its literal inside another ("Ave" in "have")."""
    words: set = set()
    for tokens in alts:
        own = sorted((t[1] for t in tokens - common if t[0] == "w" and t[1].isascii()), key=lambda w: (-len(w), w))
        if own:
            words.add(own[0])
            continue
        nested = sorted((t[1] for t in tokens - common if t[0] == "anyw"), key=lambda g: (len(g), sorted(g)))
        if not nested:
            return set()
        words |= nested[0]
    return {("anyw", frozenset(words))}


def _usable(kind: str, text: str) -> bool:
    return _selective(text) or (kind == "w" and len(text) >= 2)


def _best(tokens: set) -> frozenset | None:
    """The most selective need of one alternative: a long literal, a whole word, or a smaller alternation."""
    ranked = []
    for t in tokens:
        if t[0] == "s" and _selective(t[1]):
            ranked.append(((0, -len(t[1])), frozenset({("s", t[1], t[2])})))
        elif t[0] == "w" and len(t[1]) >= 2:
            # a word here is one of two letters (longer ones are literals too): "of", "in"
            # are in most posts, so an alternation of literals beats it
            ranked.append(((2, -len(t[1])), frozenset({("w", t[1], True)})))  # words are lower case
        elif t[0] == "any" and all(_usable(*c[:2]) for c in t[1]):
            ranked.append(((1, len(t[1])), t[1]))
    # Ties go to the first in sorted order: the same choice in every process (set order is not).
    return min(ranked, key=lambda r: (r[0], sorted(r[1])))[1] if ranked else None


def _min_digits(seq) -> int:
    """Fewest digits any match of `seq` contains (phone numbers need 10 or so)."""
    n = 0
    for op, av in seq:
        if op == _c.LITERAL:
            n += 48 <= av <= 57
        elif op == _c.IN:
            n += _class_kind(av) == "digit"
        elif op == _c.SUBPATTERN:
            n += _min_digits(av[-1])
        elif op in _REPEATS and av[0] >= 1:
            n += av[0] * _min_digits(av[2])
        elif op == _ATOMIC:
            n += _min_digits(av)
        elif op == _c.BRANCH:
            n += min(_min_digits(alt) for alt in av[1])
    return n


# `regex`-only syntax that Python's parser cannot read, with a stand-in that keeps what
# matters here (a non-ASCII class) or promises nothing. Anything else unreadable: no prefilter.
_PICTOGRAPHIC = {"Extended_Pictographic", "ExtPict", "Emoji_Presentation", "Regional_Indicator"}
_NON_ASCII = r"\u0080-\U0010FFFF"
_PROPERTY = re.compile(r"\\([pP])\{([A-Za-z_=]+)\}")
# \K only moves where the reported match starts; what it needs is unchanged.
_KEEP_OUT = re.compile(r"(?<!\\)((?:\\\\)*)\\K")


def _classes(source: str):
    """(start, end) of each character class of `source`, brackets included."""
    out, i, n = [], 0, len(source)
    while i < n:
        c = source[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            j = i + 1
            if j < n and source[j] == "^":
                j += 1
            if j < n and source[j] == "]":  # a ']' first in a class is a literal
                j += 1
            while j < n and source[j] != "]":
                j += 2 if source[j] == "\\" else 1
            out.append((i, j + 1))
            i = j + 1
            continue
        i += 1
    return out


def _stand_ins(source: str) -> str:
    """Property classes (\\p{...}) replaced by what Python's parser reads. A pictographic one is
    any non-ASCII character: a range inside a class, a class of its own outside one. Any other,
    or any negated one, promises nothing; a negated class holding one becomes any character, since
    its complement of a stand-in would promise what the original does not."""
    if "\\p{" not in source and "\\P{" not in source:
        return _KEEP_OUT.sub(r"\1", source)
    out, last = [], 0
    for s, e in _classes(source):
        out.append(_outside(source[last:s]))
        body = source[s:e]
        if _PROPERTY.search(body):
            negated = body.startswith("[^") or any(m.group(1) == "P" for m in _PROPERTY.finditer(body))
            body = r"[\s\S]" if negated else _PROPERTY.sub(
                lambda m: _NON_ASCII if m.group(2) in _PICTOGRAPHIC else r"\w", body)
        out.append(body)
        last = e
    out.append(_outside(source[last:]))
    return _KEEP_OUT.sub(r"\1", "".join(out))


def _outside(part: str) -> str:
    return _PROPERTY.sub(lambda m: f"[{_NON_ASCII}]" if m.group(1) == "p" and m.group(2) in _PICTOGRAPHIC
                         else r"[\s\S]", part)


# 4096, not a few hundred: the shipped rulebook alone has over 550 patterns, read in order at
# each load, and an LRU smaller than that misses on every one of them.
@functools.lru_cache(maxsize=4096)
def _read(source: str) -> tuple:
    """(Python's parse tree, None) of a pattern, `regex`-only syntax replaced by its stand-ins,
    or (None, why Python's parser cannot read it)."""
    try:
        return _parser.parse(_stand_ins(source)), None
    except Exception as exc:
        return None, exc


def parse(source: str):
    """The parse tree, or None when Python's parser cannot read the pattern. Read-only: the
    prefilters and the anchors (anchors.py) each read every pattern at load, and a reload
    mostly reads the same ones."""
    return _read(source)[0]


def refusal(source: str) -> Exception | None:
    """Why Python's parser cannot read a pattern (parse() gives None), or None when it can:
    for `impartial lint`, which names what keeps a pattern from being prefiltered."""
    return _read(source)[1]


def analyse(source: str) -> tuple[frozenset, int] | None:
    """What a match of `source` needs: from the compile cache, since a reload, a second app
    or a new worker compiles mostly the same patterns and this walk is most of a checker's
    build."""
    return CACHE.get("prefilter", source, lambda: _analysed(source))


def _analysed(source: str) -> tuple[frozenset, int] | None:
    tree = parse(source)
    if tree is None:
        return None
    ci = bool(tree.state.flags & _I)
    return frozenset(_must(list(tree), ci)), _min_digits(list(tree))


class Prefilter:
    """The needs of one pattern, as indexes into the shared literal automaton
    and whole words to find in the post's set of words."""

    __slots__ = ("all_idx", "exact", "any_idx", "words", "any_words", "digits", "non_ascii", "id",
                 "groups", "word_choices", "cased_groups", "upper_pair", "anchor")

    def __init__(self, all_idx, exact, any_idx, words, any_words, digits, non_ascii):
        self.id = -1                # its position in PrefilterIndex.prefilters
        self.all_idx = all_idx      # literals that must all be present (case-folded)
        self.exact = exact          # case-sensitive literals to confirm on the original text
        # Per alternation: (literal indexes, words), one needed. An alternation of whole words has
        # no literal: a literal may sit inside another word ("Ave" in "have", "Close" in "closed").
        self.any_idx = any_idx
        self.words = words          # whole words that must all be present (lower case)
        self.any_words = any_words  # True when some alternation needs the word set
        self.digits = digits
        self.non_ascii = non_ascii
        # The alternations as ids of PrefilterIndex's literal groups (set by the index):
        # those of literals only, and (id, words) for the rest.
        self.groups = None
        self.word_choices = None
        # Alternations whose every choice is a case-sensitive literal:
        # (literal indexes, index -> the spellings to find in the original text).
        self.cased_groups = ()
        self.upper_pair = False     # needs two ASCII capitals in a row
        self.anchor = None          # its id in PrefilterIndex.anchors, if its matches start at known literals

    def admits(self, post: "PostScan") -> bool:
        present = post.present
        if self.all_idx and not self.all_idx <= present:
            return False
        if self.digits and post.digits < self.digits:
            return False
        if self.non_ascii and post.ascii:
            return False
        if self.upper_pair and not post.upper_pair:
            return False
        if self.groups and not self.groups <= post.groups:
            return False
        text = post.text
        for s in self.exact:
            if s not in text:
                return False
        for literals, spellings in self.cased_groups:
            if not any(s in text for k in literals & present for s in spellings[k]):
                return False
        if self.words or self.any_words:
            return self.words_met(post.words, post.groups)
        return True

    def words_met(self, words: frozenset, groups) -> bool:
        """The post's words hold every word needed and one choice of each word alternation
        (or the alternation's literal group is present)."""
        return self.words <= words and all(gid in groups or not words.isdisjoint(choices)
                                           for gid, choices in self.word_choices)


def _anchor_only() -> Prefilter:
    """A prefilter that needs nothing, for a pattern whose needs the walk could not read but
    whose leading literals the anchors did (`\\bCrs?\\s|...|Mayor`): it admits every post, and
    runnable() drops it where none of those literals starts, as for any anchored pattern."""
    return Prefilter(frozenset(), (), (), frozenset(), False, 0, False)


def _needs_only(pf: "Prefilter", keys: tuple) -> bool:
    """Is the one need of `pf` the literal or the alternation it is filed under (`keys`)?
    Then any post holding one of `keys` admits it."""
    if pf.digits or pf.non_ascii or pf.upper_pair or pf.exact or pf.cased_groups or pf.words or pf.any_words:
        return False
    if pf.all_idx:
        return not pf.any_idx and pf.all_idx == frozenset(keys)
    return len(pf.any_idx) == 1 and not pf.any_idx[0][1] and frozenset(pf.any_idx[0][0]) == frozenset(keys)


class PrefilterIndex:
    """Builds the prefilters of many patterns around one literal automaton."""

    def __init__(self, sources, sample=()):
        """`sample`: texts like the posts to come (the rule examples), to file each
        prefilter under its rarest literals; any sample gives the same answers."""
        from .anchors import AnchorIndex  # it reads this module's parser helpers

        self._index: dict[str, int] = {}
        self._fast = None  # the C path of admitted() (fastscan.py), once the index is built
        sources, sample = list(sources), list(sample)
        self.prefilters = [self._build(source) for source in sources]
        # A pattern with leading literals needs one of them, so an anchored pattern always
        # has a prefilter (one that needs nothing where the walk read no other need), and
        # find() reads the anchor from it.
        self.anchors = AnchorIndex(sources, sample)
        for i, anchor in enumerate(self.anchors.ids):
            if anchor is not None and self.prefilters[i] is None:
                self.prefilters[i] = _anchor_only()
            if self.prefilters[i] is not None:
                self.prefilters[i].anchor = anchor
        self._literals = list(self._index)
        self._automaton = automaton(self._literals)
        self._fast_literals = fastscan.automaton(self._literals)  # the same keys, for PostScan.present
        self._file(self._frequencies(sample))
        self._file_anchored()
        if fastscan.FAST:
            self._fast = self._fast_admission()

    def _file_anchored(self) -> None:
        """For runnable(): the anchored prefilters, and per literal of the anchors' scan the
        anchored prefilters it opens (one of whose leading literals it is)."""
        opens: list[set] = [set() for _ in range(self.anchors.n_literals)]
        anchored = [pf for pf in self.prefilters if pf is not None and pf.anchor is not None]
        for pf in anchored:
            for k in self.anchors.members(pf.anchor):
                opens[k].add(pf.id)
        self._anchored = frozenset(pf.id for pf in anchored)
        self._opened_by_literal = [frozenset(ids) for ids in opens]

    def _fast_admission(self):
        """admitted() in C (fastscan.py): each prefilter's needs as tuples of ints, the
        words numbered; None where the C path cannot say the same (a word that is not ASCII
        would need the `regex` module's word characters), and admitted() stays Python."""
        vocab = sorted({w for pf in self.prefilters if pf is not None
                        for w in pf.words.union(*(choices for _, choices in pf.word_choices))})
        word_id = {w: i for i, w in enumerate(vocab)}
        specs = [None if pf is None else (
            tuple(pf.all_idx), pf.digits, pf.non_ascii, pf.upper_pair, tuple(pf.groups), tuple(pf.exact),
            tuple(tuple((k, spellings[k]) for k in sorted(literals)) for literals, spellings in pf.cased_groups),
            tuple(word_id[w] for w in pf.words),
            tuple((gid, tuple(word_id[w] for w in sorted(choices))) for gid, choices in pf.word_choices),
            pf.id in self._implied) for pf in self.prefilters]
        n_groups = 1 + max((g for gs in self._in_groups for g in gs), default=-1)
        n_groups = max([n_groups] + [gid + 1 for pf in self.prefilters if pf is not None for gid, _ in pf.word_choices])
        try:
            return fastscan._fastscan.Admission(len(self._literals), n_groups, specs, list(self._by_literal),
                                                list(self._in_groups), self._unfiled, tuple(vocab), _words_for_c)
        except ValueError:
            return None

    def _frequencies(self, sample) -> list[int]:
        """In how many sample texts each literal occurs."""
        freq = [0] * len(self._literals)
        for text in sample:
            for k in PostScan(text, self).present:
                freq[k] += 1
        return freq

    def _number_groups(self) -> None:
        """Number each distinct alternation of literals, so that a post finds every one it
        satisfies in one pass over its literals (PostScan.groups) instead of one set test each.
        The alternations of whole words share the id of the empty group, which no post has."""
        ids: dict[frozenset, int] = {}
        for pf in self.prefilters:
            if pf is not None:
                pf.groups = frozenset(ids.setdefault(g, len(ids)) for g, words in pf.any_idx if not words)
                pf.word_choices = tuple((ids.setdefault(g, len(ids)), words) for g, words in pf.any_idx if words)
        in_groups: list[list[int]] = [[] for _ in self._literals]
        for group, gid in ids.items():
            for k in group:
                in_groups[k].append(gid)
        self._in_groups = [tuple(g) for g in in_groups]

    def groups(self, present: frozenset) -> set:
        """Ids of the alternations one of whose literals is present."""
        # one union over the literals' tuples: a set.update call per literal costs more
        return set().union(*map(self._in_groups.__getitem__, present))

    def _file(self, freq: list[int]) -> None:
        """File each prefilter under literals one of which every post it admits contains, so a
        post tests only the prefilters filed under literals it has (plus the few filed under none)."""
        self._number_groups()
        by_literal: list[list[int]] = [[] for _ in self._literals]
        unfiled, implied = [], []
        for i, pf in enumerate(self.prefilters):
            if pf is None:
                continue
            pf.id = i
            keys = self._keys(pf, freq)
            if keys is None:
                unfiled.append(i)
            elif _needs_only(pf, keys):
                implied.append(i)
            for k in keys or ():
                by_literal[k].append(i)
        self._by_literal = [tuple(ids) for ids in by_literal]
        self._unfiled = tuple(unfiled)
        # Filed under the one thing they need: a post that makes them candidates admits them.
        self._implied = frozenset(implied)

    def _keys(self, pf: Prefilter, freq: list[int]) -> tuple | None:
        """Literals one of which `pf` needs: one it requires, or an alternation whose every
        choice is a literal of the automaton, whichever the sample has least (then the
        longest). None: it needs no such literal."""
        options = [(k,) for k in pf.all_idx] + [tuple(sorted(g)) for g, words in pf.any_idx if not words]
        if not options:
            return None
        literals = self._literals
        return min(options, key=lambda ks: (sum(freq[k] for k in ks), -min(len(literals[k]) for k in ks), ks))

    @property
    def literals(self) -> list[str]:
        """Every literal the prefilters look for, lower case, by index."""
        return self._literals

    def admitted(self, scan: "PostScan") -> frozenset:
        """Ids of the prefilters that admit the post: exactly those whose `admits` is true.
        In C when built (fastscan.py); this is the reference.
        `Prefilter.admits` inlined over the candidates, each of the post's measures read once
        and only if some candidate needs it (a method and property calls per candidate cost
        more than the tests themselves)."""
        present = scan.present
        candidates = set(self._unfiled).union(*map(self._by_literal.__getitem__, present))
        implied = self._implied.intersection(candidates)
        candidates -= implied
        prefilters = self.prefilters
        out = list(implied)
        text = scan.text
        digits = groups = words = upper_pair = None
        is_ascii = text.isascii()
        for i in candidates:
            pf = prefilters[i]
            if pf.all_idx and not pf.all_idx <= present:
                continue
            if pf.digits:
                if digits is None:
                    digits = scan.digits
                if digits < pf.digits:
                    continue
            if pf.non_ascii and is_ascii:
                continue
            if pf.upper_pair:
                if upper_pair is None:
                    upper_pair = scan.upper_pair
                if not upper_pair:
                    continue
            if pf.groups:
                if groups is None:
                    groups = scan.groups
                if not pf.groups <= groups:
                    continue
            if pf.exact and not all(s in text for s in pf.exact):
                continue
            if pf.cased_groups and not all(any(s in text for k in literals & present for s in spellings[k])
                                           for literals, spellings in pf.cased_groups):
                continue
            if pf.words or pf.any_words:
                if words is None:
                    words = scan.words
                if groups is None:
                    groups = scan.groups
                if not pf.words_met(words, groups):
                    continue
            out.append(i)
        return frozenset(out)

    def _idx(self, s: str) -> int:
        return self._index.setdefault(s.lower(), len(self._index))

    def _build(self, source: str) -> Prefilter | None:
        found = analyse(source)
        if found is None:
            return None
        tokens, digits = found
        all_idx, exact, any_idx, words, cased_groups = set(), [], [], set(), []
        for t in tokens:
            if t[0] == "s" and _selective(t[1]):
                all_idx.add(self._idx(t[1]))
                if not t[2] and t[1] != t[1].lower():
                    exact.append(t[1])
            elif t[0] == "w" and _usable(*t[:2]) and (t[1].isascii() or not _selective(t[1])):
                # A longer word is a literal too (all_idx): one not ASCII is left at that, so that
                # admitted() stays in C, which reads ASCII words only.
                words.add(t[1])
            elif t[0] == "anyw":
                any_idx.append((frozenset(), t[1]))
            elif t[0] == "any":
                group = self._any(t[1])
                if group is not None:
                    any_idx.append(group)
                    cased = self._cased(t[1])
                    if cased is not None:
                        cased_groups.append(cased)
        non_ascii = NON_ASCII in tokens
        upper = UPPER_PAIR in tokens
        if not (all_idx or any_idx or words or digits or non_ascii or upper):
            return None
        any_idx.sort(key=lambda g: bool(g[1]))  # the automaton-only groups are the cheaper test
        pf = Prefilter(frozenset(all_idx), tuple(exact), tuple(any_idx), frozenset(words),
                       any(g[1] for g in any_idx), digits, non_ascii)
        pf.cased_groups = tuple(cased_groups)
        pf.upper_pair = upper
        return pf

    def _any(self, choice) -> tuple | None:
        """One alternation: (literal indexes, whole words), or None if some alternative is unselective.
        Case-folded: a case-sensitive alternation is only narrowed, never wrongly refused."""
        idx, words = set(), set()
        for kind, text, _ in choice:
            if _selective(text):
                idx.add(self._idx(text))
            elif _usable(kind, text):
                words.add(text.lower())
            else:
                return None
        return frozenset(idx), frozenset(words)

    def _cased(self, choice) -> tuple | None:
        """(literal indexes, index -> spellings) when every alternative needs a literal as
        written (case-sensitive): the post must hold one of them so, not only case-folded."""
        spellings: dict[int, set] = {}
        for kind, text, ci in choice:
            if kind != "s" or ci or not _selective(text):
                return None
            spellings.setdefault(self._idx(text), set()).add(text)
        return frozenset(spellings), {k: tuple(sorted(v)) for k, v in spellings.items()}

    def scan(self, text: str) -> "PostScan":
        return PostScan(text, self)

    def runnable(self, admitted: frozenset, at) -> frozenset:
        """`admitted` less the anchored prefilters none of whose leading literals the post
        holds (`at`: the anchors' scan, False where it could not fold the post): their
        patterns start at one of those literals or nowhere (anchors.py), so they cannot
        match. About a third of the patterns admitted on a typical post; dropped here, the
        checker neither opens a rule for them nor asks their matcher to try them."""
        anchored = self._anchored.intersection(admitted)
        if not anchored or at is False:
            return admitted
        dead = anchored.difference(*map(self._opened_by_literal.__getitem__, at))
        return admitted.difference(dead) if dead else admitted


_DIGIT = re.compile(r"\d")
_UPPER_PAIR = re.compile(r"[A-Z]{2}")
# The same word characters as the patterns (the `regex` module, version 0).
_WORDS = regex.compile(r"\w+", regex.V0)
_NON_ASCII_WORD_CHAR = regex.compile(r"[^\W\x00-\x7f]", regex.V0)
# Bytes that are not word characters become spaces. In ASCII, \w is letters, digits and "_";
# every byte of a non-ASCII character is >= 0x80.
_SPACE_NON_WORD = bytes(b if b < 0x80 and (chr(b).isalnum() or b == 0x5F) else 0x20 for b in range(256))


class PostScan:
    """One post as the prefilters see it, computed on first use."""

    __slots__ = ("text", "_index", "_lower", "_present", "_digits", "_words", "_admitted", "_groups",
                 "_upper_pair", "_at", "_runnable")

    def __init__(self, text: str, index: PrefilterIndex):
        self.text = text
        self._index = index
        self._lower = None
        self._present = None
        self._digits = None
        self._words = None
        self._admitted = None
        self._groups = None
        self._upper_pair = None
        self._at = None
        self._runnable = None

    @property
    def lower(self) -> str:
        if self._lower is None:
            self._lower = self.text.lower()
        return self._lower

    @property
    def ascii(self) -> bool:
        return self.text.isascii()

    @property
    def upper_pair(self) -> bool:
        if self._upper_pair is None:
            self._upper_pair = _UPPER_PAIR.search(self.text) is not None
        return self._upper_pair

    @property
    def present(self) -> frozenset:
        if self._present is None:
            fast = self._index._fast_literals
            if fast is not None:
                self._present = fast.keys_in(self.lower)
                return self._present
            automaton = self._index._automaton
            found = automaton.find_matches_as_indexes(self.lower, overlapping=True) if automaton else ()
            self._present = frozenset(k for k, _, _ in found)
        return self._present

    def found(self, present: set) -> None:
        """The literals of the post, found by the caller's own pass over `lower`."""
        self._present = present

    @property
    def groups(self) -> set:
        """Ids of the prefilters' alternations the post satisfies (PrefilterIndex.groups)."""
        if self._groups is None:
            self._groups = self._index.groups(self.present)
        return self._groups

    @property
    def admitted(self) -> frozenset:
        """Ids of the prefilters that admit this post (PrefilterIndex.admitted)."""
        if self._admitted is None:
            index = self._index
            fast = index._fast
            self._admitted = index.admitted(self) if fast is None else fast.admitted(self.present, self.text, self)
        return self._admitted

    @property
    def runnable(self) -> frozenset:
        """The admitted prefilters whose patterns can match (PrefilterIndex.runnable): what
        the checker and the matchers run."""
        if self._runnable is None:
            self._runnable = self._index.runnable(self.admitted, self._anchor_scan())
        return self._runnable

    def _anchor_scan(self):
        """The anchors' scan of the post (AnchorIndex.scan), False where it cannot fold it."""
        at = self._at
        if at is None:
            at = self._index.anchors.scan(self.text)
            at = self._at = False if at is None else at
        return at

    def starts(self, anchor: int) -> list[int] | None:
        """Where a match of the pattern with this anchor can start (anchors.py), or None:
        search the whole post (a character with no one-character case fold, or so many
        places that a plain scan is cheaper)."""
        at = self._anchor_scan()
        if at is False:
            return None
        return self._index.anchors.starts(anchor, at, len(self.text))

    @property
    def words(self) -> frozenset:
        """Every word of the post, lower case."""
        if self._words is None:
            self._words = _word_set(self.lower)
        return self._words

    @property
    def digits(self) -> int:
        if self._digits is None:
            text = self.text
            if text.isascii():
                self._digits = len(text) - len(text.encode("ascii").translate(None, b"0123456789"))
            else:
                self._digits = len(_DIGIT.findall(text))
        return self._digits


def _words_for_c(scan: PostScan):
    """What the C path reads a non-ASCII post's words from: its lower case, split there as
    `_word_set`'s fast path splits it, when no non-ASCII character of it is a word
    character; else the set of its words."""
    lower = scan.lower
    if _NON_ASCII_WORD_CHAR.search(lower) is None:
        return lower
    return scan.words


def _word_set(text: str) -> frozenset:
    """frozenset(_WORDS.findall(text)), split by bytes.translate when every word character is ASCII."""
    if text.isascii() or _NON_ASCII_WORD_CHAR.search(text) is None:
        return frozenset(text.encode("utf-8").translate(_SPACE_NON_WORD).decode("ascii").split())
    return frozenset(_WORDS.findall(text))
