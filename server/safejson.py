"""JSON from clients, parsed without the ways json.loads can be made to fail badly.

json.loads recurses once per nesting level (100,000 nested arrays raise
RecursionError) and converts numbers of any length (a 5,000-digit one raises
ValueError; Infinity and NaN are accepted though not JSON). The request
bodies of /v1 and the playground's candidate rulebooks go through these.
"""

from __future__ import annotations

import functools
import json
import re

MAX_INT_DIGITS = 20
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


class BadNumber(ValueError):
    """A number too long to convert safely, or NaN/Infinity."""


def nesting_over(raw: bytes, limit: int) -> bool:
    """True when arrays and objects nest deeper than limit (brackets inside strings do not count)."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth = 0
    for c in _JSON_STRING.sub(b'""', raw).translate(None, _NOT_BRACKETS):
        depth += 1 if c in (0x5B, 0x7B) else -1
        if depth > limit:
            return True
    return False


def loads(text: str, what: str = "the body"):
    """json.loads refusing long numbers, NaN and Infinity with BadNumber ("<what> has ...")."""
    decoder = _decoder(what)
    if isinstance(text, str) and not text.startswith("\ufeff"):
        # What json.loads does with such a text, without building a decoder and its scanner each time.
        return decoder.decode(text)
    return json.loads(text, parse_int=decoder.parse_int, parse_constant=decoder.parse_constant)


@functools.lru_cache(maxsize=16)
def _decoder(what: str) -> json.JSONDecoder:
    def parse_int(digits: str) -> int:
        count = len(digits) - digits.startswith("-")
        if count > MAX_INT_DIGITS:
            raise BadNumber(f"{what} has a {count}-digit number; numbers here have at most {MAX_INT_DIGITS} digits")
        return int(digits)

    def parse_constant(name: str):
        raise BadNumber(f"{what} has {name}, which is not JSON")

    return json.JSONDecoder(parse_int=parse_int, parse_constant=parse_constant)
