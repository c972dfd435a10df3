"""What text a regular expression cannot match without.

At load time each pattern is read (with Python's own regex parser) for the
literal strings and characters every match must contain: "#" for a hashtag
rule, "@" for an email rule, "kicking" for a "good kicking" rule, a digit for
a phone number. At check time a pattern runs only if the post contains them,
which costs a few substring tests instead of a scan of the post.
"""

from __future__ import annotations

try:
    import re._constants as _c
    import re._parser as _parser
except ImportError:  # pragma: no cover
    import sre_constants as _c  # type: ignore
    import sre_parse as _parser  # type: ignore

_I = _c.SRE_FLAG_IGNORECASE
_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", _c.MAX_REPEAT)}


def _is_digit_class(items) -> bool:
    for op, av in items:
        if op == _c.LITERAL and 48 <= av <= 57:
            continue
        if op == _c.RANGE and 48 <= av[0] <= av[1] <= 57:
            continue
        if op == _c.CATEGORY and av == _c.CATEGORY_DIGIT:
            continue
        return False
    return bool(items)


def _must(seq, ci: bool) -> set:
    """Tokens every match of `seq` contains: ("s", text, ci) substrings."""
    out: set = set()
    run: list[str] = []

    def flush():
        if run:
            out.add(("s", "".join(run), ci))
            run.clear()

    for op, av in seq:
        if op == _c.LITERAL:
            run.append(chr(av).lower() if ci else chr(av))
            continue
        flush()
        if op == _c.IN:
            if len(av) == 1 and av[0][0] == _c.LITERAL:
                ch = chr(av[0][1])
                out.add(("s", ch.lower() if ci else ch, ci))
        elif op == _c.SUBPATTERN:
            add, dele = av[1], av[2]
            inner_ci = (ci or bool(add & _I)) and not (dele & _I)
            out |= _must(av[-1], inner_ci)
        elif op in _REPEATS and av[0] >= 1:
            out |= _must(av[2], ci)
        elif op == getattr(_c, "ATOMIC_GROUP", None):
            out |= _must(av, ci)
        elif op == _c.BRANCH:
            alts = [_must(alt, ci) for alt in av[1]]
            out |= set.intersection(*alts) if alts else set()
        # Assertions, anchors and optional parts promise nothing.
    flush()
    return out


def _min_digits(seq) -> int:
    """Fewest digits any match of `seq` contains (phone numbers need 10 or so)."""
    n = 0
    for op, av in seq:
        if op == _c.LITERAL:
            n += 48 <= av <= 57
        elif op == _c.IN:
            n += _is_digit_class(av)
        elif op == _c.SUBPATTERN:
            n += _min_digits(av[-1])
        elif op in _REPEATS and av[0] >= 1:
            n += av[0] * _min_digits(av[2])
        elif op == getattr(_c, "ATOMIC_GROUP", None):
            n += _min_digits(av)
        elif op == _c.BRANCH:
            n += min(_min_digits(alt) for alt in av[1])
    return n


class Prefilter:
    __slots__ = ("substrings", "folded_substrings", "digits")

    def __init__(self, tokens: set, digits: int):
        self.substrings = tuple(t[1] for t in tokens if t[0] == "s" and not t[2])
        self.folded_substrings = tuple(t[1] for t in tokens if t[0] == "s" and t[2])
        self.digits = digits

    def admits(self, post: "PostChars") -> bool:
        text = post.text
        for s in self.substrings:
            if s not in text:
                return False
        if self.folded_substrings:
            lower = post.lower
            for s in self.folded_substrings:
                if s not in lower:
                    return False
        return self.digits == 0 or post.digits >= self.digits


_DIGITS = __import__("re").compile(r"\d")


class PostChars:
    """Lazily computed views of one post that prefilters test against."""

    __slots__ = ("text", "_lower", "_digits")

    def __init__(self, text: str):
        self.text = text
        self._lower = None
        self._digits = None

    @property
    def lower(self) -> str:
        if self._lower is None:
            self._lower = self.text.lower()
        return self._lower

    @property
    def digits(self) -> int:
        if self._digits is None:
            self._digits = len(_DIGITS.findall(self.text))
        return self._digits


def prefilter_for(source: str) -> Prefilter | None:
    """None when nothing useful can be said (the pattern always runs)."""
    try:
        tree = _parser.parse(source)
    except Exception:
        return None  # `regex`-only syntax: run it every time
    ci = bool(tree.state.flags & _I)
    tokens = _must(list(tree), ci)
    digits = _min_digits(list(tree))
    return Prefilter(tokens, digits) if tokens or digits else None
