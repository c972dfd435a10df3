"""Fit the underline chooser (``underline.Chooser``) at ``make train`` time (scikit-learn).

Examples come from the tune group's flag posts, each underlined by the fold model that did not
see it (as ``make eval`` would), for every head that fires on it and the heads of its own
categories: per candidate word (the chooser's ``candidates`` weightiest), its features and
whether its clause window overlaps a reviewer span. That label is what span precision counts,
so the chooser learns which candidate's phrase lands on a reviewer's span.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from . import features as F
from .underline import FEATURES, Chooser, grow, widen

# Word lists offered to the chooser (../shared/corpus/external/lexicons and the engine's own
# list of crude words): evaluative words are what reviewers underline.
LEXICON_FILES = {
    "negative": "negative_liu2005.txt", "positive": "positive_liu2005.txt",
    "strong_subjective": "strong_subjectives_riloff2003.txt", "npov": "npov_lexicon.txt",
    "weak_subjective": "weak_subjectives_riloff2003.txt", "hedges": "hedges_hyland2005.txt",
    "report_verbs": "report_verbs.txt",
}
# The lists the chooser uses: on tune out of fold, the other lists added nothing (0.806-0.808
# span precision with all seven, these two, or Liu negative alone; 0.799 with none).
LEXICONS = ("negative", "npov")
CANDIDATES = 4
# Listed words beyond the 4 weightiest also offered (Chooser.listed), tune out of fold twice over,
# 2026-12-01: span precision 0 0.815, 1 0.823, 2 0.824, 3 0.823, 4 and 8 0.821; Liu negative
# alone 0.819-0.820.
LISTED = 2
PHRASE = 2
C = 1.0


def load_lexicons(shared: Path, names=LEXICONS) -> dict[str, list[str]]:
    """name -> sorted single folded words (multi-word entries dropped: the chooser scores words)."""
    out = {}
    for name in names:
        path = shared / "corpus/external/lexicons" / LEXICON_FILES[name]
        words = {F.fold(w.strip()) for w in path.read_text(encoding="utf-8").splitlines()}
        out[name] = sorted(w for w in words if w and F.WORD.fullmatch(w))
    return out


def post_view(analysis, head: str) -> tuple:
    """(words, shapes, contrib, joined, spans) of an analysed post for one head: folded and
    original unit texts, contributions, clause joins and each unit's (start, end) in the text."""
    units = analysis.layout()[0]
    folded, text = analysis.folded, analysis.text
    where = analysis._fold_map()
    spans = [((where[s], where[e - 1] + 1) if where is not None else (s, e)) for s, e in units]
    joined = [analysis._joined(k) for k in range(len(units) - 1)]
    words = [folded[s:e] for s, e in units]
    shapes = [text[s:e] for s, e in spans]
    return words, shapes, analysis.unit_contributions(head), joined, spans


def underline_from(contrib: list, joined, anchor: int, k: int, phrase: int) -> tuple[int, int]:
    """(first, last) unit of the underline ``Analysis.explain`` draws from this anchor (one run)."""
    order = [anchor] + sorted((i for i, c in enumerate(contrib) if c > 0 and i != anchor),
                              key=lambda i: (-contrib[i], i))
    chosen = widen(grow(contrib, order, k), len(contrib), joined, phrase)
    return min(chosen), max(chosen)


def candidate_rows(chooser: Chooser, view: tuple, ref: list, k: int = 1) -> tuple[list, list]:
    """Features and labels (the underline from it overlaps a reviewer span) of one post-head's
    candidate anchors."""
    words, shapes, contrib, joined, spans = view
    at = joined.__getitem__
    order = chooser.ranked(contrib, words.__getitem__)
    X, y = [], []
    for r, i in enumerate(order):
        X.append(chooser.features(words[i], shapes[i], contrib, at, i, r, contrib[order[0]]))
        a, b = underline_from(contrib, at, i, k, chooser.phrase)
        s, e = spans[a][0], spans[b][1]
        y.append(int(any(s < re and rs < e for rs, re in ref)))
    return X, y


def blank(lexicons: dict, candidates: int = CANDIDATES, phrase: int = PHRASE, listed: int = LISTED) -> Chooser:
    """A chooser with every weight zero (ties go to the weightier word: today's underline)."""
    names = list(FEATURES) + [f"lex:{n}" for n in lexicons]
    return Chooser({"features": names, "weights": [0.0] * len(names), "intercept": 0.0,
                    "candidates": candidates, "listed_candidates": listed, "phrase": phrase,
                    "lexicons": lexicons})


def fit(examples: list, lexicons: dict, seed: int, candidates: int = CANDIDATES, phrase: int = PHRASE,
        C: float = C, listed: int = LISTED) -> dict:
    """examples: [(view, reviewer spans)]. Returns the artifact's ``explain.chooser`` spec."""
    from sklearn.linear_model import LogisticRegression

    base = blank(lexicons, candidates, phrase, listed)
    X, y = [], []
    for view, ref in examples:
        xs, ys = candidate_rows(base, view, ref)
        X += xs
        y += ys
    clf = LogisticRegression(C=C, solver="liblinear", random_state=seed, max_iter=1000)
    clf.fit(np.asarray(X), np.asarray(y))
    return {"features": list(base.names), "weights": [float(f"{w:.6g}") for w in clf.coef_[0]],
            "intercept": float(f"{clf.intercept_[0]:.6g}"), "candidates": candidates,
            "listed_candidates": listed, "phrase": phrase,
            "lexicons": lexicons, "examples": len(y), "positives": int(sum(y))}


def examples(rows, oof, owner, thresholds, heads, spans_by_id) -> list[tuple]:
    """(post, fires, view, reviewer spans) per tune flag post and head that fires on it (as
    ``make eval`` would see it) or names one of its categories: the fold model that did not see
    the post gives the contributions, so they look like those of a post the model never saw."""
    from .experiment import firing

    out = []
    for i in range(len(rows)):
        if rows.group[i] != "tune" or not rows.pos[i]:
            continue
        text = rows.text[i]
        ref = [(s, s + len(m)) for m in spans_by_id.get(rows.ids[i], []) if (s := text.find(m)) >= 0]
        fired = set(firing(rows, oof, thresholds, heads, i))
        a = owner[i].analyse(text)
        for h in heads:
            if h in fired or h == "political" or h in (rows.cats[i] or ()):
                out.append((rows.parent[i], h in fired, post_view(a, h), ref))
    return out


def _fold(post: str, folds: int) -> int:
    return int(hashlib.sha256(post.encode()).hexdigest(), 16) % folds


def span_counts(chooser: Chooser, exs: list, k: int = 1) -> list[int]:
    """[precise, underlines, reviewer spans found, reviewer spans]: one underline per post and
    head that fires, as ``Analysis.explain`` draws it with this chooser; recall over the spans
    of every post in the examples, as ``make eval`` counts it."""
    precise = n = 0
    found: dict = {}
    for post, fires, view, ref in exs:
        hit = found.setdefault(post, [False] * len(ref))  # every flag post's spans count for recall
        if not fires:
            continue
        words, shapes, contrib, joined, spans = view
        at = joined.__getitem__
        i = chooser.pick(contrib, words.__getitem__, shapes.__getitem__, at)
        if i is None:  # a finding over the whole post
            s, e = 0, spans[-1][1] if spans else 0
        else:
            a, b = underline_from(contrib, at, i, k, chooser.phrase)
            s, e = spans[a][0], spans[b][1]
        n += 1
        precise += any(s < re and rs < e for rs, re in ref)
        for j, (rs, re) in enumerate(ref):
            hit[j] = hit[j] or (s < re and rs < e)
    return [precise, n, sum(map(sum, found.values())), sum(map(len, found.values()))]


def cross_validated(exs: list, lexicons: dict, seed: int, folds: int = 5, **kw) -> dict:
    """Span figures of the underlines out of fold twice over: each post's contributions from a
    fold model that did not see it (``examples``), its anchor from a chooser fitted on the other
    folds' posts. ``without``: the weightiest word as the anchor, as before the chooser."""
    got = np.zeros(4, dtype=int)
    for f in range(folds):
        spec = fit([(v, r) for p, _, v, r in exs if _fold(p, folds) != f], lexicons, seed, **kw)
        got += span_counts(Chooser(spec), [e for e in exs if _fold(e[0], folds) == f])
    without = span_counts(blank({}, 1, kw.get("phrase", PHRASE), 0), exs)
    keys = ("precise", "underlines", "found", "reviewer_spans")
    return {"with": dict(zip(keys, map(int, got))), "without": dict(zip(keys, without))}
