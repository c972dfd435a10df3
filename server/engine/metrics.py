"""Post-level checks: counts and measures rather than phrases.

Each returns the spans to report and the figures to put in the message. The
thresholds, severities and wording live in rules.json ("metric" rules); only
the measuring is code.
"""

from __future__ import annotations

import regex

from .platforms import Length

_HASHTAG = regex.compile(r"(?<![\w#])#\w+")
_EMOJI = regex.compile(r"(?=[\p{Extended_Pictographic}\p{Regional_Indicator}])\X")
_SENTENCE = regex.compile(r"[^.!?\n]+(?:[.!?]+|\n|$)")
_HAS_WORD = regex.compile(r"\w").search

PLATFORM_NAMES = {
    "x": "X", "facebook": "Facebook", "linkedin": "LinkedIn", "instagram": "Instagram",
    "threads": "Threads", "bluesky": "Bluesky", "mastodon": "Mastodon", "generic": "this platform",
}


def _tail(matches: list, keep: int) -> list[tuple[int, int, dict]]:
    extra = matches[keep:]
    if not extra:
        return []
    return [(extra[0].start(), extra[-1].end(), {"value": len(matches), "count": len(matches)})]


def measure(name: str, spec: dict, text: str, length: Length, reading: dict) -> list[tuple[int, int, dict]]:
    """[(start, end, figures)] for every place the metric goes over spec['max']."""
    limit = spec["max"]
    if name == "platform_overflow":
        if length.limit is None or length.count - length.limit <= limit:
            return []
        over = length.count - length.limit
        return [(length.overflow_at or 0, len(text), {
            "value": over, "count": length.count, "limit": length.limit,
            "platform": PLATFORM_NAMES[length.platform]})]
    if name == "platform_fill":
        if length.limit is None or length.count > length.limit:
            return []
        share = length.count / length.limit
        if share <= limit:
            return []
        return [(0, len(text), {
            "value": round(share * 100), "count": length.count, "limit": length.limit,
            "platform": PLATFORM_NAMES[length.platform], "left": length.limit - length.count})]
    if name == "hashtags":
        if "#" not in text:
            return []
        tags = list(_HASHTAG.finditer(text))
        return _tail(tags, int(limit)) if len(tags) > limit else []
    if name == "emoji":
        if text.isascii():
            return []
        found = list(_EMOJI.finditer(text))
        return _tail(found, int(limit)) if len(found) > limit else []
    if name == "sentence_words":
        # A word is a whitespace-separated token with a letter or digit in it, so
        # a post or sentence with no more tokens than the limit can be skipped.
        if len(text.split()) <= limit:
            return []
        out = []
        for s in _SENTENCE.finditer(text):
            tokens = s.group().split()
            if len(tokens) <= limit:
                continue
            words = sum(1 for tok in tokens if _HAS_WORD(tok))
            if words > limit:
                start = s.start() + (len(s.group()) - len(s.group().lstrip()))
                end = s.start() + len(s.group().rstrip().rstrip(".!?"))
                out.append((start, end, {"value": words}))
        return out
    if name == "reading_age":
        age = reading.get("reading_age")
        if age is None or age <= limit or reading.get("words", 0) < spec.get("min_words", 0):
            return []
        return [(0, len(text), {"value": age, "ease": reading.get("flesch_reading_ease")})]
    raise ValueError(f"unknown metric {name!r}")


POST_SCOPED = frozenset({"platform_fill", "reading_age"})
