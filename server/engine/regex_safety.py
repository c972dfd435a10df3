"""Refusing regular expressions that can backtrack catastrophically.

Two layers at load time, plus one at check time:
1. static: a quantified group that contains another unbounded quantifier,
   the classic shape of exponential backtracking ((a+)+, (\\w+\\s?)*);
2. dynamic: the compiled pattern is run with a timeout against inputs that
   make bad patterns explode: eight fixed ones, and runs of the pattern's own
   literals found inside its repeats ("(b|bb)+$" explodes only on b's);
3. at check time every pattern runs with the `regex` module's timeout, so a
   pattern that slipped through costs one rule on one post, not the worker.
"""

from __future__ import annotations

try:  # Python 3.11+ keeps the parser here; it only reads the pattern.
    import re._constants as _c
    import re._parser as _parser
except ImportError:  # pragma: no cover
    import sre_constants as _c  # type: ignore
    import sre_parse as _parser  # type: ignore

from .prefilter import parse as read_pattern

PROBE_TIMEOUT = 0.1  # seconds per probe input
_PROBE_LEN = 4000
_PROBES = (
    "a" * _PROBE_LEN + "!",
    "A" * _PROBE_LEN + "!",
    "1" * _PROBE_LEN + "x",
    " " * _PROBE_LEN + "!",
    "ab " * (_PROBE_LEN // 3) + "!",
    "#" + "a" * _PROBE_LEN + "!",
    "a@" * (_PROBE_LEN // 2),
    "-" * _PROBE_LEN + "!",
)

_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT}


def _unbounded(hi) -> bool:
    return hi == _c.MAXREPEAT or hi > 32


_SINGLE = {_c.LITERAL, _c.NOT_LITERAL, _c.IN, _c.ANY}


def _anchored(tree) -> bool:
    """A body with a mandatory single-character element cannot be split two ways
    around it as freely: (?:\\.[a-z]+)* is linear, (\\w+\\s?)+ is not."""
    return any(op in _SINGLE for op, _ in tree)


def _nested(tree, inside: bool) -> bool:
    for op, av in tree:
        if op in _REPEATS:
            lo, hi, sub = av
            if _unbounded(hi) and inside:
                return True
            repeats = hi > 1
            if _nested(sub, inside or (repeats and not _anchored(_flatten(sub)))):
                return True
        elif op == _c.SUBPATTERN:
            if _nested(av[-1], inside):
                return True
        elif op == _c.BRANCH:
            if any(_nested(alt, inside) for alt in av[1]):
                return True
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            if _nested(av[1], inside):
                return True
        # Possessive repeats and atomic groups never backtrack: skip them.
    return False


def _flatten(tree):
    """Look through capture groups: ((a)+) has the same body as (a)+."""
    if len(tree) == 1 and tree[0][0] == _c.SUBPATTERN:
        return _flatten(tree[0][1][-1])
    return tree


# A literal repeated often enough for an ambiguous repeat to explode (each repetition more
# multiplies the work: 26 b's take "(b|bb)+$" 0.16 s, 40 take minutes; "(ab|abab)+c" the same
# on "ab" repeated), short enough that every safe pattern reads it in microseconds; at most
# this many literals a pattern.
_OWN_PROBE_REPEATS = 40
_OWN_PROBES_MAX = 12


def _repeated_literals(tree, inside: bool = False, out: set | None = None) -> set:
    """The runs of literal characters inside a repeat that allows more than one."""
    out = set() if out is None else out
    run: list[str] = []
    for op, av in tree:
        if op == _c.LITERAL:
            run.append(chr(av))
            continue
        if inside and run:
            out.add("".join(run))
        run = []
        if op in _REPEATS:
            _repeated_literals(av[2], inside or av[1] > 1, out)
        elif op == _c.SUBPATTERN:
            _repeated_literals(av[-1], inside, out)
        elif op == _c.BRANCH:
            for alt in av[1]:
                _repeated_literals(alt, inside, out)
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            _repeated_literals(av[1], inside, out)
    if inside and run:
        out.add("".join(run))
    return out


def _own_probes(source: str, tree) -> list[str]:
    """Inputs made of the pattern's own repeated literals ("bbbb...!", "abab...!")."""
    if tree is None:  # `regex`-only syntax: the prefilters' reading, with its stand-ins (cached)
        tree = read_pattern(source)
        if tree is None:
            return []
    # shortest first (alphabetical among equals, so the same pattern gets the same probes)
    literals = sorted((lit for lit in _repeated_literals(tree) if lit.strip()), key=lambda lit: (len(lit), lit))
    literals = literals[:_OWN_PROBES_MAX]
    return [lit * _OWN_PROBE_REPEATS + "!" for lit in literals]


def check_pattern(source: str, compiled) -> str | None:
    """A reason to refuse the pattern, or None when it looks safe."""
    try:
        tree = _parser.parse(source)
    except Exception:
        tree = None  # `regex`-only syntax (\p{..}, \X): rely on the probes
    if tree is not None and _nested(tree, False):
        return ("catastrophic backtracking risk: a repeated group contains another unbounded "
                "repeat (like (a+)+); make the inner part possessive (a++), atomic (?>...) or bounded")
    for probe in (*_PROBES, *_own_probes(source, tree)):
        try:
            for _ in compiled.finditer(probe, timeout=PROBE_TIMEOUT):
                pass
        except TimeoutError:
            return (f"catastrophic backtracking: the pattern took over {PROBE_TIMEOUT:g} s on a "
                    f"{len(probe)}-character test input ({probe[:3]!r}...)")
    return None


def timed_finditer(pattern, text: str, timeout: float):
    """pattern.finditer(text, timeout=timeout): layer 3 above. The timeout goes by position
    (string, pos, endpos, overlapped, concurrent, partial, timeout): given by keyword, the
    `regex` module builds a string for each of its keyword names on every call, about a
    microsecond, and a check makes a dozen such calls. tests/test_regex_safety.py pins
    the order. `concurrent` is False, not the default None, under which the module lets go
    of the GIL around every match on a str and takes it back after: the same matches, 0.2-0.8
    us less a call, and a check is never left waiting for the GIL behind the worker's other
    threads at each of its ~18 calls. A worker's threads share one CPU either way (they hold
    the GIL for everything else a check does); cores are used by processes (WEB_CONCURRENCY)."""
    return pattern.finditer(text, None, None, False, False, False, timeout)
