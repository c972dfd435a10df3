"""One analysed post: what every matcher reads.

A check builds one `Post`; matchers ask it for what they need (folded text,
word and sentence positions, the prefilter scan, platform length, reading
age) and each is computed once, on first use, so a post that no proximity
rule looks at never has its words listed.
"""

from __future__ import annotations

from collections import Counter

import regex

from . import fastscan
from .platforms import Length, measure, url_spans
from .readability import readability
from .text import FoldedText

_WORD = regex.compile(r"\w+")
_SENTENCE_END = regex.compile(r"[.!?]+(?=[\s\"')\]]|$)|\n")
# A clause also ends at a comma, semicolon, colon or dash between words, so
# "Labour councillors, residents say, were rude" does not pair across it.
# ".@name" at the start is the old way to make a post public, not a reply.
_REPLY_MENTIONS = regex.compile(r"\A(?:\s*@\w+)+")
_CLAUSE_END = regex.compile(r"[.!?]+(?=[\s\"')\]]|$)|\n|[,;:](?=\s)|\s[-\u2013\u2014]\s")


def _fast(name: str):
    """The C path's function (a list for an ASCII text, else None), or one that always says
    None: without the build, or an older one. Looked up once, not on every post."""
    return fastscan.c_or(name, lambda lower: None)


_word_starts, _sentence_ends, _clause_ends = map(_fast, ("word_starts", "sentence_ends", "clause_ends"))


class cached_property:
    """functools.cached_property without its lock: Python 3.11's takes an RLock on each first
    read (about 0.7 us, five or so per check), and a Post lives in the one check that made it.
    The value goes into the instance's __dict__ under the same name, as there, so later reads
    never reach this (a non-data descriptor)."""

    def __init__(self, fn):
        self.fn = fn
        self.name = fn.__name__
        self.__doc__ = fn.__doc__

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.fn(obj)
        return value


class Post:
    """A draft and everything measured from it, lazily."""

    def __init__(self, text: str, platform: str = "generic", election_period: bool = False,
                 prefilter=None):
        self.text = text
        self.platform = platform
        self.election_period = election_period
        self.folded = FoldedText(text)
        # What the regex prefilters look for (see prefilter.py), each part computed on first use.
        self.scan = prefilter.scan(text) if prefilter is not None else None
        # Work done, counted so tests can prove cost grows linearly without clocks.
        work = self.work = Counter()  # not Counter(findings=0): its keyword path costs twice as much
        work["findings"] = 0  # present even when no rule found anything
        # What matchers compute once per post and share (the model's analysis).
        self.memo: dict = {}
        # Categories a rule's finding already speaks for, added by the checker as rules run: a
        # learned head's card of one of them is not shown (CheckResult.shown()).
        self.named: set = set()

    @property
    def lower(self) -> str:
        """The folded text: lower case, accents and curly quotes made plain."""
        return self.folded.folded

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        return self.folded.to_original(start, end)

    # The three lists below come from the C path (fastscan.py) when the folded text is ASCII,
    # as these regexes find them (tests/test_engine_speed_positions.py), else from the regexes.
    @cached_property
    def word_starts(self) -> list[int]:
        """Start of every word of the folded text, ascending."""
        got = _word_starts(self.lower)
        return [m.start() for m in _WORD.finditer(self.lower)] if got is None else got

    @cached_property
    def sentence_ends(self) -> list[int]:
        got = _sentence_ends(self.lower)
        return [m.start() for m in _SENTENCE_END.finditer(self.lower)] if got is None else got

    @cached_property
    def sentence_spans(self) -> list[tuple[int, int]]:
        """(start, end) of each sentence of the folded text that holds more than its stops,
        cut after each of sentence_ends."""
        lower, cuts = self.lower, [0, *(end + 1 for end in self.sentence_ends), len(self.lower)]
        return [(a, b) for a, b in zip(cuts, cuts[1:]) if lower[a:b].strip(" \t\n.!?")]

    @cached_property
    def clause_ends(self) -> list[int]:
        got = _clause_ends(self.lower)
        return [m.start() for m in _CLAUSE_END.finditer(self.lower)] if got is None else got

    @cached_property
    def url_spans(self) -> list[tuple[int, int]]:
        """(start, end) of each web address: digits in a link's path or query are no phone
        number or identifier."""
        return url_spans(self.text)

    def in_url(self, start: int) -> bool:
        return any(s <= start < e for s, e in self.url_spans)

    @cached_property
    def reply_mentions_end(self) -> int:
        """End of the @mentions a reply starts with (0 if none): the platform
        puts them there, the officer did not choose them."""
        m = _REPLY_MENTIONS.match(self.text)
        return m.end() if m else 0

    @cached_property
    def length(self) -> Length:
        return measure(self.text, self.platform)

    @cached_property
    def readability(self) -> dict:
        return readability(self.text)
