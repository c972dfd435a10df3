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

import re

import ahocorasick_rs

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
# Literals shorter than this ("s" of "'s", "we", "he") occur in nearly every
# post: scanning for them costs more than the patterns they would skip. A
# single symbol ("#", "@", "£") is rare enough to keep.
MIN_LITERAL = 3


def _selective(lit: str) -> bool:
    return len(lit) >= MIN_LITERAL or (len(lit) == 1 and not lit.isalnum() and not lit.isspace() and lit not in ".,'-")


def _class_kind(items) -> str | None:
    """'digit' or 'non_ascii' when every member of a [...] class is one, else None."""
    if not items:
        return None
    if all((op == _c.LITERAL and 48 <= av <= 57) or (op == _c.RANGE and 48 <= av[0] <= av[1] <= 57)
           or (op == _c.CATEGORY and av == _c.CATEGORY_DIGIT) for op, av in items):
        return "digit"
    if all((op == _c.LITERAL and av >= 0x80) or (op == _c.RANGE and av[0] >= 0x80) for op, av in items):
        return "non_ascii"
    return None


def _must(seq, ci: bool) -> set:
    """Tokens every match of `seq` contains: ("s", text, ci) a substring,
    ("any", strings, ci) one of several substrings, NON_ASCII."""
    out: set = set()
    run: list[str] = []

    def flush():
        if run:
            out.add(("s", "".join(run), ci))
            run.clear()

    for op, av in seq:
        if op == _c.LITERAL:
            run.append(chr(av).lower() if ci else chr(av))
            if av >= 0x80:
                out.add(NON_ASCII)
            continue
        flush()
        if op == _c.IN:
            if len(av) == 1 and av[0][0] == _c.LITERAL:
                ch = chr(av[0][1])
                out.add(("s", ch.lower() if ci else ch, ci))
            elif _class_kind(av) == "non_ascii":
                out.add(NON_ASCII)
        elif op == _c.SUBPATTERN:
            add, dele = av[1], av[2]
            out |= _must(av[-1], (ci or bool(add & _I)) and not (dele & _I))
        elif op in _REPEATS and av[0] >= 1:
            out |= _must(av[2], ci)
        elif op == _ATOMIC:
            out |= _must(av, ci)
        elif op == _c.BRANCH:
            alts = [_must(alt, ci) for alt in av[1]]
            common = set.intersection(*alts) if alts else set()
            out |= common
            if not common and alts:
                # Each alternative needs its own word: the match needs one of them.
                longest = []
                for tokens in alts:
                    subs = [t[1] for t in tokens if t[0] == "s" and t[2] == ci]
                    if not subs:
                        break
                    longest.append(max(subs, key=len))
                else:
                    out.add(("any", frozenset(longest), ci))
        elif op == _c.ASSERT and av[0] == 1:
            out |= _must(av[1], ci)  # a positive lookahead must match too
        # Negative assertions, anchors and optional parts promise nothing.
    flush()
    return out


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


# `regex`-only syntax that Python's parser cannot read, with a stand-in that
# keeps what matters here (a non-ASCII class). Anything else unreadable: no prefilter.
_REGEX_ONLY = [(re.compile(r"\\p\{(?:Extended_Pictographic|ExtPict|Emoji_Presentation|Regional_Indicator)\}"),
                r"[\\u0080-\\U0010FFFF]")]


def analyse(source: str) -> tuple[set, int] | None:
    for pat, repl in _REGEX_ONLY:
        source = pat.sub(repl, source)
    try:
        tree = _parser.parse(source)
    except Exception:
        return None
    ci = bool(tree.state.flags & _I)
    return _must(list(tree), ci), _min_digits(list(tree))


class Prefilter:
    """The needs of one pattern, as indexes into the shared literal automaton."""

    __slots__ = ("all_idx", "exact", "any_idx", "digits", "non_ascii")

    def __init__(self, all_idx, exact, any_idx, digits, non_ascii):
        self.all_idx = all_idx      # literals that must all be present (case-folded)
        self.exact = exact          # case-sensitive literals to confirm on the original text
        self.any_idx = any_idx      # per alternation: frozenset of literal indexes, one needed
        self.digits = digits
        self.non_ascii = non_ascii

    def admits(self, post: "PostScan") -> bool:
        present = post.present
        if self.all_idx and not self.all_idx <= present:
            return False
        for group in self.any_idx:
            if present.isdisjoint(group):
                return False
        if self.digits and post.digits < self.digits:
            return False
        if self.non_ascii and post.ascii:
            return False
        text = post.text
        for s in self.exact:
            if s not in text:
                return False
        return True


class PrefilterIndex:
    """Builds the prefilters of many patterns around one literal automaton."""

    def __init__(self, sources):
        literals: dict[str, int] = {}

        def idx(s: str) -> int:
            return literals.setdefault(s.lower(), len(literals))

        self.prefilters = []
        for source in sources:
            found = analyse(source)
            if found is None:
                self.prefilters.append(None)
                continue
            tokens, digits = found
            all_idx, exact, any_idx = set(), [], []
            for t in tokens:
                if t[0] == "s":
                    if not _selective(t[1]):
                        continue
                    all_idx.add(idx(t[1]))
                    if not t[2] and t[1] != t[1].lower():
                        exact.append(t[1])
                elif t[0] == "any" and all(_selective(x) for x in t[1]):
                    # Case-folded here; a case-sensitive alternation is only narrowed, never wrongly refused.
                    any_idx.append(frozenset(idx(s) for s in t[1]))
            non_ascii = NON_ASCII in tokens
            if all_idx or any_idx or digits or non_ascii:
                self.prefilters.append(Prefilter(frozenset(all_idx), tuple(exact), tuple(any_idx), digits, non_ascii))
            else:
                self.prefilters.append(None)
        self._literals = list(literals)
        self._automaton = (ahocorasick_rs.AhoCorasick(self._literals, matchkind=ahocorasick_rs.MatchKind.Standard)
                           if self._literals else None)

    def scan(self, text: str) -> "PostScan":
        return PostScan(text, self._automaton)


_DIGIT = re.compile(r"\d")


class PostScan:
    """One post as the prefilters see it, computed on first use."""

    __slots__ = ("text", "_automaton", "_present", "_digits")

    def __init__(self, text: str, automaton):
        self.text = text
        self._automaton = automaton
        self._present = None
        self._digits = None

    @property
    def ascii(self) -> bool:
        return self.text.isascii()

    @property
    def present(self) -> frozenset:
        if self._present is None:
            found = self._automaton.find_matches_as_indexes(self.text.lower(), overlapping=True) if self._automaton else ()
            self._present = frozenset(k for k, _, _ in found)
        return self._present

    @property
    def digits(self) -> int:
        if self._digits is None:
            self._digits = len(_DIGIT.findall(self.text))
        return self._digits
