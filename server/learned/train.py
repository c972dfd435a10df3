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

from ..evaluate import LOCAL, PROJECT_CORPUS as PROJECT_CORPUS_DIR
from . import features as F
from .scorer import FORMAT, FORMAT_VERSION, canonical_digest, scoring_part

ROOT = Path(__file__).resolve().parents[2]
# This project's own labelled posts (corpus/, see its README): every post not in a `check`
# split trains the model beside the categories tune posts, in the same group.
PROJECT_CORPUS = Path(PROJECT_CORPUS_DIR)
# Every corpus make eval measures, and written.jsonl, which is for training only. written.jsonl
# sits second because rows are read in this order and the model's digest depends on it.
# MEASURED_ONLY: measures whose tune half the model has not trained on yet. Retrained with
# ninth's tune half alone (2026-12-03), the nine check halves pooled went from a false-positive
# rate of 0.050 to 0.057, so that model stayed. With eight more writers' tune halves (ninth to
# twelfth, sixteenth to nineteenth; 2026-12-04), the three writers it had not seen (thirteenth to
# fifteenth, both halves) went from model-alone recall 0.688 to 0.765 at false-positive rate
# 0.012 -> 0.017, both layers 0.945 -> 0.958 / 0.033 -> 0.036, and the twenty check halves from
# 0.915 / 0.044 to 0.919 / 0.042; so the model trains on every writer's tune half now. Four
# writers came after that model (twentieth to twentythird, 2026-12-04): measured only, so both
# their halves say what the model does on writers it has never read; so do three more (twentyfourth
# to twentysixth, 2026-12-05), and so do crowd.jsonl, congress.jsonl and capitol.jsonl, real US
# politicians' posts hand-labelled (2026-12-05). capitol.jsonl was labelled as a third training batch
# for congress_train.jsonl; trained on, weights only, it cost the other real check halves 4 catches
# and the written ones 14, so it became a measure instead (corpus/README.md). rotunda.jsonl
# (2026-12-05, later) was labelled as a measure from the start.
# twentyseventh to thirtyeighth (2026-12-06), thirtyninth to fortyfirst (2026-12-07) and fortysecond
# to fortyfifth (2026-12-08): nineteen more blind writers, measured only.
# Retrained with the tune halves of twentieth to thirtyfourth (2026-12-06, rules .228; thirtyfifth and
# thirtysixth, which it never read, as the measure): there recall 0.941 -> 0.930 and false flags 0.061 ->
# 0.047; but the real check halves lost 19 catches (0.805 -> 0.776), dev 0.995 -> 0.973 and police
# 33 -> 43 flagged (thresholds rose with the clean posts added), so the model stayed.
# Retrained with the tune halves of the eight measured writers (twentieth to twentyseventh) on
# 2026-12-06, before twentyeighth existed: on twentyeighth, both halves, recall 177 -> 180 of 198 and
# false flags 7 -> 4 of 200; the 27 other written check halves 0.912 -> 0.912, false flags 152 -> 146
# of 3,068, tone 531 -> 527 of 711; the real check halves 540 -> 541 of 671 caught but false flags
# 44 -> 49 of 723 (the political head's); police 33 -> 34. A wash, so the model stayed.
# A third try (2026-12-07, rules .234): the tune halves of twentieth to thirtyfifth, with the six
# writers after them (thirtysixth to fortyfirst, both halves) as the measure. There, model alone
# 0.786 -> 0.800 at false flags 0.022 -> 0.019, both layers 0.912 / 0.040 -> 0.915 / 0.036; the real
# check halves 0.805 / 0.061 -> 0.799 / 0.065; police 33 -> 52 flagged (the tone head 2 -> 8, the
# political head 20 -> 27, on held-out police posts). The same trade each time: more writers help
# written posts a little and cost real ones and police posts, so the model stayed.
# casual.jsonl (clean posts in a casual, joking register, 2026-12-05): its tune half, trained on, cut
# its check half's false flags 18 -> 6 of 160 but cost the 27 written check halves 32-36 catches
# (thresholds chosen with it or weights only alike) and the real ones 6, so it is a measure.
MEASURED_ONLY: tuple = ("twentieth.jsonl", "twentyfirst.jsonl", "twentysecond.jsonl", "twentythird.jsonl",
                        "twentyfourth.jsonl", "twentyfifth.jsonl", "twentysixth.jsonl", "twentyseventh.jsonl",
                        "twentyeighth.jsonl", "twentyninth.jsonl", "thirtieth.jsonl", "thirtyfirst.jsonl",
                        "thirtysecond.jsonl", "thirtythird.jsonl", "thirtyfourth.jsonl", "thirtyfifth.jsonl",
                        "thirtysixth.jsonl", "thirtyseventh.jsonl", "thirtyeighth.jsonl", "thirtyninth.jsonl",
                        "fortieth.jsonl", "fortyfirst.jsonl", "fortysecond.jsonl", "fortythird.jsonl",
                        "fortyfourth.jsonl", "fortyfifth.jsonl", "crowd.jsonl", "congress.jsonl", "capitol.jsonl",
                        "rotunda.jsonl", "casual.jsonl")
_MEASURED = tuple(path for path, _ in LOCAL.values() if path not in MEASURED_ONLY)
# crowd_train.jsonl: 479 real US politicians' posts labelled as dev's are, for training only, last so
# the rows before it keep their order. Trained on (2026-12-05), on the 520 real posts of crowd.jsonl
# (which it does not overlap) the model brought the false-positive rate from 0.088 to 0.050 and recall
# from 0.742 to 0.762; on the 27 written check halves recall 0.915 -> 0.911 at the same 0.051; police
# 31 -> 36 flagged of 8,876. Real posts are half of the private sets.
PROJECT_TRAINING = (_MEASURED[0], "written.jsonl", *_MEASURED[1:], "crowd_train.jsonl", "congress_train.jsonl")
# congress_train.jsonl: 2,904 real Congress tweets (2017-2023, another source than dev) labelled as
# dev's are. WEIGHTS_ONLY: real posts that teach the weights in every fold but, unlike crowd_train's
# (dev's own source, so in dev's group and its false-positive budget), are never held out and so
# choose no threshold. Filed in dev's group as well, they raised every threshold and cost the
# written check halves 18 catches (loaded language 0.751 -> 0.704); weights only, on the 260 real
# check posts of crowd.jsonl and congress.jsonl (which it never read): recall 0.742 -> 0.788 at the
# same false-positive rate (17/260); the 27 written check halves 0.911 / 0.051 -> 0.908 / 0.049;
# police 36 -> 38 flagged of 8,876 (2026-12-05). A second batch (1,081 rows, 2,904 in all) with links read by
# host only (features.LINKS), rules .180, against the model before: those 260 real check posts 200 -> 203
# caught at the same 15 false flags; the 27 written check halves 0.909 / 0.049 -> 0.913 / 0.051; police 38 -> 33.
WEIGHTS_ONLY: tuple = ("congress_train.jsonl",)
ALWAYS_TRAINED = ("charges", "real")  # row groups in every fold, never held out (cross_validate)
# `make train`'s settings; server/learned/experiment.py compares others on out-of-fold data.
# char 3-4-grams and C=30: char 4-grams alone with C=10 scored as well out-of-fold but lost recall
# and gained false positives on the probe set before any of it was trained on. The external sets
# (wnc, toxic) made their heads worse on official posts, so none is used; nor iSarcasmEval's
# personal tweets as tone examples, weights only (2026-12-06): the tone head's own out-of-fold
# recall fell 0.541 -> 0.324, on the categories check 0.650 -> 0.350. police_n 3000: on the
# police posts no model saw, "any head" flags 0.8% with 1,500 police posts in training and 0.5%
# with 3,000 (the categories check recall moved 0.867 -> 0.860, within one post's noise).
# fpr 0.015 (was 0.02) once corpus/written.jsonl joined: the rules flag ~2% of held-out clean posts
# themselves, and out of fold "any head" then flags 0.023 of tune clean posts (0.029 at 0.02) for
# 0.708 recall (0.718). police_charges: half the charge notices of CHARGE_NOTICE beyond the sample
# train every fold and are never held out, so the folds stay as they were; they halved the
# sub_judice head's flags on held-out charge notices when added (11 -> 5 of 181, 2026-12-01).
# keep 2500: 5000 raised out-of-fold recall about two points but took the police posts no model saw
# over 1% flagged. police_n 4000: with the twins of corpus/written.jsonl (its g-h parts), 3000 police
# negatives let the held-out police flags reach 1% and cost dev recall out of fold (2026-12-01).
# The tune halves of blind, traps, fresh, novel and voices train too (2026-12-03): their hard traps are the
# clean posts the model wrongly flagged on new writers, and held out, rules and model together
# flagged 5.8-8.8% of those writers' clean posts. fpr_any 0.02 (was 0.03): the rules alone flag
# about 3% of a new writer's clean posts, so the heads get what is left of the 5% target. Both
# layers over the six check halves (832 flag / 880 clean): recall 0.912 -> 0.893, false flags
# 0.065 -> 0.049; the same data at fpr_any 0.03 gave 0.927 / 0.061.
# echo's and relay's tune halves train too (2026-12-03, after each was measured once on both halves):
# relay's writer set traps the model flagged (a maternity "labour", "Kia kaha to the community").
# budget: per-group false-positive budgets of the greedy per-head thresholds (greedy_thresholds),
# in place of one common level for every category head (choose_thresholds, budget None). With the
# 2026-12-03 training data, chosen on one half of the posts and measured on the other, both ways
# (python -m server.learned.experiment): greedy at budgets tune/dev 0.015, parts 0.02 0.715 / 0.704 tune recall at 0.019 /
# 0.014 clean FPR, police 0.005 / 0.002; the common level at fpr_any 0.02 0.697 / 0.691 at 0.018 /
# 0.014, police 0.004 / 0.002. It spends the budget where recall is cheapest (attack opens from
# 0.952 to 0.715 in the shipped model). On the smaller data of 2026-11-30 greedy did no better than the common level.
# bags 40 and budgets tune/dev 0.02, parts 0.025 (were 0.015/0.015/0.02, one greedy run): with the
# 781 posts written on 2026-12-03 (written.jsonl wk, wm) one run chose attack 0.77 on one half of
# the out-of-fold posts and 0.98 on the other; the median of 40 runs on subsets, 0.78 and 0.88.
# Both layers on the seven check halves (1,060 flag / 1,071 clean), against the model before:
# recall 0.897 -> 0.902, false flags 0.049 -> 0.046; sub judice 0.741 -> 0.853, attack 0.752 -> 0.720.
DEFAULTS = {"police_n": 4000, "C": 30.0, "keep": 2500, "extra": (), "fpr": 0.015, "police_fpr": 0.01,
            "fpr_any": 0.02, "police_fpr_any": 0.01, "project": PROJECT_TRAINING, "police_charges": True,
            "budget": {"tune": 0.02, "dev": 0.02, "parts": 0.025, "police": 0.005}, "bags": 40}
# How a finding is underlined (Analysis.explain): one phrase, an anchor word widened by up to
# two words each side within its clause: span precision on out-of-fold tune 0.78 against 0.58
# for the three weightiest words. The anchor is picked by the underline chooser (fit_chooser).
EXPLAIN = {"k": 1, "min_share": 0.0, "phrase": 2}
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


# Police posts about charges and courts ("... has been charged and will appear at ... court"):
# factual notices, clean, but they share words with sub judice breaches, and the sub_judice head
# learnt "charged" from the breaches. Half of those outside the random sample (by a hash of the
# id, so the other half stays held out to measure it) join the negatives.
CHARGE_NOTICE = re.compile(r"\b(charged|remanded|court|appear)", re.IGNORECASE)


def police_split(shared: Path, seed: int, n: int, charges: bool = False) -> tuple[list[dict], list[dict]]:
    """(training sample, held-out rest) of the police posts, by a seeded draw of ids; with
    ``charges``, half the charge notices of the rest move to the training sample."""
    posts = read_jsonl(shared / "corpus/external/police_uk.jsonl")
    ids = sorted(p["id"] for p in posts)
    chosen = set(random.Random(seed).sample(ids, min(n, len(ids))))
    sample = [p for p in posts if p["id"] in chosen]
    rest = [p for p in posts if p["id"] not in chosen]
    if charges:
        extra = {p["id"] for p in charge_notices(rest)}
        sample += [p for p in rest if p["id"] in extra]  # after the sample: its rows keep their order
        rest = [p for p in rest if p["id"] not in extra]
    return sample, rest


def charge_notices(posts: list[dict]) -> list[dict]:
    """Half the charge notices among posts, by a hash of the id (the other half stays held out)."""
    return [p for p in posts if CHARGE_NOTICE.search(p["text"])
            and int(hashlib.sha256(p["id"].encode()).hexdigest(), 16) % 2 == 0]


_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def clean_parts(text: str, min_words: int = 4) -> list[str]:
    """The sentences of a clean post, each clean on its own. In the corpus clean posts are
    longer than flag posts (median 28 words against 18); without these parts the model learns
    that short means political and flags short neutral posts ("The Mayor opened the new cycle
    lane")."""
    parts = [p.strip() for p in _SENTENCE.split(text) if len(p.split()) >= min_words]
    return parts if len(parts) >= 2 else []


# External sets that can be added as training signal, each for the heads it speaks to
# (``EXTERNAL_HEADS``); their held-out part is never trained on (``external_split``).
EXTERNAL_HEADS = {"wnc": ("loaded_language",), "toxic": ("attack",)}


def external_split(id_: str) -> str:
    """'train' or 'held_out' by a hash of the id: a fifth of every external set is kept out."""
    return "held_out" if int(hashlib.sha256(id_.encode()).hexdigest(), 16) % 5 == 0 else "train"


def add_external(rows: Rows, shared: Path, name: str) -> None:
    ext = shared / "corpus/external"
    if name == "wnc":
        # A Wikipedia sentence before and after an NPOV edit: the same sentence, so the model
        # learns the edited words, not the register. Pairs without an edit are left out.
        for r in read_jsonl(ext / "wnc_sample_pairs.jsonl"):
            if r["biased"] == r["neutral"] or external_split(r["id"]) != "train":
                continue
            rows.add(r["biased"], "wnc", False, {"loaded_language"}, r["id"] + ":b", parent=r["id"])
            rows.add(r["neutral"], "wnc", False, set(), r["id"] + ":n", parent=r["id"])
    elif name == "toxic":
        for r in read_jsonl(ext / "toxic_spans_train.jsonl"):
            if external_split(r["id"]) == "train" and r["spans"]:
                rows.add(r["text"], "toxic", False, {"attack"}, r["id"])
    else:
        raise ValueError(f"unknown external training set {name!r}")


def project_posts(names: tuple = PROJECT_TRAINING) -> list[dict]:
    """The posts of this project's corpora that may be trained on (never a `check` split), each
    id qualified by its corpus: two writers may both number from t0001 (traps, tenth), and an id
    keys a post's reviewer spans and its cross-validation group. `weights_only`: the corpus is
    in WEIGHTS_ONLY."""
    return [dict(r, id=f"{Path(name).stem}:{r['id']}", weights_only=name in WEIGHTS_ONLY) for name in names
            for r in read_jsonl(PROJECT_CORPUS / name) if r.get("split") != "check"]


def add_labelled(rows: Rows, r: dict, parts: bool) -> None:
    """A labelled post of categories tune or this project's corpora, and a clean post's sentences.
    A real post labelled as dev's are (political / neutral, no categories) counts as dev's do: in
    dev's group, and a political one trains no category head (its categories are unknown); from
    a WEIGHTS_ONLY corpus, in group "real" with its sentences (ALWAYS_TRAINED)."""
    real = r["label"] in ("political", "neutral")
    flag, ep = r["label"] in ("flag", "political"), r.get("election_period", False)
    cats = None if r["label"] == "political" else set(r.get("categories") or ())
    group = ("real" if r.get("weights_only") else "dev") if real else "tune"
    rows.add(r["text"], group, flag, cats, r["id"], ep)
    for j, part in enumerate(clean_parts(r["text"]) if parts and not flag else ()):
        rows.add(part, "real" if group == "real" else "parts", False, set(), f"{r['id']}.{j}", ep, r["id"])


def load_training(shared: Path, seed: int, police_n: int, parts: bool = True, extra: tuple = (),
                  project: tuple = PROJECT_TRAINING,
                  police_charges: bool = DEFAULTS["police_charges"]) -> tuple[Rows, list[str]]:
    rows = Rows()
    for i, r in enumerate(read_jsonl(shared / "corpus/dev.jsonl")):
        pol = r["label"] == "political"
        rows.add(r["text"], "dev", pol, None if pol else set(), f"dev-{i}")
        for j, part in enumerate(clean_parts(r["text"]) if parts and not pol else ()):
            rows.add(part, "parts", False, set(), f"dev-{i}.{j}", parent=f"dev-{i}")
    tune = [r for r in read_jsonl(shared / "corpus/categories.jsonl") if r["split"] == "tune"]
    for r in tune + project_posts(project):
        add_labelled(rows, r, parts)
    train_police, _ = police_split(shared, seed, police_n, police_charges)
    for p in train_police[:police_n]:
        rows.add(p["text"], "police", False, set(), p["id"])
    for name in extra:
        add_external(rows, shared, name)
    # Training only, in every fold (cross_validate): so the folds, and the thresholds, are those
    # the model had without them, and their only effect is the weights they teach.
    for p in train_police[police_n:]:
        rows.add(p["text"], "charges", False, set(), p["id"])
    return rows, sorted(p["id"] for p in train_police)


def head_targets(rows: Rows, heads: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """head → (row mask, y) over rows."""
    out = {}
    pos = np.asarray(rows.pos)
    groups = np.asarray(rows.group)
    external = np.isin(groups, list(EXTERNAL_HEADS))
    # external rows are not official posts: they train only the heads they speak to
    # A post whose only breach needs a context (pre_election: fine outside an election period)
    # is no example for "political", which applies everywhere: as a positive it taught the head
    # that a mayor opening a cycle lane is political.
    context_only = np.asarray([bool(cats) and set(cats) <= set(HEAD_CONTEXT) for cats in rows.cats])
    out["political"] = (~external & ~context_only, pos)
    for c in heads:
        if c == "political":
            continue
        mask = np.asarray([cats is not None for cats in rows.cats])
        for name, for_heads in EXTERNAL_HEADS.items():
            if c not in for_heads:
                mask &= groups != name
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


def analyse_texts(texts: list[str], char_n=F.CHAR_N, length_bins=F.LENGTH_BINS, links: str = F.LINKS) -> tuple:
    """Per block, each text's terms; no char block when ``char_n`` is empty."""
    folded = [F.read_links(F.fold(t), links) for t in texts]
    words = [F.word_terms_folded(f, length_bins) for f in folded]
    if not char_n:
        return (words,)
    return words, [F.char_terms_folded(f, char_n) for f in folded]


def fit(analysed, targets, heads, settings) -> Fitted:
    """analysed: per block (words, then chars when the settings have char n-grams), the
    terms of each row. A model without char n-grams has only the word block."""
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    def vectorizers(vocabs):
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

    vecs = vectorizers([None] * len(analysed))
    X = sp.hstack([v.fit_transform(a) for v, a in zip(vecs, analysed)], format="csr")
    clfs = fit_heads(X)
    names = [(b, t) for b, v in enumerate(vecs) for t in v.get_feature_names_out().tolist()]
    keep = set()
    for h in heads:
        w = np.abs(clfs[h].coef_[0])
        order = np.lexsort((np.arange(len(w)), -w))  # heaviest first, ties by index
        keep.update(order[: settings["keep"]].tolist())
    vocabs = [[] for _ in vecs]
    for j in sorted(keep):
        b, t = names[j]
        vocabs[b].append(t)
    vecs = vectorizers([sorted(v) for v in vocabs])
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
           length_bins=F.LENGTH_BINS, explain: dict | None = None, links: str = F.LINKS) -> dict:
    blocks = {}
    off = 0
    for name, v in zip(("words", "chars"), fitted.vecs):
        terms = v.get_feature_names_out().tolist()
        n = len(terms)
        blocks[name] = {
            "terms": terms,
            "idf": [float(x) for x in v.idf_],
            "weights": {h: [float(x) for x in fitted.clfs[h].coef_[0][off:off + n]] for h in fitted.heads},
        }
        off += n
    # a model without char n-grams still has the block, empty, so the format is unchanged
    blocks.setdefault("chars", {"terms": [], "idf": [], "weights": {h: [] for h in fitted.heads}})
    doc = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "version": version,
        "features": {
            "version": F.FEATURES_VERSION,
            "fold": "lower, NFKD marks dropped, curly quotes/dashes plain, digits as 0",
            "words": {"pattern": F.WORD.pattern, "ngrams": [1, 2], "length_bins": list(length_bins)},
            "chars": {"chunk": F.CHUNK.pattern, "padded": " ", "ngrams": list(char_n)},
            "links": links,
            "tf": "1 + ln(count)", "idf": "ln((1 + n) / (1 + df)) + 1", "norm": "l2 per block",
        },
        "heads": list(fitted.heads),
        "thresholds": {h: thresholds[h] for h in fitted.heads},
        "intercepts": {h: float(fitted.clfs[h].intercept_[0]) for h in fitted.heads},
        "blocks": blocks,
        "explain": dict(explain or EXPLAIN),
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


CLEAN_GROUPS = ("dev", "tune", "parts", "police")


def applies_mask(rows: Rows, head: str) -> np.ndarray:
    """Rows a head is in force for (``pre_election`` only in an election period)."""
    if HEAD_CONTEXT.get(head, {}).get("election_period"):
        return np.asarray(rows.election, dtype=bool)
    return np.ones(len(rows), dtype=bool)


def greedy_thresholds(rows: Rows, oof: dict, heads, budgets: dict, sel=None, floor: float = 0.1) -> dict:
    """Per-head thresholds for "any head flags", chosen greedily on out-of-fold probabilities:
    every head starts shut (1.0); each step lowers the one head whose next step catches the most
    new flag posts (dev political and tune flag) per new false positive, among the steps that keep
    every clean group's false-positive rate within ``budgets[group]``; it stops when none does.
    No threshold goes under ``floor``: a head that only a few training posts bound could
    otherwise open almost entirely.
    A common level for all heads (``choose_thresholds``) spends the budget on heads that catch
    little; this spends it where recall is cheapest. ``sel``: the rows to choose on (all)."""
    n = len(rows)
    sel = np.ones(n, dtype=bool) if sel is None else sel
    groups = np.asarray(rows.group)
    pos = np.asarray(rows.pos, dtype=bool) & sel & np.isin(groups, ("dev", "tune"))
    clean = {g: sel & ~np.asarray(rows.pos, dtype=bool) & (groups == g) for g in budgets}
    allowed = {g: math.floor(budgets[g] * int(m.sum()) + 1e-9) for g, m in clean.items()}
    # A head that applies only in an election period is counted against every clean post (any
    # of them could be written in one; the training data has few clean posts that are), but
    # credited only with the flag posts it applies to.
    ok = {h: applies_mask(rows, h) | ~np.asarray(rows.pos, dtype=bool) for h in heads}
    th = {h: 1.0 for h in heads}
    flag = np.zeros(n, dtype=bool)
    while True:
        best = None
        for h in heads:
            cand = oof[h][pos & ~flag & ok[h]]
            cand = cand[cand < th[h]]
            if not len(cand):
                continue
            t = max(math.floor(float(cand.max()) * 1000) / 1000, floor)  # 3 decimals, at or under it
            new = (oof[h] >= t) & ok[h] & ~flag
            fp = {g: int((new & m).sum()) for g, m in clean.items()}
            spent = {g: int((flag & m).sum()) + fp[g] for g, m in clean.items()}
            if any(spent[g] > allowed[g] for g in clean):
                continue
            gain = int((new & pos).sum())
            cost = sum(fp[g] / max(int(clean[g].sum()), 1) for g in clean)
            score = (gain / (cost + 1e-3), -t)
            if gain and t < th[h] and (best is None or score > best[0]):
                best = (score, h, t, new)
        if best is None:
            return th
        _, h, t, new = best
        th[h] = t
        flag |= new


def bagged_thresholds(rows: Rows, oof: dict, heads, budgets: dict, bags: int, seed: int,
                      sel=None, share: float = 0.632) -> dict:
    """``greedy_thresholds`` on ``bags`` random subsets of the posts (each keeps about ``share``
    of them, a post's sentences with it), and per head the median threshold. One greedy run
    answers the particular posts it is given: chosen on either half of the out-of-fold data, the
    attack head's threshold was 0.77 on one and 0.98 on the other; the median of 40 runs, 0.78
    and 0.88, and recall on the other half moved less (python -m server.learned.experiment --bags).
    Each run keeps its subset within the budgets; the medians together need not keep every group
    within them, which is why the card measures them out of fold (tune 0.018 at a budget of 0.02)."""
    sel = np.ones(len(rows), dtype=bool) if sel is None else sel
    parents = np.asarray(rows.parent)
    names, index = np.unique(parents, return_inverse=True)
    rng = np.random.default_rng(seed)
    runs = []
    for _ in range(bags):
        keep = rng.random(len(names)) < share
        runs.append(greedy_thresholds(rows, oof, heads, budgets, sel & keep[index]))
    return {h: float(np.median([t[h] for t in runs])) for h in heads}


def budget_thresholds(rows: Rows, oof: dict, heads, budgets: dict, bags: int, seed: int, sel=None) -> dict:
    """The thresholds within per-group budgets: bagged over ``bags`` subsets, or one greedy run (0)."""
    if bags:
        return bagged_thresholds(rows, oof, heads, budgets, bags, seed, sel)
    return greedy_thresholds(rows, oof, heads, budgets, sel)


def cross_validate(rows: Rows, analysed, targets, heads, settings, folds: int):
    """Out-of-fold probabilities (head → array over rows) and, per row, the exported fold model
    that did not see it (scored by the run-time scorer: its underlines are measured too)."""
    from sklearn.model_selection import StratifiedGroupKFold

    from .scorer import Model

    # Grouped by post: a clean post's sentences are training rows too, and a fold that held
    # the post out while training on its sentences would score it too low, so the thresholds
    # would come out too low and the false-positive rate on new posts too high.
    # Rows of groups "charges" (load_training) and "real" (add_labelled) train every fold and are
    # never held out.
    always_trained = np.isin(np.asarray(rows.group), ALWAYS_TRAINED)
    always, base = np.flatnonzero(always_trained), np.flatnonzero(~always_trained)
    key = [f"{rows.group[i]}:{rows.pos[i]}" for i in base]
    oof = {h: np.zeros(len(rows)) for h in heads}
    owner = [None] * len(rows)
    skf = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=settings["seed"])
    for k, (tr, te) in enumerate(skf.split(np.zeros(len(base)), key, groups=[rows.parent[i] for i in base])):
        tr, te = np.concatenate([base[tr], always]), base[te]
        t0 = time.time()
        sub_targets = {h: (m[tr], y[tr]) for h, (m, y) in targets.items()}
        sub = fit(tuple([a[i] for i in tr] for a in analysed), sub_targets, heads, settings)
        model = Model(export(sub, {h: 0.5 for h in heads}, "fold", {}, settings["char_n"], settings["length_bins"],
                             links=settings.get("links", F.LINKS)))
        for i in te:
            scores = model.analyse(rows.text[i]).scores
            for h in heads:
                oof[h][i] = scores[h]
            owner[i] = model
        print(f"  fold {k + 1}/{folds}: {time.time() - t0:.1f}s", file=sys.stderr)
    return oof, owner


def _label_counts(rows: Rows, mine: list) -> dict:
    """Political and neutral rows among those `mine` marks."""
    return {"political": sum(1 for m, p in zip(mine, rows.pos) if m and p),
            "neutral": sum(1 for m, p in zip(mine, rows.pos) if m and not p)}


def _real_counts(rows: Rows) -> dict:
    """The model card's real posts: dev's own (ids "dev-..."), this project's real posts that
    add_labelled files in dev's group too, and those of WEIGHTS_ONLY corpora (group "real",
    their posts, not the sentences that share their id as parent)."""
    in_dev = [g == "dev" for g in rows.group]
    own = [d and i.startswith("dev-") for d, i in zip(in_dev, rows.ids)]
    return dict(_label_counts(rows, own), real=_label_counts(rows, [d and not o for d, o in zip(in_dev, own)]),
                weights_only=_label_counts(rows, [g == "real" and i == p for g, i, p in
                                                  zip(rows.group, rows.ids, rows.parent)]))


# ----------------------------------------------------------------------------- main
def train(shared: Path, seed: int = 13, police_n: int = DEFAULTS["police_n"], C: float = DEFAULTS["C"],
          keep: int = DEFAULTS["keep"], char_n: tuple = F.CHAR_N, length_bins: tuple = F.LENGTH_BINS,
          min_df: int = 2, min_positives: int = 30, folds: int = 5, fpr: float = DEFAULTS["fpr"],
          police_fpr: float = DEFAULTS["police_fpr"], fpr_any: float = DEFAULTS["fpr_any"],
          police_fpr_any: float = DEFAULTS["police_fpr_any"], extra: tuple = DEFAULTS["extra"],
          project: tuple = DEFAULTS["project"], version: str | None = None, rows: Rows | None = None,
          police_ids: list[str] | None = None, police_charges: bool = DEFAULTS["police_charges"],
          budget: dict | None = DEFAULTS["budget"], bags: int = DEFAULTS["bags"]):
    """Returns (artifact dict, fitted estimator, training rows, out-of-fold probabilities)."""
    if rows is None:
        rows, police_ids = load_training(shared, seed, police_n, extra=extra, project=project,
                                         police_charges=police_charges)
    settings = {"seed": seed, "C": C, "keep": keep, "min_df": min_df, "char_n": list(char_n),
                "length_bins": list(length_bins), "links": F.LINKS}
    counts = {c: sum(1 for g, cats in zip(rows.group, rows.cats) if g == "tune" and cats and c in cats)
              for c in CATEGORIES}
    heads = ["political"] + [c for c in CATEGORIES if counts[c] >= min_positives]
    targets = head_targets(rows, heads)
    analysed = analyse_texts(rows.text, char_n, length_bins, settings["links"])
    print(f"training rows {len(rows)}; heads {heads}", file=sys.stderr)
    oof, owner = cross_validate(rows, analysed, targets, heads, settings, folds)
    if budget:
        thresholds = budget_thresholds(rows, oof, heads, budget, bags, seed)
    else:
        thresholds = choose_thresholds(rows, targets, oof, heads, fpr, police_fpr, fpr_any, police_fpr_any)
    fitted = fit(analysed, targets, heads, settings)
    data = {
        "dev": _real_counts(rows),
        "tune": {"flag": sum(1 for g, p in zip(rows.group, rows.pos) if g == "tune" and p),
                 "clean": sum(1 for g, p in zip(rows.group, rows.pos) if g == "tune" and not p),
                 "by_category": counts, "project_corpora": list(project),
                 "project_posts": len(project_posts(project))},
        "clean_parts": sum(1 for g in rows.group if g == "parts"),
        "police_sample": len(police_ids or []),
        "police_ids_sha256": hashlib.sha256("\n".join(police_ids or []).encode()).hexdigest(),
    }
    meta = {
        "created": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "training": {
            "settings": {**settings, "folds": folds, "fpr_target": fpr, "police_fpr_target": police_fpr,
                         "fpr_any_target": fpr_any, "police_fpr_any_target": police_fpr_any,
                         "budget": dict(budget) if budget else None,
                         "bags": bags if budget else None,
                         "min_positives": min_positives, "police_n": police_n, "extra": list(extra),
                         "police_charges": police_charges,
                         "project": list(project),
                         "classifier": "LogisticRegression(liblinear, class_weight=balanced) per head",
                         "sklearn": _sklearn_version()},
            "data": data,
        },
    }
    version = version or dt.date.today().strftime("%Y.%m.%d")
    chooser, underlines = fit_chooser(shared, rows, oof, owner, thresholds, heads, seed, project)
    doc = export(fitted, thresholds, version, meta, char_n, length_bins,
                 {**EXPLAIN, "chooser": chooser} if chooser else EXPLAIN, settings["links"])
    doc["training"]["underlines_out_of_fold"] = underlines
    return doc, fitted, rows, oof, police_ids


def tune_spans(shared: Path, project: tuple = PROJECT_TRAINING) -> dict[str, list[str]]:
    """Reviewer spans by post id for the `tune` group: categories tune and this project's corpora."""
    posts = [r for r in read_jsonl(shared / "corpus/categories.jsonl") if r["split"] == "tune"]
    return {r["id"]: [s["match"] for s in r.get("spans") or ()] for r in posts + project_posts(project)}


def fit_chooser(shared: Path, rows: Rows, oof, owner, thresholds, heads, seed: int,
                project: tuple = PROJECT_TRAINING) -> tuple[dict | None, dict]:
    """The underline chooser (server/learned/underline.py) fitted on every tune flag post's
    out-of-fold contributions, and its span figures cross-validated over posts (the card's)."""
    from . import underline_fit as UF

    if not (shared / "corpus/categories.jsonl").exists():  # no reviewer spans: no chooser
        return None, {}
    exs = UF.examples(rows, oof, owner, thresholds, heads, tune_spans(shared, project))
    lexicons = UF.load_lexicons(shared)
    spec = UF.fit([(v, r) for _, _, v, r in exs], lexicons, seed, phrase=EXPLAIN["phrase"])
    return spec, UF.cross_validated(exs, lexicons, seed, phrase=EXPLAIN["phrase"])


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
    ap.add_argument("--police-n", type=int, default=DEFAULTS["police_n"])
    ap.add_argument("--C", type=float, default=DEFAULTS["C"])
    ap.add_argument("--char-n", default=",".join(map(str, F.CHAR_N)), help="char n-gram sizes, e.g. 3,4,5")
    ap.add_argument("--length-bins", default=",".join(map(str, F.LENGTH_BINS)),
                    help="word-count bands given to the model as a pseudo-term ('' for none)")
    ap.add_argument("--keep", type=int, default=DEFAULTS["keep"], help="terms kept per head (union over heads)")
    ap.add_argument("--folds", type=int, default=5)
    # The rules flag about 2% of clean posts themselves; the model's targets leave room for
    # that, so that rules and model together stay near the 5%.
    ap.add_argument("--fpr", type=float, default=DEFAULTS["fpr"])
    ap.add_argument("--police-fpr", type=float, default=DEFAULTS["police_fpr"])
    ap.add_argument("--fpr-any", type=float, default=DEFAULTS["fpr_any"], help="FPR target of 'any head flags'")
    ap.add_argument("--police-fpr-any", type=float, default=DEFAULTS["police_fpr_any"])
    ap.add_argument("--project", default=",".join(DEFAULTS["project"]),
                    help="this project's corpora (under corpus/) to train on, their check splits left out")
    ap.add_argument("--police-charges", action=argparse.BooleanOptionalAction, default=DEFAULTS["police_charges"],
                    help="add half the police charge notices beyond the random sample (see CHARGE_NOTICE)")
    ap.add_argument("--budget", default=",".join(f"{g}={v}" for g, v in DEFAULTS["budget"].items()),
                    help="greedy per-head thresholds within these per-group FPR budgets; '' for one common level")
    ap.add_argument("--bags", type=int, default=DEFAULTS["bags"],
                    help="median of the greedy thresholds over this many random subsets of the posts; 0 for one run")
    ap.add_argument("--version", default=None)
    ap.add_argument("--no-bench", action="store_true", help="leave the cost per post out of the card")
    args = ap.parse_args(argv)
    shared = Path(args.shared)
    out = Path(args.out)
    t0 = time.time()
    doc, fitted, rows, oof, police_ids = train(
        shared, seed=args.seed, police_n=args.police_n, C=args.C, keep=args.keep, folds=args.folds,
        char_n=tuple(int(n) for n in args.char_n.split(",") if n.strip()),
        length_bins=tuple(int(b) for b in args.length_bins.split(",") if b.strip()),
        fpr=args.fpr, police_fpr=args.police_fpr, fpr_any=args.fpr_any,
        police_fpr_any=args.police_fpr_any, version=args.version, police_charges=args.police_charges,
        project=tuple(n for n in args.project.split(",") if n.strip()),
        budget={g: float(v) for g, v in (kv.split("=") for kv in args.budget.split(",") if kv.strip())},
        bags=args.bags)
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

        held_out = [p["text"] for p in police_split(shared, args.seed, args.police_n, args.police_charges)[1]]
        cost = report.bench(load_model(out), bench_posts, held_out[:2000])
        cost.update(report.rules_reference(bench_posts) or {})
    card = Path(args.card) if args.card else out.parent / "MODEL_CARD.md"
    card.write_text(report.model_card(doc, out, seconds, cost))
    print(f"wrote {out} ({out.stat().st_size:,} bytes, {doc['digest']}) and {card}", file=sys.stderr)
    print(report.figures_table(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
