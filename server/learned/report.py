"""The learned layer alone, on each corpus, and the model card.

    python -m server.learned.report [--model models/impartial-model.json.gz] [--shared ../shared] [--bench]

Decision rules measured:
- ``political``: the political head at or above its threshold (the model's overall flag);
- ``any head``: any head at or above its threshold (``pre_election`` only when the post is in an
  election period);
- per category: a flag post of that category is caught by its *own* head (the finding would
  name that category) and, separately, by the political head.

Corpora: ``dev.jsonl`` is all training data, so its figures are shown in-sample and
cross-validated (out-of-fold); ``categories.jsonl`` tune is training data, cross-validated only;
``check`` is held out (measured, never tuned on); police posts: the training sample
(cross-validated) and the held-out rest (``models/police-train-ids.txt`` lists the sample).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL = ROOT / "models/impartial-model.json.gz"


def _context_ok(head: str, head_context: dict, election: bool) -> bool:
    ctx = head_context.get(head)
    return not ctx or (not ctx.get("election_period") or election)


def figures(probs: dict, thresholds: dict, pos: list, cats: list, election: list, head_context: dict) -> dict:
    """probs: head → array over posts; pos: 0/1; cats: set of categories or None (unknown)."""
    heads = list(thresholds)
    n = len(pos)
    pos_a = np.asarray(pos, dtype=bool)
    flag = {h: np.asarray(probs[h]) >= thresholds[h] for h in heads}
    any_flag = np.zeros(n, dtype=bool)
    for h in heads:
        ok = np.asarray([_context_ok(h, head_context, e) for e in election])
        any_flag |= flag[h] & ok
    out = {"flag": int(pos_a.sum()), "clean": int((~pos_a).sum())}

    def rate(mask, sel):
        return None if sel.sum() == 0 else float((mask & sel).sum() / sel.sum())

    out["recall"] = rate(flag["political"], pos_a)
    out["fpr"] = rate(flag["political"], ~pos_a)
    out["recall_any"] = rate(any_flag, pos_a)
    out["fpr_any"] = rate(any_flag, ~pos_a)
    per = {}
    all_cats = sorted({c for cs in cats if cs for c in cs})
    for c in all_cats:
        sel = np.asarray([bool(cs) and c in cs for cs in cats])
        entry = {"n": int(sel.sum()), "political_head": rate(flag["political"], sel)}
        if c in flag:
            ok = np.asarray([_context_ok(c, head_context, e) for e in election])
            entry["own_head"] = rate(flag[c] & ok, sel)
            entry["own_head_fpr"] = rate(flag[c] & ok, ~pos_a)
        per[c] = entry
    out["categories"] = per
    return out


def _read(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _score_all(model, texts):
    probs = {h: np.zeros(len(texts)) for h in model.heads}
    for i, t in enumerate(texts):
        s = model.analyse(t).scores
        for h in model.heads:
            probs[h][i] = s[h]
    return probs


def held_out_figures(model, shared: Path, police_train_ids: set) -> dict:
    """Figures that only need the artifact: dev in-sample, categories check, police held out."""
    th = {h: model.threshold(h) for h in model.heads}
    ctx = model.head_context
    out = {}
    dev = _read(shared / "corpus/dev.jsonl")
    out["dev (in-sample: all of it is training data)"] = figures(
        _score_all(model, [r["text"] for r in dev]), th, [r["label"] == "political" for r in dev],
        [None if r["label"] == "political" else set() for r in dev], [False] * len(dev), ctx)
    check = [r for r in _read(shared / "corpus/categories.jsonl") if r["split"] == "check"]
    out["categories check (held out)"] = figures(
        _score_all(model, [r["text"] for r in check]), th, [r["label"] == "flag" for r in check],
        [set(r.get("categories") or ()) for r in check], [bool(r.get("election_period")) for r in check], ctx)
    police = [p for p in _read(shared / "corpus/external/police_uk.jsonl") if p["id"] not in police_train_ids]
    out[f"police held out ({len(police)} posts not in the training sample)"] = figures(
        _score_all(model, [p["text"] for p in police]), th, [False] * len(police),
        [set()] * len(police), [False] * len(police), ctx)
    return out


def training_figures(doc, fitted, rows, oof, shared: Path, seed: int, police_n: int) -> dict:
    from .scorer import Model

    model = Model(doc)
    th = doc["thresholds"]
    ctx = doc.get("head_context", {})
    groups = np.asarray(rows.group)
    out = {}
    for g, label in (("dev", "dev (cross-validated, out-of-fold)"),
                     ("tune", "tune: categories tune and project corpora (cross-validated, out-of-fold)"),
                     ("police", f"police training sample ({int((groups == 'police').sum())}, cross-validated)")):
        sel = np.flatnonzero(groups == g)
        out[label] = figures({h: oof[h][sel] for h in oof}, th, [rows.pos[i] for i in sel],
                             [rows.cats[i] for i in sel], [rows.election[i] for i in sel], ctx)
    police_ids = {rows.ids[i] for i in np.flatnonzero(np.isin(groups, ("police", "charges")))}
    out.update(held_out_figures(model, shared, police_ids))
    return out


def _pct(x):
    return "-" if x is None else f"{x:.3f}"


def figures_table(figs: dict) -> str:
    lines = ["| corpus | flag / clean | recall | FPR | recall (any head) | FPR (any head) |",
             "|---|---|---|---|---|---|"]
    for name, f in figs.items():
        lines.append(f"| {name} | {f['flag']} / {f['clean']} | {_pct(f['recall'])} | {_pct(f['fpr'])} | "
                     f"{_pct(f['recall_any'])} | {_pct(f['fpr_any'])} |")
    cats = []
    for f in figs.values():
        for c in f["categories"]:
            if c not in cats:
                cats.append(c)
    if cats:
        lines += ["", "Recall per category: own head / political head (n flag posts of that category).", "",
                  "| corpus | " + " | ".join(cats) + " |", "|---|" + "---|" * len(cats)]
        for name, f in figs.items():
            if not f["categories"]:
                continue
            cells = []
            for c in cats:
                e = f["categories"].get(c)
                cells.append("" if e is None else f"{_pct(e.get('own_head'))} / {_pct(e['political_head'])} ({e['n']})")
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def bench(model, posts_path: Path, warm_texts: list[str] = (), passes: int = 5) -> dict:
    """Cost per post in µs (p50, p99; median over passes), one post at a time, as the
    engine calls it: ``score`` alone, and ``score`` + ``explain`` of the head that is
    furthest over (or nearest to) its threshold.

    The scorer caches each chunk's (word's) char n-gram indices, so three cases:
    ``cold``: cache emptied before every post (worst case); ``first``: cache warmed on
    ``warm_texts`` (other posts, e.g. held-out police posts) but this post never seen;
    ``repeat``: every post seen before."""
    texts = [json.loads(line)["text"] for line in open(posts_path, encoding="utf-8") if line.strip()]

    def one(t, explain):
        model._last = None
        t0 = time.perf_counter_ns()
        a = model.analyse(t)
        if explain:
            top = max(a.scores, key=lambda h: a.scores[h] / model.threshold(h))
            a.explain(top)
        return time.perf_counter_ns() - t0

    def warm():
        model._chunk_cache.clear()
        for t in warm_texts:
            model.analyse(t)
        model._last = None

    def q(lat, p):
        lat = sorted(lat)
        return lat[min(len(lat) - 1, int(p * len(lat)))] / 1e3

    out = {"posts": len(texts), "warm_posts": len(warm_texts)}
    for explain in (False, True):
        name = "score_explain" if explain else "score"
        res = {"cold": [], "first": [], "repeat": []}
        for _ in range(passes):
            lat = []
            for t in texts:
                model._chunk_cache.clear()
                lat.append(one(t, explain))
            res["cold"].append(lat)
            warm()
            res["first"].append([one(t, explain) for t in texts])
            res["repeat"].append([one(t, explain) for t in texts])
        for mode, runs in res.items():
            out[f"{name}_{mode}_p50_us"] = statistics.median(q(r, 0.5) for r in runs)
            out[f"{name}_{mode}_p99_us"] = statistics.median(q(r, 0.99) for r in runs)
    return out


def rules_reference(posts_path: Path, passes: int = 5) -> dict | None:
    """The rules engine's own p50/p99 on the same posts in the same conditions, for scale."""
    try:
        from server.engine import Checker, load_rulebook

        checker = Checker(load_rulebook(ROOT / "rules.json"))
    except Exception:  # the engine is being restructured; this is only a yardstick
        return None
    texts = [json.loads(line)["text"] for line in open(posts_path, encoding="utf-8") if line.strip()]
    for t in texts:
        checker.check(t)
    p50, p99 = [], []
    for _ in range(passes):
        lat = []
        for t in texts:
            t0 = time.perf_counter_ns()
            checker.check(t)
            lat.append(time.perf_counter_ns() - t0)
        lat.sort()
        p50.append(lat[len(lat) // 2] / 1e3)
        p99.append(lat[min(len(lat) - 1, int(0.99 * len(lat)))] / 1e3)
    return {"rules_p50_us": statistics.median(p50), "rules_p99_us": statistics.median(p99)}


def cost_lines(cost: dict) -> str:
    rows = ["| | cold (no cache) | first sight (cache warm from other posts) | seen before |", "|---|---|---|---|"]
    for name, label in (("score", "score"), ("score_explain", "score + explain top head")):
        cells = [f"{cost[f'{name}_{m}_p50_us']:.0f} / {cost[f'{name}_{m}_p99_us']:.0f}" for m in ("cold", "first", "repeat")]
        rows.append(f"| {label}, p50 / p99 µs | " + " | ".join(cells) + " |")
    if cost.get("rules_p50_us"):
        rows.append(f"| for scale: the rules engine's check, same posts, same run | | "
                    f"{cost['rules_p50_us']:.0f} / {cost['rules_p99_us']:.0f} | |")
    return "\n".join(rows)


def _explain_line(doc: dict) -> str:
    e = doc.get("explain") or {}
    line = f"{e.get('k')} span(s), words over {e.get('min_share')} of the best, widened by up to {e.get('phrase')} words"
    c = e.get("chooser")
    if c:
        line += f"; anchor among the {c['candidates']} weightiest words"
        if c.get("listed_candidates"):
            line += f" and up to {c['listed_candidates']} listed words further down"
        line += ", by the underline chooser"
    return line


def _chooser_lines(doc: dict) -> str:
    """The chooser's weights, so a reader can see what it prefers."""
    c = (doc.get("explain") or {}).get("chooser")
    if not c:
        return "the weightiest word of the head's logit, widened to the neighbouring words of its clause, as one span."
    weights = ", ".join(f"{n} {w:+.2f}" for n, w in zip(c["features"], c["weights"]))
    lists = ", ".join(f"{n} ({len(w)} words)" for n, w in c["lexicons"].items())
    listed = (f", or one of up to {c['listed_candidates']} further words with a positive weight that are in"
              f" its word lists (the evaluative word a reviewer underlines often weighs less than the actor"
              f" it is said of)") if c.get("listed_candidates") else ""
    return f"""an anchor word widened to the neighbouring words of its clause, as one span. The anchor is
one of the {c['candidates']} words that weighed most for the head (positive weight only){listed}, the one a
logistic regression (`server/learned/underline.py`) scores most likely to give a phrase that
overlaps a reviewer's span; fitted on {c['examples']} candidates ({c['positives']} overlapping) of tune
flag posts, each underlined from the out-of-fold model that did not see it. Weights (per feature;
`share` the word's weight over the top word's, `window` its phrase's, `lex:` word lists
{lists}): {weights}; intercept {c['intercept']:+.2f}. So the finding's underline is still among
the words that weighed most for it, not always the single weightiest."""


def _underline_line(tr: dict) -> str:
    u = tr.get("underlines_out_of_fold") or {}

    def fig(x):
        return (f"span precision {x['precise'] / max(x['underlines'], 1):.3f} ({x['precise']}/{x['underlines']}), "
                f"span recall {x['found'] / max(x['reviewer_spans'], 1):.3f} ({x['found']}/{x['reviewer_spans']})")

    if "with" in u:
        return (f"Out of fold on tune flag posts (each post underlined by the fold model that did not see it, "
                f"at the thresholds above, one underline per head that fires; the chooser itself fitted on the "
                f"other folds' posts): {fig(u['with'])}; the weightiest word as anchor instead: {fig(u['without'])}.")
    if not u.get("underlines"):
        return ""
    return (f"Out of fold on tune flag posts (each post underlined by the fold model that did not see it, "
            f"at the thresholds above, as `make eval` counts): {fig(u)}.")


def _links_line(s: dict) -> str:
    return ("host only (a link's path is blanked before any term is read)" if s.get("links") == "host"
            else "whole")


def _charges_line(s: dict) -> str:
    if not s.get("police_charges"):
        return ""
    return (", and half (by a hash of the id) of the other posts about charges and courts (`train.CHARGE_NOTICE`), "
            "so the sub_judice head learns that factual charge notices are clean; the other half stays held out")


def _thresholds_line(s: dict) -> str:
    budget = s.get("budget")
    if budget:
        groups = ", ".join(f"{g} {v}" for g, v in budget.items())
        return ("Every head, `political` included, is set greedily (`train.greedy_thresholds`): each step lowers\n"
                "the one head whose next step catches the most new flag posts per new false positive, while *any\n"
                f"head* flagging keeps each clean group within its budget ({groups})"
                + (f"; the threshold is the median over {s['bags']} such runs, each on a random subset of about\n"
                   "two thirds of the posts (`train.bagged_thresholds`)." if s.get("bags") else "."))
    return ("`political`: the lowest at which every clean group (dev neutral, tune clean, police sample) has a\n"
            f"false-positive rate <= {s['fpr_target']} ({s['police_fpr_target']} for police). Category heads: set\n"
            "together (one common per-head level) so that *any head* flagging keeps every clean group <=\n"
            f"{s.get('fpr_any_target')} ({s.get('police_fpr_any_target')} for police).")


def model_card(doc: dict, path: Path, seconds: float, cost: dict | None = None) -> str:
    tr = doc["training"]
    s, d = tr["settings"], tr["data"]
    n_terms = {b: len(doc["blocks"][b]["terms"]) for b in doc["blocks"]}
    size = path.stat().st_size if path.exists() else None
    heads = ", ".join(f"`{h}` {doc['thresholds'][h]:.3f}" for h in doc["heads"])
    by_cat = ", ".join(f"{c} {n}" for c, n in d["tune"]["by_category"].items())
    real = d["dev"].get("real")
    real_line = (f"\n- Real posts among this project's corpora, labelled political / neutral as dev's are, in dev's"
                 f" group: {real['political']} political, {real['neutral']} neutral." if real and sum(real.values()) else "")
    wo = d["dev"].get("weights_only")
    real_line += (f"\n- Real posts of another source (`train.WEIGHTS_ONLY`), labelled the same way, teaching the weights"
                  f" in every fold and choosing no threshold: {wo['political']} political, {wo['neutral']} neutral."
                  if wo and sum(wo.values()) else "")
    out = f"""# Model card: Impartial learned layer

Written by `make train` (`python -m server.learned.train`); do not edit by hand.

| | |
|---|---|
| artifact | `{path.name}` ({'' if size is None else f'{size:,} bytes'}) |
| version | `{doc['version']}` |
| digest | `{doc['digest']}` |
| trained | {doc['created']} (took {seconds:.0f} s) with scikit-learn {s['sklearn']} |
| heads and thresholds | {heads} |
| terms | words {n_terms['words']:,}, char n-grams {n_terms['chars']:,} |

## What it is
A TF-IDF logistic regression per head: word unigrams and bigrams (plus a pseudo-term for the post's
length band, {doc['features']['words'].get('length_bins') or 'none'} words), and character n-grams
({'-'.join(map(str, doc['features']['chars']['ngrams']))}) inside whitespace chunks, over folded text
(lower case, accents stripped, digits as `0`), each block `1 + ln(tf)` × idf and L2-normalised. `political` is every flag/political post against every clean
one; each category head is one-vs-rest over posts with known categories. `pre_election` applies
only to posts in an election period (`head_context`). Scored at run time by
`server/learned/scorer.py` without scikit-learn (a small C extension, numpy as the reference and fallback), reproducing `predict_proba`.

## Data
- `../shared/corpus/dev.jsonl`: {d['dev']['political']} political (positive), {d['dev']['neutral']} neutral (negative): all of it.{real_line}
- `../shared/corpus/categories.jsonl`, split `tune` only, and this project's corpora
  ({', '.join(f'`corpus/{n}`' for n in d['tune'].get('project_corpora', []))}: {d['tune'].get('project_posts', 0)} posts; never a `check` split):
  {d['tune']['flag']} flag, {d['tune']['clean']} clean together (the `tune` group).
  Flag posts per category: {by_cat}. The `check` splits are only measured, below and by `make eval`.
- The sentences of dev neutral and tune clean posts (4+ words, posts of 2+ sentences), each as a clean post:
  {d.get('clean_parts', 0)} of them. Clean posts are longer than flag posts in the corpus; without these the model
  learns that short means political. They are a clean group for the thresholds too.
- `../shared/corpus/external/police_uk.jsonl`: {d['police_sample']} posts as negatives: {s.get('police_n')} drawn with seed {s['seed']}{_charges_line(s)}
  (ids in `police-train-ids.txt`, sha256 of the newline-joined ids `{d['police_ids_sha256'][:16]}…`).

## Settings
C={s['C']}, char n-grams {s.get('char_n')}, links read {_links_line(s)}, liblinear, class_weight=balanced, min_df={s['min_df']}; stage 1 on every term, then the union
of each head's {s['keep']} heaviest terms is the fixed vocabulary of the refitted stage 2; weights, intercepts
and idf rounded to 8 significant digits. Thresholds from {s['folds']}-fold cross-validated out-of-fold
probabilities (each fold refits both stages). {_thresholds_line(s)}
Category heads need >= {s['min_positives']} tune posts. External training sets: {', '.join(s.get('extra') or []) or 'none'}.

Underlines (`explain`, set in the artifact: {_explain_line(doc)}): {_chooser_lines(doc)}
{_underline_line(tr)}

## Figures (the model alone)
`political` is the model's flag; `any head` flags when any head passes its threshold.
dev and the tune group are training data: read their cross-validated rows, not the in-sample one.

{figures_table(doc.get('figures', {}))}
"""
    if cost:
        out += f"""
## Cost per post
{cost['posts']} posts of `../shared/bench/posts.jsonl`, one at a time, median of 5 passes, wall clock on
this machine while other work shared its 2 cores (so read them as upper bounds); the cache is warmed
on {cost['warm_posts']} held-out police posts for "first sight".

{cost_lines(cost)}
"""
    out += """
## How the settings were chosen
On training data only, grouped by post (5 folds; `python -m server.learned.experiment`, which prints
*any head* recall and false-positive rate per group at the thresholds chosen on the same out-of-fold
data, the same chosen on one half of the posts and measured on the other, and underline figures).
Tune out-of-fold, any head, at the 0.03 target (recall / clean FPR; parts FPR), 2026-11-30:
char 3-4 C=30 (the previous model) 0.531 / 0.000, parts 0.028; char 4 0.540 / 0.009, parts 0.028;
char 3 0.546 / 0.000; char 4-5 0.534 / 0.006; words only 0.454 / 0.015; char 4 with police 3000
0.509 / 0.018; + wnc pairs (loaded_language) 0.509 / 0.009, its head's threshold went to 0.985;
+ toxic spans (attack) 0.482 / 0.018, its head's threshold 0.987. At the 0.025 target with char 4:
C=30 0.525, C=10 0.515 (thresholds chosen on one half, measured on the other: C=10 0.521 recall,
0.018 clean FPR; C=30 0.531, 0.024). Greedy per-head thresholds (`--budget`) did no better on the
other half than one common level, so the common level stays. Underlines, tune out of fold: the 3
weightiest words 0.58 span precision, the top word 0.73, widened by 1 / 2 / 3 words 0.76 / 0.78 / 0.79.
Underline chooser, 2026-12-01, on the model of that day before the police charge notices joined, tune out
of fold twice over (chooser fitted on the other folds' posts),
span precision with the anchor widened by 2 words: weightiest word 0.778; chooser over 4 candidates
0.808, 3 candidates 0.806, 6 0.812, 8 0.804 (more candidates reach words that weigh little);
without word lists 0.799, with all seven lists 0.806, Liu negative and NPOV 0.808; C 0.1 / 1 / 10
within 0.002. Widening by 3 words instead of 2 gives 0.826 with the chooser, but longer underlines
are easier to overlap, not better: 2 stays. Listed words beyond the 4 weightiest offered as candidates too,
2026-12-01 (the same out-of-fold examples): none 0.815, 1 0.823, 2 0.824, 3 0.823, 4 or 8 0.821; from Liu
negative alone 0.819-0.820: 2, from both lists.

## Reproduce
`make train` (same seed and data → same digest); `python -m server.learned.report --bench` re-measures
the held-out figures and the cost from the artifact alone.

## Known weaknesses
- Small training data (a few hundred flag posts); category heads rest on 30-70 examples each.
- dev's political posts come from one UK election fortnight and US politicians of 2013-15: the
  political head leans on their vocabulary (party names, campaign words).
- Police negatives teach it the police register; other official registers are thinner.
- Short posts are its weak spot: a post of a few words has few terms, each weighing a lot, so praise
  or thanks ("Well done ...", "Love it!") can score high. The length-band term halves the police
  flag rate on posts under six words but does not cure it; a maintainer can silence a term, and the
  engine may want a minimum length for model-only findings.
- Category heads are weak alone (see the per-category table): their thresholds are set so that all
  heads together keep the false-positive target, which leaves them strict. Use the political head
  to decide and `Model.category` to name the finding.
- Out-of-fold figures on tune flatter: the false-positive rate on categories check has stayed
  near 0.045 while tune out-of-fold says under 0.01 (thresholds chosen on half of tune and measured
  on the other half say about 0.02). The rules in rules.json raise some heads' thresholds further.
- The external sets (Wikipedia NPOV edits, toxic comments) did not help: other registers.
- The underline chooser learned from about 900 tune flag posts, whose reviewers underline long
  phrases: it prefers a candidate in a weighty clause, #tags, digits and negative words. About one
  model underline in five still misses every reviewer span; the external span sets (SemEval,
  toxic spans) were not used to fit it. Its gain on tune out of fold (+0.03 span precision) did
  not show on the held-out sets, measured once (make eval, model view, 2026-12-01): categories
  check 0.692 -> 0.671 (96/143), probe check 0.709 -> 0.712; about 140 underlines each, so a
  change of 3 underlines is within their noise.
"""
    return out


def main(argv=None) -> int:
    from .scorer import load_model

    ap = argparse.ArgumentParser(prog="python -m server.learned.report")
    ap.add_argument("--model", default=str(DEFAULT_MODEL))
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--bench", action="store_true", help="also time scoring on ../shared/bench/posts.jsonl")
    args = ap.parse_args(argv)
    model = load_model(args.model)
    shared = Path(args.shared)
    ids_file = Path(args.model).parent / "police-train-ids.txt"
    train_ids = set(ids_file.read_text().split()) if ids_file.exists() else set()
    figs = {k: v for k, v in model.meta.get("figures", {}).items() if "cross-validated" in k}
    figs.update(held_out_figures(model, shared, train_ids))
    print(f"model {model.version} {model.digest}")
    print(figures_table(figs))
    if args.bench:
        police = [p["text"] for p in _read(shared / "corpus/external/police_uk.jsonl") if p["id"] not in train_ids]
        cost = bench(model, shared / "bench/posts.jsonl", police[:2000])
        cost.update(rules_reference(shared / "bench/posts.jsonl") or {})
        print(cost_lines(cost))
    return 0


if __name__ == "__main__":
    sys.exit(main())
