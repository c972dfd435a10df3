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
_URL_RE = regex.compile(_URL, regex.I)
# Cheap test first: a URL needs "://", "www." or a known top-level domain.
_MAYBE_URL = regex.compile(r"://|www\.|\.(?:com|org|net|gov|uk|io|co|us|ca|info|eu|scot|wales|nhs)\b", regex.I)
_HEAVY = regex.compile(rf"[^{_LIGHT}]")
# A URL never holds whitespace, and holds one of _MAYBE_URL's marks: the whitespace-free run
# around each mark is all the URL pattern needs to read (it tries every position it is given,
# and case-insensitively: most of a long post's count).
_RUN_BACK = regex.compile(r"\S*", regex.REVERSE)
_RUN_ON = regex.compile(r"\S*")
_X_CHUNK = regex.compile(
    r"(?P<emoji>(?=[\p{Extended_Pictographic}\p{Regional_Indicator}])\X)"
    rf"|(?P<light>[{_LIGHT}]+)"
    r"|(?P<heavy>.)",
    regex.S,
)
_MENTION = regex.compile(r"(?<![\w@])(@\w+)@[\w.-]+\w")
_GRAPHEME = regex.compile(r"\X", regex.S)


@dataclass(frozen=True, slots=True)
class Length:
    count: int
    limit: int | None
    platform: str
    overflow_at: int | None  # code point where the post passes the limit

    def to_json(self) -> dict:
        return {"count": self.count, "limit": self.limit, "platform": self.platform}


def _urls(text: str):
    """_URL_RE.finditer(text), read only in the whitespace-free runs that hold a mark of one."""
    end = -1
    for mark in _MAYBE_URL.finditer(text):
        if mark.start() < end:
            continue  # in the run just read
        start = _RUN_BACK.match(text, 0, mark.start()).start()
        end = _RUN_ON.match(text, mark.start()).end()
        yield from _URL_RE.finditer(text, start, end)


def url_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each web address in the text, as the platforms count them."""
    return [m.span() for m in _urls(text)]


def _units(text: str, chunk_weights):
    """(start, end, weight, divisible) pieces: URLs weigh 23, the rest as the platform says."""
    pos = 0
    for url in _urls(text):
        yield from chunk_weights(text, pos, url.start())
        yield url.start(), url.end(), URL_WEIGHT, False
        pos = url.end()
    yield from chunk_weights(text, pos, len(text))


def _x_chunk(text: str, start: int, end: int):
    for m in _X_CHUNK.finditer(text, start, end):
        if m.lastgroup == "light":
            yield m.start(), m.end(), m.end() - m.start(), True
        else:
            yield m.start(), m.end(), 2, False


def _mastodon_chunk(text: str, start: int, end: int):
    pos = start
    for m in _MENTION.finditer(text, start, end):
        yield pos, m.start(), m.start() - pos, True
        # A remote mention counts only its user part: "@bob@example.social" is 4.
        yield m.start(), m.end(), m.end(1) - m.start(1), False
        pos = m.end()
    yield pos, end, end - pos, True


def _weighted(text: str, chunk_weights, limit: int | None) -> tuple[int, int | None]:
    count = 0
    overflow_at = None
    for start, end, weight, divisible in _units(text, chunk_weights):
        if overflow_at is None and limit is not None and count + weight > limit:
            overflow_at = start + (limit - count if divisible else 0)
        count += weight
    return count, overflow_at


def measure(text: str, platform: str) -> Length:
    limit = LIMITS[platform]
    if platform == "x":
        # Most drafts have no link and no character that weighs 2.
        if not _MAYBE_URL.search(text) and not _HEAVY.search(text):
            count = len(text)
            return Length(count, limit, platform, limit if count > limit else None)
        count, at = _weighted(text, _x_chunk, limit)
    elif platform == "mastodon":
        if "@" not in text and not _MAYBE_URL.search(text):
            count = len(text)
            return Length(count, limit, platform, limit if count > limit else None)
        count, at = _weighted(text, _mastodon_chunk, limit)
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
