"""`make train`: train the learned layer with scikit-learn and export it.

    python -m server.learned.train [--shared ../shared] [--out models/impartial-model.json.gz] [--seed 13]

Data (see ../shared/corpus/README.md):
- ``dev.jsonl``: political = positive, neutral = negative (all of it is training data);
- ``categories.jsonl``, split ``tune`` only: flag = positive, clean = negative, with categories.
  The ``check`` split is never read here except to *measure* the final model for the card;
- ``external/police_uk.jsonl``: a seeded sample of ``--police-n`` posts as negatives. Their
  ids go to ``models/police-train-ids.txt``; police figures use only the other posts.

Heads: ``political`` (every positive against every negative) and one head per category
with at least ``--min-positives`` tune posts (one-vs-rest: the category's flag posts against
clean posts and flag posts of other categories; dev political posts, which carry no
categories, are left out of category heads).

Two stages per fit, so that the exported model is small *and* exactly what was trained:
stage 1 fits every head on every term seen in two or more training posts; the union of each
head's ``--keep`` heaviest terms (by |weight|) becomes the fixed vocabulary of stage 2, which
is refitted. Weights, intercepts and idf are rounded to 8 significant digits and written back
into the fitted estimators, so the artifact reproduces ``predict_proba`` of the estimator.

Thresholds: from 5-fold cross-validated out-of-fold probabilities (each fold refits both
stages). ``political``: the lowest threshold at which every group of clean training posts
(dev neutral, tune clean, police sample) keeps its false-positive rate at or below ``--fpr``
(``--police-fpr`` for police). Category heads: set together so that "any head flags" keeps
every clean group at or below ``--fpr-any`` (``--police-fpr-any``); see ``choose_thresholds``.
"""

from __future__ import annotations

import argparse
import re
import datetime as dt
import gzip
import hashlib
import json
import math
import random
import sys
import time
from pathlib import Path

import numpy as np

from . import features as F
from .scorer import FORMAT, FORMAT_VERSION, canonical_digest, scoring_part

ROOT = Path(__file__).resolve().parents[2]
CATEGORIES = [
    "party_political", "attack", "loaded_language", "tone", "personal_data", "sub_judice",
    "partisan_amplification", "pre_election",
]
# heads whose category only applies in a context the text alone does not show
HEAD_CONTEXT = {"pre_election": {"election_period": True}}


def _sig(x: float) -> float:
    return float(f"{x:.8g}")


# ----------------------------------------------------------------------------- data
class Rows:
    """Training or evaluation posts: text, group, political (0/1), categories (set or None)."""

    def __init__(self):
        self.text, self.group, self.pos, self.cats, self.ids, self.election = [], [], [], [], [], []
        self.parent = []  # the post a row comes from: a clean post's sentences share its id

    def add(self, text, group, pos, cats, id_, election=False, parent=None):
        self.parent.append(parent or id_)
        self.text.append(text)
        self.group.append(group)
        self.pos.append(int(pos))
        self.cats.append(cats)
        self.ids.append(id_)
        self.election.append(bool(election))

    def __len__(self):
        return len(self.text)

    def subset(self, idx):
        r = Rows()
        for i in idx:
            r.add(self.text[i], self.group[i], self.pos[i], self.cats[i], self.ids[i], self.election[i],
                  self.parent[i])
        return r


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def police_split(shared: Path, seed: int, n: int) -> tuple[list[dict], list[dict]]:
    """(training sample, held-out rest) of the police posts, by a seeded draw of ids."""
    posts = read_jsonl(shared / "corpus/external/police_uk.jsonl")
    ids = sorted(p["id"] for p in posts)
    chosen = set(random.Random(seed).sample(ids, min(n, len(ids))))
    return [p for p in posts if p["id"] in chosen], [p for p in posts if p["id"] not in chosen]


_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def clean_parts(text: str, min_words: int = 4) -> list[str]:
    """The sentences of a clean post, each clean on its own. In the corpus clean posts are
    longer than flag posts (median 28 words against 18); without these parts the model learns
    that short means political and flags short neutral posts ("The Mayor opened the new cycle
    lane")."""
    parts = [p.strip() for p in _SENTENCE.split(text) if len(p.split()) >= min_words]
    return parts if len(parts) >= 2 else []


def load_training(shared: Path, seed: int, police_n: int, parts: bool = True) -> tuple[Rows, list[str]]:
    rows = Rows()
    for i, r in enumerate(read_jsonl(shared / "corpus/dev.jsonl")):
        pol = r["label"] == "political"
        rows.add(r["text"], "dev", pol, None if pol else set(), f"dev-{i}")
        for j, part in enumerate(clean_parts(r["text"]) if parts and not pol else ()):
            rows.add(part, "parts", False, set(), f"dev-{i}.{j}", parent=f"dev-{i}")
    for r in read_jsonl(shared / "corpus/categories.jsonl"):
        if r["split"] != "tune":
            continue
        rows.add(r["text"], "tune", r["label"] == "flag", set(r.get("categories") or ()), r["id"],
                 r.get("election_period", False))
        for j, part in enumerate(clean_parts(r["text"]) if parts and r["label"] == "clean" else ()):
            rows.add(part, "parts", False, set(), f"{r['id']}.{j}", r.get("election_period", False), r["id"])
    train_police, _ = police_split(shared, seed, police_n)
    for p in train_police:
        rows.add(p["text"], "police", False, set(), p["id"])
    return rows, sorted(p["id"] for p in train_police)


def head_targets(rows: Rows, heads: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """head → (row mask, y) over rows."""
    out = {}
    pos = np.asarray(rows.pos)
    out["political"] = (np.ones(len(rows), dtype=bool), pos)
    for c in heads:
        if c == "political":
            continue
        mask = np.asarray([cats is not None for cats in rows.cats])
        y = np.asarray([1 if (cats and c in cats) else 0 for cats in rows.cats])
        out[c] = (mask, y)
    return out


# ----------------------------------------------------------------------------- fit
def _identity(doc):
    return doc


class Fitted:
    def __init__(self, heads, vecs, clfs):
        self.heads, self.vecs, self.clfs = heads, vecs, clfs

    def transform(self, analysed):
        import scipy.sparse as sp

        return sp.hstack([v.transform(a) for v, a in zip(self.vecs, analysed)], format="csr")

    def predict(self, analysed) -> dict[str, np.ndarray]:
        X = self.transform(analysed)
        return {h: self.clfs[h].predict_proba(X)[:, 1] for h in self.heads}


def analyse_texts(texts: list[str], char_n=F.CHAR_N, length_bins=F.LENGTH_BINS) -> tuple[list, list]:
    folded = [F.fold(t) for t in texts]
    return [F.word_terms_folded(f, length_bins) for f in folded], [F.char_terms_folded(f, char_n) for f in folded]


def fit(analysed, targets, heads, settings) -> Fitted:
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    def vectorizers(vocabs=(None, None)):
        return [
            TfidfVectorizer(analyzer=_identity, min_df=settings["min_df"], sublinear_tf=True,
                            vocabulary=voc, dtype=np.float64)
            for voc in vocabs
        ]

    def fit_heads(X):
        clfs = {}
        for h in heads:
            mask, y = targets[h]
            clf = LogisticRegression(C=settings["C"], solver="liblinear", class_weight="balanced",
                                     max_iter=1000, random_state=settings["seed"])
            clf.fit(X[mask], y[mask])
            clfs[h] = clf
        return clfs

    vecs = vectorizers()
    X = sp.hstack([v.fit_transform(a) for v, a in zip(vecs, analysed)], format="csr")
    clfs = fit_heads(X)
    sizes = [len(v.vocabulary_) for v in vecs]
    keep = set()
    for h in heads:
        w = np.abs(clfs[h].coef_[0])
        order = np.lexsort((np.arange(len(w)), -w))  # heaviest first, ties by index
        keep.update(order[: settings["keep"]].tolist())
    names = [None] * sizes[0] + [None] * sizes[1]
    for b, v in enumerate(vecs):
        off = 0 if b == 0 else sizes[0]
        for t, j in v.vocabulary_.items():
            names[off + j] = (b, t)
    vocabs = ([], [])
    for j in sorted(keep):
        b, t = names[j]
        vocabs[b].append(t)
    vocabs = tuple(sorted(v) for v in vocabs)
    vecs = vectorizers(vocabs)
    X = sp.hstack([v.fit_transform(a) for v, a in zip(vecs, analysed)], format="csr")
    # round idf, refit on the rounded features, round weights: the artifact is then exact
    for v in vecs:
        v.idf_ = np.asarray([_sig(x) for x in v.idf_])
    X = sp.hstack([v.transform(a) for v, a in zip(vecs, analysed)], format="csr")
    clfs = fit_heads(X)
    for clf in clfs.values():
        clf.coef_ = np.asarray([[_sig(x) for x in clf.coef_[0]]])
        clf.intercept_ = np.asarray([_sig(clf.intercept_[0])])
    return Fitted(heads, vecs, clfs)


def export(fitted: Fitted, thresholds: dict, version: str, meta: dict, char_n=F.CHAR_N,
           length_bins=F.LENGTH_BINS) -> dict:
    blocks = {}
    for name, v in zip(("words", "chars"), fitted.vecs):
        terms = v.get_feature_names_out().tolist()
        off = sum(len(x.vocabulary_) for x in fitted.vecs[: ("words", "chars").index(name)])
        n = len(terms)
        blocks[name] = {
            "terms": terms,
            "idf": [float(x) for x in v.idf_],
            "weights": {h: [float(x) for x in fitted.clfs[h].coef_[0][off:off + n]] for h in fitted.heads},
        }
    doc = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "version": version,
        "features": {
            "version": F.FEATURES_VERSION,
            "fold": "lower, NFKD marks dropped, curly quotes/dashes plain, digits as 0",
            "words": {"pattern": F.WORD.pattern, "ngrams": [1, 2], "length_bins": list(length_bins)},
            "chars": {"chunk": F.CHUNK.pattern, "padded": " ", "ngrams": list(char_n)},
            "tf": "1 + ln(count)", "idf": "ln((1 + n) / (1 + df)) + 1", "norm": "l2 per block",
        },
        "heads": list(fitted.heads),
        "thresholds": {h: thresholds[h] for h in fitted.heads},
        "intercepts": {h: float(fitted.clfs[h].intercept_[0]) for h in fitted.heads},
        "blocks": blocks,
    }
    doc["digest"] = canonical_digest(scoring_part(doc))
    doc["head_context"] = {h: c for h, c in HEAD_CONTEXT.items() if h in fitted.heads}
    doc.update(meta)
    return doc


# ----------------------------------------------------------------------------- thresholds
def threshold_for(neg_probs: np.ndarray, target: float) -> float:
    """Lowest threshold (3 decimals, rounded up) with at most target * n negatives at or above it."""
    if len(neg_probs) == 0:
        return 0.5
    allowed = int(math.floor(target * len(neg_probs) + 1e-9))
    s = np.sort(neg_probs)[::-1]
    if allowed >= len(s):
        return 0.0
    t = math.ceil(float(s[allowed]) * 1000 + 1e-9) / 1000  # strictly above the (allowed+1)-th highest
    return min(t, 1.0)


def choose_thresholds(rows: Rows, targets, oof: dict, heads, fpr: float, police_fpr: float,
                      fpr_any: float, police_fpr_any: float | None = None) -> dict:
    """``political``: the lowest threshold with every clean group at or under ``fpr``
    (``police_fpr`` for the police sample). Category heads: each at the threshold for a
    common per-head level f, the largest f (in steps of 0.001, at most ``fpr``) at which
    *any head* (political or a category, ``pre_election`` only in an election period)
    keeps every clean group at or under ``fpr_any`` (``police_fpr_any`` for police)."""
    if police_fpr_any is None:
        police_fpr_any = police_fpr
    groups = np.asarray(rows.group)
    clean = np.asarray(rows.pos) == 0
    election = np.asarray(rows.election)
    group_names = ("dev", "tune", "parts", "police")

    def at_level(h, level, police_level):
        mask, _ = targets[h]
        t = 0.0
        for g in group_names:
            sel = mask & clean & (groups == g)
            t = max(t, threshold_for(oof[h][sel], police_level if g == "police" else level))
        return t

    out = {"political": at_level("political", fpr, police_fpr)}
    cats = [h for h in heads if h != "political"]
    base = oof["political"] >= out["political"]
    for step in range(int(round(fpr * 1000)), -1, -1):
        level = step / 1000
        th = {h: at_level(h, level, min(level, police_fpr_any)) for h in cats}
        any_flag = base.copy()
        for h in cats:
            ok = election if HEAD_CONTEXT.get(h, {}).get("election_period") else True
            any_flag |= (oof[h] >= th[h]) & ok
        worst = {g: float(any_flag[clean & (groups == g)].mean()) if (clean & (groups == g)).any() else 0.0
                 for g in group_names}
        if all(v <= (police_fpr_any if g == "police" else fpr_any) + 1e-12 for g, v in worst.items()):
            out.update(th)
            return out
    out.update({h: 1.0 for h in cats})
    return out


def cross_validate(rows: Rows, analysed, targets, heads, settings, folds: int) -> dict:
    from sklearn.model_selection import StratifiedGroupKFold

    # Grouped by post: a clean post's sentences are training rows too, and a fold that held
    # the post out while training on its sentences would score it too low, so the thresholds
    # would come out too low and the false-positive rate on new posts too high.
    key = [f"{g}:{p}" for g, p in zip(rows.group, rows.pos)]
    oof = {h: np.zeros(len(rows)) for h in heads}
    skf = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=settings["seed"])
    for k, (tr, te) in enumerate(skf.split(np.zeros(len(rows)), key, groups=rows.parent)):
        t0 = time.time()
        sub_targets = {h: (m[tr], y[tr]) for h, (m, y) in targets.items()}
        sub = fit(tuple([a[i] for i in tr] for a in analysed), sub_targets, heads, settings)
        pred = sub.predict(tuple([a[i] for i in te] for a in analysed))
        for h in heads:
            oof[h][te] = pred[h]
        print(f"  fold {k + 1}/{folds}: {time.time() - t0:.1f}s", file=sys.stderr)
    return oof


# ----------------------------------------------------------------------------- main
def train(shared: Path, seed: int = 13, police_n: int = 1500, C: float = 30.0, keep: int = 2500,
          char_n: tuple = F.CHAR_N, length_bins: tuple = F.LENGTH_BINS,
          min_df: int = 2, min_positives: int = 30, folds: int = 5, fpr: float = 0.03,
          police_fpr: float = 0.01, fpr_any: float = 0.05, police_fpr_any: float = 0.015,
          version: str | None = None, rows: Rows | None = None, police_ids: list[str] | None = None):
    """Returns (artifact dict, fitted estimator, training rows, out-of-fold probabilities)."""
    if rows is None:
        rows, police_ids = load_training(shared, seed, police_n)
    settings = {"seed": seed, "C": C, "keep": keep, "min_df": min_df, "char_n": list(char_n),
                "length_bins": list(length_bins)}
    counts = {c: sum(1 for g, cats in zip(rows.group, rows.cats) if g == "tune" and cats and c in cats)
              for c in CATEGORIES}
    heads = ["political"] + [c for c in CATEGORIES if counts[c] >= min_positives]
    targets = head_targets(rows, heads)
    analysed = analyse_texts(rows.text, char_n, length_bins)
    print(f"training rows {len(rows)}; heads {heads}", file=sys.stderr)
    oof = cross_validate(rows, analysed, targets, heads, settings, folds)
    thresholds = choose_thresholds(rows, targets, oof, heads, fpr, police_fpr, fpr_any, police_fpr_any)
    fitted = fit(analysed, targets, heads, settings)
    data = {
        "dev": {"political": sum(1 for g, p in zip(rows.group, rows.pos) if g == "dev" and p),
                "neutral": sum(1 for g, p in zip(rows.group, rows.pos) if g == "dev" and not p)},
        "categories_tune": {"flag": sum(1 for g, p in zip(rows.group, rows.pos) if g == "tune" and p),
                            "clean": sum(1 for g, p in zip(rows.group, rows.pos) if g == "tune" and not p),
                            "by_category": counts},
        "clean_parts": sum(1 for g in rows.group if g == "parts"),
        "police_sample": len(police_ids or []),
        "police_ids_sha256": hashlib.sha256("\n".join(police_ids or []).encode()).hexdigest(),
    }
    meta = {
        "created": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "training": {
            "settings": {**settings, "folds": folds, "fpr_target": fpr, "police_fpr_target": police_fpr,
                         "fpr_any_target": fpr_any, "police_fpr_any_target": police_fpr_any,
                         "min_positives": min_positives, "police_n": police_n,
                         "classifier": "LogisticRegression(liblinear, class_weight=balanced) per head",
                         "sklearn": _sklearn_version()},
            "data": data,
        },
    }
    version = version or dt.date.today().strftime("%Y.%m.%d")
    doc = export(fitted, thresholds, version, meta, char_n, length_bins)
    return doc, fitted, rows, oof, police_ids


def _sklearn_version() -> str:
    import sklearn

    return sklearn.__version__


def write_artifact(doc: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    blob = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if path.suffix == ".gz":
        blob = gzip.compress(blob, compresslevel=9, mtime=0)
    path.write_bytes(blob)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m server.learned.train", description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--out", default=str(ROOT / "models/impartial-model.json.gz"))
    ap.add_argument("--card", default=None, help="default: MODEL_CARD.md beside --out")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--police-n", type=int, default=1500)
    ap.add_argument("--C", type=float, default=30.0)
    ap.add_argument("--char-n", default=",".join(map(str, F.CHAR_N)), help="char n-gram sizes, e.g. 3,4,5")
    ap.add_argument("--length-bins", default=",".join(map(str, F.LENGTH_BINS)),
                    help="word-count bands given to the model as a pseudo-term ('' for none)")
    ap.add_argument("--keep", type=int, default=2500, help="terms kept per head (union over heads)")
    ap.add_argument("--folds", type=int, default=5)
    # The rules flag about 2% of clean posts themselves; the model's targets leave room for
    # that, so that rules and model together stay near the 5%.
    ap.add_argument("--fpr", type=float, default=0.02)
    ap.add_argument("--police-fpr", type=float, default=0.01)
    ap.add_argument("--fpr-any", type=float, default=0.03, help="FPR target of 'any head flags'")
    ap.add_argument("--police-fpr-any", type=float, default=0.01)
    ap.add_argument("--version", default=None)
    ap.add_argument("--no-bench", action="store_true", help="leave the cost per post out of the card")
    args = ap.parse_args(argv)
    shared = Path(args.shared)
    out = Path(args.out)
    t0 = time.time()
    doc, fitted, rows, oof, police_ids = train(
        shared, seed=args.seed, police_n=args.police_n, C=args.C, keep=args.keep, folds=args.folds,
        char_n=tuple(int(n) for n in args.char_n.split(",")),
        length_bins=tuple(int(b) for b in args.length_bins.split(",") if b.strip()),
        fpr=args.fpr, police_fpr=args.police_fpr, fpr_any=args.fpr_any,
        police_fpr_any=args.police_fpr_any, version=args.version)
    from . import report

    figures = report.training_figures(doc, fitted, rows, oof, shared, args.seed, args.police_n)
    doc["figures"] = figures
    write_artifact(doc, out)
    (out.parent / "police-train-ids.txt").write_text("\n".join(police_ids) + "\n")
    seconds = time.time() - t0
    cost = None
    bench_posts = shared / "bench/posts.jsonl"
    if not args.no_bench and bench_posts.exists():
        from .scorer import load_model

        held_out = [p["text"] for p in police_split(shared, args.seed, args.police_n)[1]]
        cost = report.bench(load_model(out), bench_posts, held_out[:2000])
        cost.update(report.rules_reference(bench_posts) or {})
    card = Path(args.card) if args.card else out.parent / "MODEL_CARD.md"
    card.write_text(report.model_card(doc, out, seconds, cost))
    print(f"wrote {out} ({out.stat().st_size:,} bytes, {doc['digest']}) and {card}", file=sys.stderr)
    print(report.figures_table(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
