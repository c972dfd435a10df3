"""Maintained word lists a rulebook list can draw its terms from.

A list in rules.json may say `"lexicon": {"name": "vader", "max_valence": -1.5}`
to take every single word of that lexicon within the valence bounds, instead of
a maintainer typing hundreds of negative words by hand. `exclude` in the list
then drops words that describe events rather than judge people ("crime",
"flood"). Lexicons are read once per process.
"""

from __future__ import annotations

import json
import os
from functools import cache

LEXICONS = ("vader", "cuss")


@cache
def vader() -> dict[str, float]:
    """word -> mean valence (-4 .. +4) from vaderSentiment's lexicon (MIT)."""
    import vaderSentiment

    path = os.path.join(os.path.dirname(vaderSentiment.__file__), "vader_lexicon.txt")
    out = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.split("\t")
            if len(parts) >= 2 and parts[0].isalpha():
                out[parts[0].lower()] = float(parts[1])
    return out


@cache
def cuss() -> dict[str, int]:
    """word -> sureness that it is profane (0 maybe, 1, 2 surely) from the
    `cuss` package (MIT, (c) Titus Wormer; data/cuss.LICENSE), the list alex
    and retext-profanities use. Vendored as JSON: it is an npm package."""
    path = os.path.join(os.path.dirname(__file__), "data", "cuss.json")
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def lexicon_terms(spec: dict) -> list[str]:
    """The words of a lexicon within the spec's bounds, sorted."""
    name = spec["name"]
    if name == "vader":
        lo, hi = spec.get("min_valence", -5.0), spec.get("max_valence", 5.0)
        return sorted(w for w, v in vader().items() if lo <= v <= hi)
    if name == "cuss":
        least = spec.get("min_sureness", 2)
        return sorted(w for w, v in cuss().items() if v >= least)
    raise ValueError(f"unknown lexicon {name!r}; known: {', '.join(LEXICONS)}")
