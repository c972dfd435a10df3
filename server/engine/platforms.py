"""Counting a post the way each platform counts it.

X follows twitter-text v3: code points in U+0000-U+10FF and some general
punctuation weigh 1, everything else 2, an emoji sequence 2 however many code
points it has, any URL 23. Mastodon counts characters with every URL as 23.
Bluesky counts graphemes. The rest count characters.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

PLATFORMS = ("x", "facebook", "linkedin", "instagram", "threads", "bluesky", "mastodon", "generic")

LIMITS = {
    "x": 280,
    "bluesky": 300,
    "threads": 500,
    "mastodon": 500,
    "instagram": 2200,
    "linkedin": 3000,
    "facebook": 63206,
    "generic": None,
}

URL_WEIGHT = 23

_URL = (
    r"(?:https?://|www\.)[^\s<>\"]+[^\s<>\"'.,;:!?)\]]"
    r"|\b(?:[a-z0-9-]+\.)+(?:com|org|net|gov|uk|io|co|us|ca|info|eu|scot|wales|nhs)\b(?:/[^\s<>\"]*[^\s<>\"'.,;:!?)\]])?"
)
_LIGHT = r"\u0000-\u10FF\u2000-\u200D\u2010-\u201F\u2032-\u2037"
_X_SEGMENTS = regex.compile(
    rf"(?P<url>{_URL})"
    r"|(?P<emoji>(?=[\p{Extended_Pictographic}\p{Regional_Indicator}])\X)"
    rf"|(?P<light>[{_LIGHT}]+)"
    r"|(?P<heavy>.)",
    regex.S | regex.I,
)
_M_SEGMENTS = regex.compile(rf"(?P<url>{_URL})|(?P<mention>@\w+)@[\w.-]+\w|(?P<light>.)", regex.S | regex.I)
_GRAPHEME = regex.compile(r"\X", regex.S)


@dataclass(frozen=True, slots=True)
class Length:
    count: int
    limit: int | None
    platform: str
    overflow_at: int | None  # code point where the post passes the limit

    def to_json(self) -> dict:
        return {"count": self.count, "limit": self.limit, "platform": self.platform}


def _weighted(text: str, segments, weight_of, limit: int | None) -> tuple[int, int | None]:
    count = 0
    overflow_at = None
    for m in segments.finditer(text):
        w = weight_of(m)
        if overflow_at is None and limit is not None and count + w > limit:
            overflow_at = m.start() + (limit - count if m.lastgroup == "light" else 0)
        count += w
    return count, overflow_at


def _x_weight(m) -> int:
    kind = m.lastgroup
    if kind == "light":
        return m.end() - m.start()
    if kind == "url":
        return URL_WEIGHT
    return 2


def _mastodon_weight(m) -> int:
    kind = m.lastgroup
    if kind == "url":
        return URL_WEIGHT
    if kind == "mention":
        return m.end("mention") - m.start("mention")
    return 1


def measure(text: str, platform: str) -> Length:
    limit = LIMITS[platform]
    if platform == "x":
        # Cheap bound first: most drafts are far below the limit in any weighting.
        if text.isascii() and "." not in text:
            count = len(text)
            return Length(count, limit, platform, limit if count > limit else None)
        count, at = _weighted(text, _X_SEGMENTS, _x_weight, limit)
    elif platform == "mastodon":
        if "." not in text and "@" not in text:
            count = len(text)
            return Length(count, limit, platform, limit if count > limit else None)
        count, at = _weighted(text, _M_SEGMENTS, _mastodon_weight, limit)
    elif platform == "bluesky":
        if text.isascii() and "\r" not in text:
            count = len(text)
            at = limit if count > limit else None
        else:
            graphemes = [m.start() for m in _GRAPHEME.finditer(text)]
            count = len(graphemes)
            at = graphemes[limit] if count > limit else None
    else:
        count = len(text)
        at = limit if limit is not None and count > limit else None
    return Length(count, limit, platform, at)
