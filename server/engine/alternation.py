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
    """The character a literal token matches, lower case, when it is plain ASCII (two
    different such keys never match one character, with or without (?i)); else None."""
    c = token[-1] if len(token) == 2 and token[0] == "\\" else token if len(token) == 1 else None
    if c is None or not c.isascii() or c.isspace():
        return None
    return c.lower()


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
    plain = "|".join("".join(m) for m in members)
    if any(not m for m in members):
        return plain  # a term ends here: it must keep its place among the longer ones
    k = -1 if behind else 0  # the token shared terms are grouped on
    if len({m[k] for m in members}) == 1:
        tok = members[0][k]
        if not behind and tok == SEP and any(_key(m[1]) is None or _key(m[1]) in _SEP_CHARS for m in members):
            return plain  # "[\s_-]?" shared is exact only when what follows cannot be a separator
        return _around(tok, members, behind)
    keys = [_key(m[k]) for m in members]
    if None in keys:
        return plain
    groups: dict[str, list] = {}
    for key, m in zip(keys, members):
        groups.setdefault(key, []).append(m)
    parts = []
    for group in groups.values():
        if len(group) > 1 and len({m[k] for m in group}) == 1:
            parts.append(_around(group[0][k], group, behind))
        else:
            parts.append("|".join("".join(m) for m in group))  # one term, or letters differing in case
    return "|".join(parts)


def _around(tok: str, members: list, behind: bool) -> str:
    """The shared token written once, beside the factored rest of the members."""
    if behind:
        return "(?:" + _factored([m[:-1] for m in members], True) + ")" + tok
    return tok + "(?:" + _factored([m[1:] for m in members], False) + ")"


def in_lookbehind(source: str, at: int) -> bool:
    """Whether position `at` of a pattern source lies inside a lookbehind, (?<=...) or
    (?<!...): escapes and character classes (prefilter._classes) skipped, groups counted."""
    class_end = dict(_classes(source))
    stack: list[bool] = []
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
            stack.append(source.startswith(("(?<=", "(?<!"), i))
        elif c == ")" and stack:
            stack.pop()
        i += 1
    return any(stack)
