"""Post-level measures: a table of named metrics.

Each metric takes its rule's spec (`max` and options) and the analysed post
and returns the places it goes over, with the figures for the message. The
thresholds, severities and wording live in rules.json ("metric" rules); only
the measuring is code. A new metric is one function and one decorator.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable

import regex

from . import fastscan
from .text import NON_ASCII, char_test

_HASHTAG = regex.compile(r"(?<![\w#])#\w+")
_EMOJI = regex.compile(r"(?=[\p{Extended_Pictographic}\p{Regional_Indicator}])\X")
# Character classes only: `re` reads it as `regex` does, and scans faster.
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|\n|$)")
_PIECES = re.compile(r"[.!?\n]")  # what _SENTENCE's sentences are between
_HAS_WORD = regex.compile(r"\w").search
_EMOJI_START = regex.compile(r"[\p{Extended_Pictographic}\p{Regional_Indicator}]")  # _EMOJI's lookahead
_starts_emoji = char_test(_EMOJI_START)  # whether a match of _EMOJI can begin at the character


def _piece_tokens_py(text: str) -> int:
    """The most whitespace-separated tokens of a piece between [.!?\\n]: the reference, and
    the path without the C build (fastscan.py)."""
    return max(map(len, map(str.split, _PIECES.split(text))))


# The same count in one pass in C (_fastscan.piece_tokens; tests/test_engine_speed_metrics.py
# holds the two equal): the split and a list per piece cost most of long-sentence's screen,
# on every post longer than the limit.
_piece_tokens = fastscan.c_or("piece_tokens", _piece_tokens_py)


PLATFORM_NAMES = {
    "x": "X", "facebook": "Facebook", "linkedin": "LinkedIn", "instagram": "Instagram",
    "threads": "Threads", "bluesky": "Bluesky", "mastodon": "Mastodon", "generic": "this platform",
}


@dataclass(frozen=True)
class Metric:
    name: str
    measure: Callable  # (spec, post) -> [(start, end, figures)]
    scope: str = "span"  # "post": about the whole post


METRICS: dict[str, Metric] = {}


def metric(name: str, scope: str = "span"):
    def register(fn):
        METRICS[name] = Metric(name, fn, scope)
        return fn
    return register


def _tail(matches: list, keep: int) -> list[tuple[int, int, dict]]:
    extra = matches[keep:]
    if not extra:
        return []
    return [(extra[0].start(), extra[-1].end(), {"value": len(matches), "count": len(matches)})]


@metric("platform_overflow")
def platform_overflow(spec, post):
    length = post.length
    if length.limit is None or length.count - length.limit <= spec["max"]:
        return []
    return [(length.overflow_at or 0, len(post.text), {
        "value": length.count - length.limit, "count": length.count, "limit": length.limit,
        "platform": PLATFORM_NAMES[length.platform]})]


@metric("platform_fill", scope="post")
def platform_fill(spec, post):
    length = post.length
    if length.limit is None or length.count > length.limit:
        return []
    share = length.count / length.limit
    if share <= spec["max"]:
        return []
    return [(0, len(post.text), {
        "value": round(share * 100), "count": length.count, "limit": length.limit,
        "platform": PLATFORM_NAMES[length.platform], "left": length.limit - length.count})]


@metric("hashtags")
def hashtags(spec, post):
    if "#" not in post.text:
        return []
    tags = list(_HASHTAG.finditer(post.text))
    return _tail(tags, int(spec["max"])) if len(tags) > spec["max"] else []


@metric("emoji")
def emoji(spec, post):
    if post.text.isascii():
        return []
    # Each match begins at a character of its own that is pictographic or a regional indicator
    # (the lookahead), and none is ASCII: a post with no more of them than the maximum cannot
    # go over it, and most posts with an emoji have one or two (found by a table, not a scan).
    if sum(map(_starts_emoji, NON_ASCII.findall(post.text))) <= spec["max"]:
        return []
    found = list(_EMOJI.finditer(post.text))
    return _tail(found, int(spec["max"])) if len(found) > spec["max"] else []


@metric("sentence_words")
def sentence_words(spec, post):
    # A word is a whitespace-separated token with a letter or digit in it, so a
    # post or sentence with no more tokens than the limit can be skipped.
    limit, text = spec["max"], post.text
    # split at most floor(limit) times: as many tokens as the limit allows, and one piece more
    # when there are more, without listing a long post's every token
    if len(text.split(None, math.floor(limit) if limit >= 0 else -1)) <= limit:
        return []
    # A sentence is a piece between [.!?\n] and its stops: at most one token more than the
    # piece. Most posts have no piece near the limit, found without a step per sentence.
    if _piece_tokens(text) < limit:
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


@metric("reading_age", scope="post")
def reading_age(spec, post):
    reading = post.readability
    age = reading.get("reading_age")
    if age is None or age <= spec["max"] or reading.get("words", 0) < spec.get("min_words", 0):
        return []
    return [(0, len(post.text), {"value": age, "ease": reading.get("flesch_reading_ease")})]
