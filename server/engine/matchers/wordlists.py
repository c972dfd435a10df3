"""Word lists in a matcher's spec, as one compiled regex (shared by the personal-data kinds)."""

from __future__ import annotations

import regex

# A reference word and what may follow it before the number: "crime reference number: ".
AFTER_TAIL = r"(?:\s+(?:number|no\.?|num))?[\s:#.(-]{0,4}$"


def words_regex(ctx, entries, where: str, tail: str = "", joiner: str = r"\s+") -> regex.Pattern | None:
    """Any of `entries` ({@list} references allowed) as whole words, any case, then `tail`."""
    phrases = ctx.expand(entries or [], where, False, "any")
    words = sorted({p.text for p in phrases if p.text.strip()}, key=len, reverse=True)
    if not words:
        return None
    alts = "|".join(joiner.join(regex.escape(w) for w in t.split()) for t in words)
    return regex.compile(r"(?i)(?<![\w])(?:" + alts + r")(?![\w])" + tail)
