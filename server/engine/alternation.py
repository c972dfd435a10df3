"""A {@list}'s alternation, factored so the regex engine tries few terms per position.

`(?:Labour|Liberal Democrats|Lib Dems|...)` with hundreds of terms costs the `regex`
module one attempt per term at every word boundary (~270 us on a 300-character post
for `attack.political-put-down`'s lists). Factored on shared first tokens,
`L(?:abour|i(?:beral[\\s_-]?Democrats|b[\\s_-]?Dems))`, a position tries one branch per
distinct first character.

The factored source matches exactly as the plain one: the engine tries the terms in
their list order, and factoring only reorders terms that can never both match at one
position (their next characters differ), keeps the order of the rest, and stops where
that cannot be shown (a term ending, a character whose case-insensitive matches are not
plain ASCII). The plain source stays what the prefilter and the safety check read.
"""

from __future__ import annotations

import regex

from .anchors import fold_char
from .prefilter import _classes

SEP = r"[\s_-]?"  # between the words of a term (rulebook.list_regex)
_SEP_CHARS = frozenset(" \t\n\r\f\v_-")


def term_tokens(term: str) -> tuple[str, ...] | None:
    """The term as list_regex writes it, one token per character or separator
    (None if escaping does not split by character)."""
    out: list[str] = []
    for k, word in enumerate(term.split(" ")):
        if k:
            out.append(SEP)
        chars = [regex.escape(c) for c in word]
        if "".join(chars) != regex.escape(word):
            return None
        out += chars
    return tuple(out)


def _key(token: str) -> str | None:
    """The character a literal token matches, folded (anchors.fold_char: lower case for
    ASCII), when every character it matches with or without (?i) folds to it: two different
    keys never match one character. None for a separator, whitespace or a character whose
    case variants disagree ("ß", "İ")."""
    c = token[-1] if len(token) == 2 and token[0] == "\\" else token if len(token) == 1 else None
    if c is None or c.isspace():
        return None
    return c.lower() if c.isascii() else fold_char(c)


def factored(members: list[tuple[str, ...]]) -> str:
    """Alternation source for `members` (token tuples, in the order the engine must try them)."""
    return _factored(members, False)


def factored_behind(members: list[tuple[str, ...]]) -> str:
    """Alternation source for `members` inside a lookbehind, factored on shared LAST
    characters. The `regex` module matches a lookbehind right to left, so a list factored on
    first characters tries every term there; this one tries one branch per distinct last
    character. A lookaround only asks whether some term matches (lists hold no groups), so
    any order and grouping with the same set of strings answers the same."""
    return _factored(members, True)


def _factored(members: list[tuple[str, ...]], behind: bool) -> str:
    if len(members) == 1:
        return "".join(members[0])
    if any(not m for m in members):
        return _plain(members)  # a term ends here: it must keep its place among the longer ones
    k = -1 if behind else 0  # the token shared terms are grouped on
    runs = _by_token(members, k) if behind else _runs(members)
    return "|".join(_run_source(run, k, behind) for run in runs)


def _plain(members: list) -> str:
    return "|".join("".join(m) for m in members)


def _by_token(members: list, k: int) -> list[list]:
    """The members grouped on their k-th token, where order does not matter (a lookbehind):
    a token no key describes ("É", "ß") or a case variant ("L", "l") is a group of its own."""
    groups: dict[str, list] = {}
    for m in members:
        groups.setdefault(m[k], []).append(m)
    return list(groups.values())


def _runs(members: list) -> list[list]:
    """The members in runs that share their first token, in an order the engine tries as it
    tries `members`: a term joins the last earlier run with its first token only if it can
    never match where a term it moves ahead of matches (_disjoint), so at any position the
    terms that can match keep their order. Different first keys always pass each other, so
    "Labour" and "labour" are grouped apart from each other but beside the rest of the list."""
    runs: list[list] = []
    for m in members:
        for run in reversed(runs):
            if run[0][0] == m[0]:
                run.append(m)
                break
            if not all(_disjoint(m, other) for other in run):
                runs.append([m])
                break
        else:
            runs.append([m])
    return runs


def _disjoint(a: tuple, b: tuple) -> bool:
    """Whether terms `a` and `b` can never both match at one position, with or without (?i):
    before any separator (which may take no character, so offsets stop agreeing) they have
    different keys at one offset."""
    for x, y in zip(a, b):
        kx, ky = _key(x), _key(y)
        if kx is None or ky is None:
            return False
        if kx != ky:
            return True
    return False  # one begins the other


def _run_source(run: list, k: int, behind: bool) -> str:
    tok = run[0][k]
    if len(run) == 1:
        return "".join(run[0])
    if not behind and tok == SEP and any(len(m) < 2 or _key(m[1]) is None or _key(m[1]) in _SEP_CHARS
                                         for m in run):
        return _plain(run)  # "[\s_-]?" shared is exact only when what follows cannot be a separator
    return _around(tok, run, behind)


def _around(tok: str, members: list, behind: bool) -> str:
    """The shared token written once, beside the factored rest of the members."""
    if behind:
        return "(?:" + _factored([m[:-1] for m in members], True) + ")" + tok
    return tok + "(?:" + _factored([m[1:] for m in members], False) + ")"


def in_lookbehind(source: str, at: int) -> bool:
    """Whether position `at` of a pattern source is matched right to left: the innermost
    lookaround around it is a lookbehind, (?<=...) or (?<!...). A lookahead inside a
    lookbehind (`(?<=(?=WORDS)[A-Z]{2})`) matches left to right again, so a list there is
    factored on first characters. Escapes and character classes (prefilter._classes)
    skipped, groups counted."""
    class_end = dict(_classes(source))
    stack: list[bool | None] = []  # per open group: behind, ahead, or no lookaround (None)
    i = 0
    while i < at:
        c = source[i]
        if c == "\\":
            i += 2
            continue
        if i in class_end:
            i = class_end[i]
            continue
        if c == "(":
            stack.append(_direction(source, i))
        elif c == ")" and stack:
            stack.pop()
        i += 1
    return next((behind for behind in reversed(stack) if behind is not None), False)


def _direction(source: str, i: int) -> bool | None:
    """For the group opening at `i`: True for a lookbehind, False for a lookahead, None for
    any other group (which keeps the direction of the group around it)."""
    if source.startswith(("(?<=", "(?<!"), i):
        return True
    if source.startswith(("(?=", "(?!"), i):
        return False
    return None
