"""The automaton's matches in a post -> each slot's phrase hits, and the prefilter literals
the post holds.

A match counts where the phrase is a whole word at each end that begins or ends with a word
character ("#votelabour" may follow anything but a letter), and, for a case-sensitive
phrase, where the original text has it as written (or with a capital, for "initial").
"""

from __future__ import annotations

from collections import defaultdict

from . import fastscan


def _word_end(c: str) -> bool:
    return c.isalnum() or c == "_"


def _reads_as_lower(post) -> bool:
    """Is the folded text the post's lower case, where the prefilters look for their literals?
    Then the automaton's pass over it finds those too, and the prefilters need no pass of their
    own: every ASCII post, and a non-ASCII one whose characters fold to themselves (emoji, "£")."""
    folded = post.folded
    return folded.original.isascii() or folded.folded == post.scan.lower


class PhraseHits:
    """`keys`: the automaton's phrase keys (folded), numbered first; `targets[k]`: the
    (slot, match_case, text) entries key k feeds; `literal_of`: automaton index -> prefilter
    literal index (-1: none), for every key of the automaton."""

    def __init__(self, keys: list[str], targets: list[tuple], literal_of: list[int],
                 everything: list[str] | None = None, n_literals: int = 0):
        """`everything`: every key of the checker's automaton (the phrase keys, then the
        prefilter literals that are no phrase), for the C path; `n_literals`: how many
        prefilter literals there are."""
        self.n_phrases = len(keys)
        self.targets = targets
        self.literal_of = literal_of
        self.needs_left = [_word_end(k[0]) for k in keys]
        self.needs_right = [_word_end(k[-1]) for k in keys]
        # per key: the slots its hits feed, or None when a target is case-sensitive
        self._slots = [None if any(case != "any" for _, case, _ in t) else tuple(slot for slot, _, _ in t)
                       for t in targets]
        # The same answers from one C pass (fastscan.py), or None: the automaton's matches below.
        self.fast = None
        if fastscan.FAST and everything:
            self.fast = fastscan._fastscan.PhraseScanner(fastscan.automaton(everything), list(keys), self._slots,
                                                         list(literal_of), n_literals, self._cased_slots)

    def find(self, post, matches: list) -> dict:
        """Slot -> [(start, end)] in folded coordinates; on a post whose folded text is its lower
        case, as the prefilters read it (_reads_as_lower), also tells the prefilter scan its literals."""
        hits: dict[int, list] = defaultdict(list)
        folded = post.folded
        f = folded.folded
        n = len(f)
        if _reads_as_lower(post):
            literal_of = self.literal_of
            present = {literal_of[k] for k, _, _ in matches}
            present.discard(-1)  # a phrase that is no prefilter literal
            post.scan.found(present)
        phrases, needs_left, needs_right, all_slots = self.n_phrases, self.needs_left, self.needs_right, self._slots
        for k, s, e in matches:
            if k >= phrases:
                continue  # a prefilter literal only
            if s > 0 and needs_left[k] and _word_end(f[s - 1]):
                continue
            if e < n and needs_right[k] and _word_end(f[e]):
                continue
            slots = all_slots[k]
            for slot in self._cased_slots(folded, k, s, e) if slots is None else slots:
                hits[slot].append((s, e))
        post.work["phrase_hits"] += sum(len(v) for v in hits.values())
        return hits

    def find_fast(self, post) -> dict:
        """`find` for the whole automaton pass, in C (fastscan.py): a dict rather than a
        defaultdict, read the same way (`get`, `in`)."""
        folded = post.folded
        hits, present, n_hits = self.fast.find(folded, folded.folded, _reads_as_lower(post))
        if present is not None:
            post.scan.found(present)
        post.work["phrase_hits"] += n_hits
        return hits

    def _cased_slots(self, folded, k: int, s: int, e: int) -> tuple:
        """The slots key k's match at [s, e) feeds, its case-sensitive targets checked on the original."""
        out = []
        original = folded.original
        for slot, case, written in self.targets[k]:
            if case != "any":
                os_, oe = folded.to_original(s, e)
                if case == "initial":
                    if not original[os_].isupper():
                        continue
                elif original[os_:oe] != written:
                    continue
            out.append(slot)
        return tuple(out)
