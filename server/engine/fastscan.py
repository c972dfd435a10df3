"""The scan stage's C path (`_fastscan.c`), when it is built and not switched off.

One automaton pass over a post and what reads its matches (phrase hits, the prefilter
literals present, the prefilters that admit the post, where anchored patterns may start)
cost as much in Python as the rest of a check's rule stages together, most of it one tuple
per match. `phrase_hits.py`, `prefilter.py` and `anchors.py` are the reference and the
fallback: without the build, or with IMPARTIAL_PURE_PYTHON=1; `tests/test_fastscan.py`
holds the two to the same answers.
"""

from __future__ import annotations

import os

try:
    from . import _fastscan
except ImportError:
    _fastscan = None
if os.environ.get("IMPARTIAL_PURE_PYTHON", "") not in ("", "0"):
    _fastscan = None
FAST = _fastscan is not None  # which path scans posts


def c_or(name: str, fallback):
    """The C function `name`, or `fallback` without the build (or with an older one that lacks
    it): chosen once at import, never per post."""
    return (FAST and getattr(_fastscan, name, None)) or fallback


def automaton(keys: list[str]):
    """The C automaton over `keys` (as prefilter.automaton builds ahocorasick_rs's), or None
    without the C path or without keys."""
    return _fastscan.Automaton(list(keys)) if FAST and keys else None
