"""Compare training settings on grouped out-of-fold predictions, training data only.

    python -m server.learned.experiment [--shared ../shared] [--char-n ''] [--C 10] [--police-n 3000] ...

Everything here is read from what ``make train`` trains on (dev, categories ``tune``, the police
sample, clean sentence parts, and any external training part): each fold's model is exported and
scored by the run-time scorer, so the figures are the engine's, not scikit-learn's. Printed per
setting: recall and false-positive rate of *any head* at the thresholds ``choose_thresholds``
picks on the same out-of-fold data, per clean group, and the span precision / recall of the
underlines (``explain``) on tune flag posts under a few underline settings. ``check`` is never read.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from . import features as F
from . import train as T

ROOT = Path(__file__).resolve().parents[2]
UNDERLINES = ((3, 0.1, 0), (1, 0.0, 0), (1, 0.0, 1), (1, 0.0, 2), (1, 0.5, 1), (2, 0.25, 1), (1, 0.0, 3))


def firing(rows, oof, thresholds, heads, i):
    return [h for h in heads if oof[h][i] >= thresholds[h]
            and (not T.HEAD_CONTEXT.get(h, {}).get("election_period") or rows.election[i])]


def span_figures(rows, oof, owner, thresholds, heads, spans_by_id, k, min_share, phrase):
    """(precision hits, underlines, recall hits, reviewer spans) on tune flag posts, as
    server/evaluate.py counts them: an underline hits when it overlaps a reviewer span.
    k, min_share, phrase: as ``Analysis.explain`` (None: the artifact's setting)."""
    hit = n = rhit = rn = 0
    for i in range(len(rows)):
        if rows.group[i] != "tune" or not rows.pos[i]:
            continue
        text = rows.text[i]
        ref = [(s, s + len(m)) for m in spans_by_id.get(rows.ids[i], []) if (s := text.find(m)) >= 0]
        rn += len(ref)
        found = []
        for h in firing(rows, oof, thresholds, heads, i):
            got = owner[i].analyse(text).explain(h, k, min_share, phrase)
            found += [(s, e) for s, e, _ in got] or [(0, len(text))]
        n += len(found)
        hit += sum(any(s < re and rs < e for rs, re in ref) for s, e in found)
        rhit += sum(any(s < re and rs < e for s, e in found) for rs, re in ref)
    return hit, n, rhit, rn


def decision_figures(rows, oof, thresholds, heads, rows_sel=None) -> dict:
    groups = np.asarray(rows.group)
    pos = np.asarray(rows.pos, dtype=bool)
    flag = np.asarray([bool(firing(rows, oof, thresholds, heads, i)) for i in range(len(rows))])
    rows_sel = np.ones(len(rows), dtype=bool) if rows_sel is None else rows_sel
    out = {}
    for g in ("tune", "dev", "parts", "police", "wnc"):
        sel = (groups == g) & rows_sel
        if not sel.any():
            continue
        if (sel & pos).any():
            out[f"{g} recall"] = f"{flag[sel & pos].mean():.3f} ({int(flag[sel & pos].sum())}/{int((sel & pos).sum())})"
        if (sel & ~pos).any():
            out[f"{g} fpr"] = f"{flag[sel & ~pos].mean():.3f} ({int(flag[sel & ~pos].sum())}/{int((sel & ~pos).sum())})"
    return out


def run(shared: Path, args) -> None:
    char_n = tuple(int(n) for n in args.char_n.split(",") if n.strip())
    bins = tuple(int(b) for b in args.length_bins.split(",") if b.strip())
    rows, _ = T.load_training(shared, args.seed, args.police_n, extra=args.extra)
    settings = {"seed": args.seed, "C": args.C, "keep": args.keep, "min_df": 2, "char_n": list(char_n),
                "length_bins": list(bins)}
    counts = {c: sum(1 for g, cats in zip(rows.group, rows.cats) if g == "tune" and cats and c in cats)
              for c in T.CATEGORIES}
    heads = ["political"] + [c for c in T.CATEGORIES if counts[c] >= 30]
    targets = T.head_targets(rows, heads)
    t0 = time.time()
    oof, owner = T.cross_validate(rows, T.analyse_texts(rows.text, char_n, bins), targets, heads, settings, args.folds)
    print(f"## char_n={char_n} C={args.C} keep={args.keep} police_n={args.police_n} extra={args.extra} "
          f"fpr={args.fpr}/{args.fpr_any} ({time.time() - t0:.0f}s)")
    for budget in args.budget.split(";"):
        th = thresholds_figures(rows, oof, targets, heads, args, budget)
    spans_all(shared, rows, oof, owner, th, heads)


def thresholds_figures(rows, oof, targets, heads, args, budget):
    if budget:
        budgets = {g: float(v) for g, v in (kv.split("=") for kv in budget.split(","))}

        def choose(sel=None):
            return T.budget_thresholds(rows, oof, heads, budgets, args.bags, args.seed, sel)
    else:
        def choose(sel=None):
            sub = rows if sel is None else rows.subset(np.flatnonzero(sel))
            idx = slice(None) if sel is None else sel
            return T.choose_thresholds(sub, T.head_targets(sub, heads), {h: p[idx] for h, p in oof.items()},
                                       heads, args.fpr, args.police_fpr, args.fpr_any, args.police_fpr_any)
    th = choose()
    print(f"# thresholds ({budget or 'common level'})", {h: round(t, 3) for h, t in th.items()})
    print("chosen and measured on all:", decision_figures(rows, oof, th, heads))
    # thresholds chosen on one half of the posts and measured on the other, both ways: the
    # in-sample figure above flatters any threshold rule that fits the data closely
    half = np.asarray([int(T.hashlib.sha256(p.encode()).hexdigest(), 16) % 2 for p in rows.parent]) == 1
    for name, a in (("A", half), ("B", ~half)):
        print(f"chosen on half {name}, measured on the other:",
              decision_figures(rows, oof, choose(a), heads, ~a))
    return th


def spans_all(shared, rows, oof, owner, th, heads):
    spans = T.tune_spans(shared)
    for k, share, phrase in UNDERLINES:
        hit, n, rhit, rn = span_figures(rows, oof, owner, th, heads, spans, k, share, phrase)
        print(f"underline k={k} min_share={share} phrase={phrase}: span precision {hit / max(n, 1):.3f} ({hit}/{n}), "
              f"span recall {rhit / max(rn, 1):.3f} ({rhit}/{rn})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m server.learned.experiment", description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--police-n", type=int, default=T.DEFAULTS["police_n"])
    ap.add_argument("--C", type=float, default=T.DEFAULTS["C"])
    ap.add_argument("--keep", type=int, default=T.DEFAULTS["keep"])
    ap.add_argument("--char-n", default=",".join(map(str, F.CHAR_N)))
    ap.add_argument("--length-bins", default=",".join(map(str, F.LENGTH_BINS)))
    ap.add_argument("--extra", default=",".join(T.DEFAULTS["extra"]), help="external training parts, e.g. wnc")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--fpr", type=float, default=T.DEFAULTS["fpr"])
    ap.add_argument("--police-fpr", type=float, default=T.DEFAULTS["police_fpr"])
    ap.add_argument("--fpr-any", type=float, default=T.DEFAULTS["fpr_any"])
    ap.add_argument("--police-fpr-any", type=float, default=T.DEFAULTS["police_fpr_any"])
    ap.add_argument("--budget", default="", help="greedy per-head thresholds, e.g. tune=0.01,dev=0.01,parts=0.03,police=0.005")
    ap.add_argument("--bags", type=int, default=0, help="with --budget: median over this many greedy runs on random subsets")
    args = ap.parse_args(argv)
    args.extra = tuple(x for x in args.extra.split(",") if x.strip())
    run(Path(args.shared), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
