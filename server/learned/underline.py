"""Which words a model finding underlines: the anchor, its phrase, and the underline chooser.

A head's logit is a sum over the post's words (``Analysis.unit_contributions``). The single
weightiest word is often not what a reviewer would underline: a function word carrying a
bigram ("the"), a place name, a word of the post's register. The chooser looks only at the few
words that weighed most for the head (``candidates``, each with a positive share, and a couple more
further down that are in its word lists, ``listed_candidates``) and picks the
one whose phrase reviewers underline most often, by a small logistic regression over transparent
features (its share of the weight, its rank, word lists, shape, its clause's weight). The
underline then grows from that anchor as before (``grow``, ``widen``), so it stays among the
words that weighed most for the head.

Trained by ``server/learned/underline_fit.py`` on out-of-fold contributions (``make train``),
stored in the artifact under ``explain.chooser``, scored here in pure Python: a few candidates
times a dozen features, and only for a head that fired.
"""

from __future__ import annotations

import itertools
import math
import operator

# Function words: a bigram's weight is split between its two words, so "the" or "of" can come
# out top while saying nothing to the officer.
STOPWORDS = frozenset("""
a an the and or but if so as at by for from in into of on onto to with without about over under
up down out off than then that this these those there here it its it's is are was were be been
being am do does did done have has had having will would shall should can could may might must
i me my mine we us our ours you your yours he him his she her hers they them their theirs who
whom whose which what when where why how all any both each every few more most other some such
no nor not only own same too very just also via per amp rt
""".split())

# The features, in the order of the weights in the artifact; each comment says why it may matter.
FEATURES = (
    "share",      # the word's weight over the top word's: the model's own ranking
    "top",        # it is the weightiest word
    "rank",       # ln(1 + rank) among the candidates
    "stop",       # a function word (above): rarely what a reviewer means
    "window",     # positive weight of its clause window (the phrase it would give) over the top word's
    "neighbour",  # the best share among its window neighbours: a weighty phrase, not a lone word
    "capital",    # capitalised inside a clause: names, often not the breach itself
    "tag",        # a #hashtag or @mention
    "digit",      # holds a digit (folded text writes every digit as 0): personal data
    "long",       # the word's length over 10
)
# then one feature per word list the artifact carries (``lex:<name>``)


def window(n_units: int, joined, i: int, n: int) -> tuple[int, int]:
    """(first, last) unit of word i widened by up to n units each side within its clause
    (``joined(k)``: units k and k+1 have no clause break between them)."""
    a = i
    while a > 0 and i - a < n and joined(a - 1):
        a -= 1
    b = i
    while b < n_units - 1 and b - i < n and joined(b):
        b += 1
    return a, b


def grow(contrib: list, order: list, k: int) -> set:
    """The chosen units: words in ``order`` (anchor first), each taken unless it would make more
    than k separate runs of adjacent words; a word next to a chosen one joins its run."""
    chosen: set[int] = set()
    n_groups = 0
    for i in order:
        new_groups = n_groups + 1 - (i - 1 in chosen) - (i + 1 in chosen)
        if new_groups > k:
            continue
        chosen.add(i)
        n_groups = new_groups
    return chosen


def widen(chosen: set, n_units: int, joined, n: int) -> set:
    """Each chosen unit with up to n neighbours each side within its clause: reviewers
    underline phrases, not lone words."""
    out = set(chosen)
    for i in chosen:
        a, b = window(n_units, joined, i, n)
        out.update(range(a, b + 1))
    return out


class Chooser:
    """A fitted chooser (the artifact's ``explain.chooser``): picks the anchor word."""

    __slots__ = ("weights", "intercept", "candidates", "listed", "phrase", "lexicons", "names", "n_base",
                 "lex_weight")

    def __init__(self, spec: dict):
        self.names = tuple(spec["features"])
        self.weights = tuple(float(w) for w in spec["weights"])
        if len(self.weights) != len(self.names):
            raise ValueError(f"chooser: {len(self.weights)} weights for {len(self.names)} features")
        if self.names[:len(FEATURES)] != FEATURES:
            raise ValueError(f"chooser: features {self.names[:len(FEATURES)]}, this code computes {FEATURES}")
        self.n_base = len(FEATURES)
        self.intercept = float(spec["intercept"])
        self.candidates = int(spec["candidates"])
        # Up to this many more candidates from further down, among the words of the lists: the
        # evaluative word a reviewer underlines often weighs less than the actor it is said of.
        self.listed = int(spec.get("listed_candidates", 0))
        self.phrase = int(spec["phrase"])
        # word -> bit mask of the lists it is in (features, for fitting), and word -> the sum of
        # those lists' weights (score: the same sum, one dict look-up)
        self.lexicons: dict = {}
        self.lex_weight: dict = {}
        for b, name in enumerate(n[4:] for n in self.names[self.n_base:]):
            w_list = self.weights[self.n_base + b]
            for w in spec["lexicons"][name]:
                self.lexicons[w] = self.lexicons.get(w, 0) | (1 << b)
                self.lex_weight[w] = self.lex_weight.get(w, 0.0) + w_list

    def base(self, word: str, shape: str, contrib: list, joined, i: int, rank: int, top: float) -> tuple:
        """Word i's features before the word lists (``word``: folded, ``shape``: as written)."""
        a, b = window(len(contrib), joined, i, self.phrase)
        total = neigh = 0.0
        for j in range(a, b + 1):
            c = contrib[j]
            if c > 0:
                total += c
                if j != i and c > neigh:
                    neigh = c
        return (contrib[i] / top, float(rank == 0), math.log1p(rank), float(word in STOPWORDS),
                total / top, neigh / top, float(shape[:1].isupper() and i > 0 and joined(i - 1)),
                float(word[:1] in "#@"), float("0" in word), min(len(word), 20) / 10)

    def features(self, word: str, shape: str, contrib: list, joined, i: int, rank: int, top: float) -> list:
        """Word i's whole feature vector, in the order of ``names`` (for fitting and tests)."""
        mask = self.lexicons.get(word, 0)
        return list(self.base(word, shape, contrib, joined, i, rank, top)) + [
            float(mask >> b & 1) for b in range(len(self.names) - self.n_base)]

    def score(self, word: str, shape: str, contrib: list, joined, i: int, rank: int, top: float) -> float:
        """The logit of word i: intercept + weights · features."""
        f = self.base(word, shape, contrib, joined, i, rank, top)  # zip stops at the base features
        return self.intercept + sum(map(operator.mul, self.weights, f)) + self.lex_weight.get(word, 0.0)

    def ranked(self, contrib: list, word_at=None, order: list | None = None) -> list:
        """The candidates: the ``candidates`` weightiest words with a positive weight, weightiest
        first, then up to ``listed`` more of the rest that are in a word list (``word_at(i)``:
        word i, folded). ``order``: the words with a positive weight, weightiest first, when the
        caller has them."""
        if order is None:
            order = sorted((i for i, c in enumerate(contrib) if c > 0), key=lambda i: (-contrib[i], i))
        top = order[: self.candidates]
        if self.listed and word_at is not None:
            listed = self.lexicons
            # the first few listed words only: a long post's rest need not be read
            top += itertools.islice((i for i in order[self.candidates:] if word_at(i) in listed), self.listed)
        return top

    def pick(self, contrib: list, word_at, shape_at, joined, order: list | None = None) -> int | None:
        """The anchor: the candidate the chooser scores highest (ties: the weightier word).
        ``order``: the words with a positive weight, weightiest first, when the caller has
        them. None when no word weighs for the head."""
        order = self.ranked(contrib, word_at, order)
        if not order:
            return None
        top = contrib[order[0]]
        best, best_score = order[0], None
        for r, i in enumerate(order):
            sc = self.score(word_at(i), shape_at(i), contrib, joined, i, r, top)
            if best_score is None or sc > best_score:  # strictly better: ties keep the weightier
                best, best_score = i, sc
        return best
