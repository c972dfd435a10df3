"""Detection quality on every labelled corpus (`make eval`, `impartial eval`).

One definition throughout: a *finding* that counts is a warn or block finding
in a non-advisory category (what makes `CheckResult.flagged()` true); info
findings and accessibility / platform-limit advice never count, not even for
spans. Each post is checked once and its findings are split three ways:

  rules  findings whose rule_id does not start with `model.`
  model  findings whose rule_id starts with `model.` (the learned layer)
  both   all of them

Every figure is a share `hit / n`, given for each of the three. Spans are
code-point offsets into the text, as are `Finding.start` / `.end`; a finding
overlaps a span when they share at least one character.

Labelled corpora (`dev.jsonl`: political/neutral; `categories.jsonl`:
flag/clean, reported per `split`): recall, false-positive rate, recall per
category (a flag post labelled C is caught for C when it has a counted finding
of category C; the officer is shown a card of every such category, which
`_check` checks), category precision (of the categories named on a flag post
with labelled categories, those its reviewer gave it: one figure pooled over
posts), span precision (findings on flag posts that overlap a reviewer span) and
span recall (reviewer spans overlapped by a finding). Span figures read what
the officer sees underlined (`CheckResult.shown()` less the cards about the
post): with both layers, no model underline where a rule already names the
category or speaks on the words.
External sets: see the `_eval_*` functions; `../shared/corpus/external/README.md`
says what a flag means for each.

The texts of the `check` split are never kept, so they cannot be printed.
"""

from __future__ import annotations

import difflib
import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field

from .engine.findings import ADVISORY_CATEGORIES, beside_a_flag, speaks

VIEWS = ("rules", "model", "both")
MODEL_PREFIX = "model."
HIDDEN_SPLIT = "check"  # measured, never read: no text of it is kept

# Corpora this project keeps itself (corpus/ in the repository), read from there rather than
# from <shared>/corpus/: probe, blind, traps (clean traps, for the false-flag rate), fresh,
# novel, voices, echo, relay, ninth to fortyfifth, and crowd, congress, capitol and rotunda (real
# politicians' posts, hand-labelled); see corpus/README.md. make train trains on the tune half of each one except
# those in train.MEASURED_ONLY (train.PROJECT_TRAINING).
LOCAL = {name: (f"{name}.jsonl", "labelled") for name in (
    "probe", "blind", "traps", "fresh", "novel", "voices", "echo", "relay", "ninth", "tenth", "eleventh",
    "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth",
    "twentieth", "twentyfirst", "twentysecond", "twentythird", "twentyfourth", "twentyfifth", "twentysixth",
    "twentyseventh", "twentyeighth", "twentyninth", "thirtieth", "thirtyfirst", "thirtysecond", "thirtythird",
    "thirtyfourth", "thirtyfifth", "thirtysixth", "thirtyseventh", "thirtyeighth", "thirtyninth", "fortieth",
    "fortyfirst", "fortysecond", "fortythird", "fortyfourth", "fortyfifth", "crowd", "congress", "capitol", "rotunda", "casual")}
PROJECT_CORPUS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "corpus")
# name -> (path under <shared>/corpus/, or corpus/ for LOCAL ones; kind). `tune`
# and `check` are the two parts of categories.jsonl; `categories` is both.
CORPORA = {
    "dev": ("dev.jsonl", "labelled"),
    "categories": ("categories.jsonl", "labelled"),
    "police": ("external/police_uk.jsonl", "flag_rate"),
    "toxic": ("external/toxic_spans_train.jsonl", "spans"),
    "semeval_train": ("external/semeval2021_task6_train.jsonl", "spans"),
    "semeval_dev": ("external/semeval2021_task6_dev.jsonl", "spans"),
    "isarcasm": ("external/isarcasm_train.jsonl", "sarcasm"),
    "wnc": ("external/wnc_sample_pairs.jsonl", "wnc"),
    **LOCAL,
}
SPLIT_NAMES = {"tune": "categories", "check": "categories"}
NAMES = tuple(CORPORA) + tuple(SPLIT_NAMES)
POSITIVE = {"political", "flag"}


# -- findings ---------------------------------------------------------------

def counts(f, hints: bool = False) -> bool:
    """A finding that counts: one that speaks for a breach (`hints`: info findings too,
    outside the advisory categories)."""
    return speaks(f) or hints and f.category not in ADVISORY_CATEGORIES


def counted(findings, hints: bool = False) -> dict[str, list]:
    """The findings that count, per view."""
    hits = [f for f in findings if counts(f, hints)]
    # the model alone: a head's card beside another's flag (match.model.beside_flag) stands
    # only beside the model's own flag
    model = beside_a_flag([f for f in hits if f.rule_id.startswith(MODEL_PREFIX)])
    rules = [f for f in hits if not f.rule_id.startswith(MODEL_PREFIX)]
    # the rules alone: a with_breach rule's finding stands only beside another rule's flag (the
    # checker also runs it beside the model's, which the rules alone would not have raised)
    if not any(speaks(f) and not f.beside_breach for f in rules):
        rules = [f for f in rules if not f.beside_breach]
    return {"rules": rules, "model": model, "both": hits}


def overlaps(f, start: int, end: int) -> bool:
    """The finding shares a character with [start, end) (an empty finding counts as its first character)."""
    return f.start < end and start < max(f.end, f.start + 1)


def _check(checker, text: str, platform: str = "generic", election_period: bool = False) -> dict[str, list]:
    result = checker.check(text, platform, election_period)
    views = counted(result.findings)
    if bool(views["both"]) != result.flagged():
        raise RuntimeError("evaluate's notion of a counted finding no longer matches CheckResult.flagged()")
    # Underlines are judged on what the officer sees underlined: with both layers, a model
    # finding is not underlined where a rule already speaks (CheckResult.shown()), and a
    # finding about the whole post (scope "post") is listed, not underlined.
    shown = result.shown()
    if {f.category for f in views["both"]} - {f.category for f in shown if counts(f)}:
        raise RuntimeError("a category evaluate counts is not on a card the officer is shown (CheckResult.shown())")
    underlined = [f for f in shown if f.scope != "post"]
    # the model alone would list a conditional head's card too (match.model.beside_flag), and a
    # finding about the post is no underline (a head beside a rule of its category finds one)
    views["underlined"] = dict(views, both=counted(underlined)["both"],
                               model=[f for f in views["model"] if not f.conditional and f.scope != "post"])
    # ... and with the advisory hints in the breach categories (info severity: an underline
    # the officer sees, that flags nothing), for the external span sets' second figure.
    views["hinted"] = counted(underlined, hints=True)
    return views


# -- figures ----------------------------------------------------------------

class Tally:
    """`hit / n` per figure and view, figures in the order first added."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, list[int]]] = {}

    def add(self, figure: str, hits: dict[str, int | bool], n: int | dict[str, int] = 1) -> None:
        """Add `hits[view]` out of `n` (or `n[view]`) to a figure."""
        row = self.rows.setdefault(figure, {v: [0, 0] for v in VIEWS})
        for v in VIEWS:
            row[v][0] += int(hits[v])
            row[v][1] += n[v] if isinstance(n, dict) else n

    def order(self, first: tuple[str, ...]) -> None:
        """Put these figures first, in this order; the rest after them by name."""
        rank = {fig: i for i, fig in enumerate(first)}
        self.rows = dict(sorted(self.rows.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])))

    def get(self, figure: str, view: str = "both") -> tuple[int, int]:
        return tuple(self.rows[figure][view])

    def to_json(self) -> dict:
        return {fig: {v: {"hit": h, "n": n, "rate": round(h / n, 4) if n else None}
                      for v, (h, n) in row.items()} for fig, row in self.rows.items()}


@dataclass
class CorpusResult:
    key: str  # "dev", "categories.tune", "police", ...
    title: str  # what the table heading says
    posts: int = 0
    tally: Tally = field(default_factory=Tally)
    # label -> rule_id -> posts with a counted finding of that rule (all views)
    rule_hits: dict[str, Counter] = field(default_factory=dict)
    # texts, only for parts that may be read: (kind, row, findings of the chosen view)
    misses: list = field(default_factory=list)
    seconds: float = 0.0

    def hit_rules(self, label: str, findings) -> None:
        self.rule_hits.setdefault(label, Counter()).update({f.rule_id for f in findings})

    def to_json(self) -> dict:
        return {"title": self.title, "posts": self.posts, "seconds": round(self.seconds, 2),
                "figures": self.tally.to_json(),
                # per-rule hits on the check split would be a map for tuning to it: left out
                "rule_hits": {} if self.key.endswith("." + HIDDEN_SPLIT) else
                {label: dict(c.most_common()) for label, c in self.rule_hits.items()}}


def _per_view(fn, views: dict[str, list]) -> dict[str, int]:
    return {v: fn(views[v]) for v in VIEWS}


# -- labelled corpora: dev.jsonl, categories.jsonl ---------------------------

def _eval_labelled(checker, rows, key: str, title: str, miss_view: str = "both") -> CorpusResult:
    res = CorpusResult(key, title)
    keep_texts = not key.endswith("." + HIDDEN_SPLIT)
    labels = Counter(r["label"] for r in rows)
    res.title += ": " + " / ".join(f"{n} {label}" for label, n in sorted(
        labels.items(), key=lambda kv: kv[0] not in POSITIVE))
    for row in rows:
        text = row["text"]
        views = _check(checker, text, row.get("platform") or "generic", bool(row.get("election_period")))
        res.posts += 1
        res.hit_rules(row["label"], views["both"])
        if row["label"] not in POSITIVE:
            res.tally.add("false-positive rate", _per_view(bool, views))
            if keep_texts and views[miss_view]:
                res.misses.append(("false flag", row, views[miss_view]))
            continue
        res.tally.add("recall", _per_view(bool, views))
        missed = []
        labelled = row.get("categories") or ()
        named = _per_view(lambda fs: {f.category for f in fs}, views)
        if labelled:
            # of the categories each view's counted findings name, those a reviewer gave the post
            res.tally.add("category precision", {v: len(named[v].intersection(labelled)) for v in VIEWS},
                          {v: len(named[v]) for v in VIEWS})
        for cat in labelled:
            caught = {v: cat in named[v] for v in VIEWS}
            res.tally.add(f"recall {cat}", caught)
            if not caught[miss_view]:
                missed.append(cat)
        spans = [(text.find(s["match"]), s) for s in row.get("spans") or ()]
        spans = [(i, i + len(s["match"])) for i, s in spans if i >= 0]
        if spans:
            shown = views["underlined"]
            res.tally.add("span precision",
                          _per_view(lambda fs: sum(any(overlaps(f, a, b) for a, b in spans) for f in fs), shown),
                          _per_view(len, shown))
            for a, b in spans:
                res.tally.add("span recall", _per_view(lambda fs: any(overlaps(f, a, b) for f in fs), shown))
        if keep_texts and (missed or not views[miss_view]):
            res.misses.append(("miss", dict(row, missed=missed), views[miss_view]))
    res.tally.order(("recall", "false-positive rate", "span precision", "span recall"))
    return res


# -- external sets ----------------------------------------------------------

def _eval_flag_rate(checker, rows, key: str, title: str) -> CorpusResult:
    """police_uk.jsonl: real official posts; almost none should be flagged."""
    res = CorpusResult(key, f"{title}: {len(rows)} posts")
    trained = _police_trained_on()
    for row in rows:
        views = _check(checker, row["text"])
        res.posts += 1
        res.tally.add("flag rate", _per_view(bool, views))
        if trained and row.get("id") not in trained:
            res.tally.add("flag rate, posts the model was not trained on", _per_view(bool, views))
        res.hit_rules("all", views["both"])
    return res


def _police_trained_on() -> set[str]:
    """Ids of the police posts `make train` drew as negatives: the model's figure on them is in-sample."""
    path = os.path.join(os.path.dirname(PROJECT_CORPUS), "models", "police-train-ids.txt")
    if not os.path.exists(path):
        return set()
    with open(path, encoding="utf-8") as f:
        return {line.strip() for line in f if line.strip()}


def _eval_spans(checker, rows, key: str, title: str) -> CorpusResult:
    """toxic spans and SemEval persuasion spans: span recall per mapped category
    (share of its spans a finding overlaps), by any finding, by a finding of the
    span's own category, and by any underline with the advisory hints (info findings,
    which flag nothing) too; spans whose category is null are ignored."""
    res = CorpusResult(key, title)
    n_spans = 0
    for row in rows:
        views = _check(checker, row["text"])
        res.posts += 1
        res.hit_rules("all", views["both"])
        for s in row["spans"]:
            cat = s.get("category")
            if not cat:
                continue
            n_spans += 1
            a, b = s["start"], s["end"]
            shown = views["underlined"]
            res.tally.add(f"{cat} spans: any finding",
                          _per_view(lambda fs: any(overlaps(f, a, b) for f in fs), shown))
            res.tally.add(f"{cat} spans: same category",
                          _per_view(lambda fs: any(f.category == cat and overlaps(f, a, b) for f in fs), shown))
            res.tally.add(f"{cat} spans: any underline, hints too",
                          _per_view(lambda fs: any(overlaps(f, a, b) for f in fs), views["hinted"]))
    res.tally.order(())
    res.title += f": {res.posts} posts, {n_spans} spans with a category"
    return res


def _eval_sarcasm(checker, rows, key: str, title: str) -> CorpusResult:
    """iSarcasmEval: flag rate (and tone-finding rate) on sarcastic vs non-sarcastic tweets."""
    n = Counter(bool(r["sarcastic"]) for r in rows)
    res = CorpusResult(key, f"{title}: {n[True]} sarcastic / {n[False]} not")
    for row in rows:
        views = _check(checker, row["text"])
        res.posts += 1
        which = "sarcastic" if row["sarcastic"] else "not sarcastic"
        res.hit_rules(which, views["both"])
        res.tally.add(f"flag rate, {which}", _per_view(bool, views))
        res.tally.add(f"tone finding, {which}", _per_view(lambda fs: any(f.category == "tone" for f in fs), views))
    res.tally.order(("flag rate, sarcastic", "flag rate, not sarcastic", "tone finding, sarcastic"))
    return res


def edited_spans(before: str, after: str) -> tuple[list, list]:
    """Code-point spans of the tokens an edit changed, in `before` and in `after`.

    The WNC sentences are tokens joined by single spaces; difflib (autojunk off)
    gives exactly the `edits` the corpus lists."""
    def starts(tokens):
        out, i = [], 0
        for t in tokens:
            out.append(i)
            i += len(t) + 1
        return out

    bt, at = before.split(" "), after.split(" ")
    bs, as_ = starts(bt), starts(at)
    in_b, in_a = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, bt, at, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        if i2 > i1:
            in_b.append((bs[i1], bs[i2 - 1] + len(bt[i2 - 1])))
        if j2 > j1:
            in_a.append((as_[j1], as_[j2 - 1] + len(at[j2 - 1])))
    return in_b, in_a


def _eval_wnc(checker, rows, key: str, title: str) -> CorpusResult:
    """Wikipedia NPOV edits: a loaded_language finding on the edited words of the
    biased sentence, and on the words the edit put in the neutral one (pairs whose
    edit only deletes have none); then any loaded_language finding on either side."""
    res = CorpusResult(key, f"{title}: {len(rows)} pairs")
    loaded = lambda spans: lambda fs: any(  # noqa: E731
        f.category == "loaded_language" and overlaps(f, a, b) for f in fs for a, b in spans)
    anywhere = lambda fs: any(f.category == "loaded_language" for f in fs)  # noqa: E731
    for row in rows:
        in_b, in_n = edited_spans(row["biased"], row["neutral"])
        vb = _check(checker, row["biased"])
        vn = _check(checker, row["neutral"])
        res.posts += 1
        res.hit_rules("biased", vb["both"])
        res.hit_rules("neutral", vn["both"])
        if in_b:
            res.tally.add("biased: loaded_language on edited words", _per_view(loaded(in_b), vb))
        if in_n:
            res.tally.add("neutral: loaded_language on edited words", _per_view(loaded(in_n), vn))
        res.tally.add("biased: any loaded_language finding", _per_view(anywhere, vb))
        res.tally.add("neutral: any loaded_language finding", _per_view(anywhere, vn))
    res.tally.order(("biased: loaded_language on edited words", "neutral: loaded_language on edited words"))
    return res


KINDS = {"labelled": _eval_labelled, "flag_rate": _eval_flag_rate, "spans": _eval_spans,
         "sarcasm": _eval_sarcasm, "wnc": _eval_wnc}


# -- running ------------------------------------------------------------------

def read_jsonl(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def sniff_kind(row: dict) -> str:
    """The kind of a corpus file from the fields of its first record."""
    if "biased" in row:
        return "wnc"
    if "sarcastic" in row:
        return "sarcasm"
    if "label" in row:
        return "labelled"
    if "spans" in row:
        return "spans"
    return "flag_rate"


def run_file(checker, path: str, key: str, kind: str | None = None, splits=None,
             miss_view: str = "both") -> list[CorpusResult]:
    """Every figure for one corpus file; a labelled file with `split` gives one result per split."""
    rows = read_jsonl(path)
    kind = kind or (sniff_kind(rows[0]) if rows else "flag_rate")
    base = os.path.basename(path)
    out = []
    t0 = time.perf_counter()
    if kind == "labelled" and any("split" in r for r in rows):
        order = list(dict.fromkeys(r.get("split", "") for r in rows))
        for split in sorted(order, key=lambda s: s == HIDDEN_SPLIT):
            if splits and split not in splits:
                continue
            part = [r for r in rows if r.get("split", "") == split]
            t1 = time.perf_counter()
            res = _eval_labelled(checker, part, f"{key}.{split}", f"{base} {split}", miss_view)
            res.seconds = time.perf_counter() - t1
            out.append(res)
        return out
    if kind == "labelled":
        res = _eval_labelled(checker, rows, key, base, miss_view)
    else:
        res = KINDS[kind](checker, rows, key, base)
    res.seconds = time.perf_counter() - t0
    return [res]


def run(checker, shared: str, names=None, miss_view: str = "both",
        project: str = PROJECT_CORPUS) -> list[CorpusResult]:
    """The named corpora (all when `names` is empty) under `<shared>/corpus/`,
    and this project's own (LOCAL) under `project`.
    A corpus whose file is missing is skipped unless it was named."""
    names = list(names or CORPORA)
    splits = {n for n in names if n in SPLIT_NAMES}
    wanted = list(dict.fromkeys(SPLIT_NAMES.get(n, n) for n in names))
    out = []
    for name in wanted:
        rel, kind = CORPORA[name]
        path = os.path.join(project if name in LOCAL else os.path.join(shared, "corpus"), rel)
        if not os.path.exists(path):
            if names == list(CORPORA):
                continue
            raise FileNotFoundError(path)
        only = splits if name == "categories" and "categories" not in names else None
        out.extend(run_file(checker, path, name, kind, only, miss_view))
    return out


# -- printing -------------------------------------------------------------------

LABEL_W = 46
CELL_W = 17


def _cell(hit: int, n: int) -> str:
    if not n:
        return f"{'-':>{CELL_W}}"
    return f"{hit / n:6.3f} {f'{hit}/{n}':>{CELL_W - 7}}"


def print_results(results: list[CorpusResult], top: int = 8) -> None:
    for i, res in enumerate(results):
        if i:
            print()
        heads = "".join(f"{v:>{CELL_W + 1}}" for v in VIEWS)
        print(f"{res.title:{LABEL_W + 1}}{heads}" if len(res.title) <= LABEL_W + 1
              else f"{res.title}\n{'':{LABEL_W + 1}}{heads}")
        for fig, row in res.tally.rows.items():
            print(f"  {fig:{LABEL_W - 1}}" + "".join(" " + _cell(*row[v]) for v in VIEWS))
        if res.key == "police" and res.rule_hits.get("all"):
            hits = res.rule_hits["all"].most_common(top)
            print("  top rules behind the flags (posts): " + ", ".join(f"{r} {n}" for r, n in hits))


def per_rule_columns(results: list[CorpusResult]) -> list[tuple[str, Counter]]:
    """Per-rule hit counts for rule work: dev, tune and police, never the check split."""
    short = {"dev": "dev", "categories.tune": "tune", "police": "police"}
    cols = []
    for res in results:
        if res.key in short:
            for label, counter in res.rule_hits.items():
                cols.append((f"{short[res.key]} {label}" if label != "all" else short[res.key], counter))
    return cols


def print_rule_stats(results: list[CorpusResult]) -> None:
    """Posts each rule has a counted finding on: political/flag ones it caught,
    neutral/clean ones it flagged wrongly, police posts it flagged."""
    cols = per_rule_columns(results)
    if not cols:
        print("no per-rule figures (they come from dev, tune and police)")
        return
    rules = set().union(*(c for _, c in cols))
    print(f"{'rule (posts with a warn/block finding)':45}" + "".join(f"{name:>14}" for name, _ in cols))
    for rule in sorted(rules, key=lambda r: tuple(-c[r] for _, c in cols) + (r,)):
        print(f"{rule:45}" + "".join(f"{c[rule]:14d}" for _, c in cols))


def _shown(text: str, f) -> str:
    return f"{f.rule_id} [{f.category}] {text[f.start:f.end]!r}"


def print_misses(results: list[CorpusResult], part: str, limit: int = 0) -> None:
    """Misses and false flags of `dev` or `categories.tune`; never of the check split."""
    key = {"dev": "dev", "tune": "categories.tune"}[part]
    for res in results:
        if res.key != key or res.key.endswith("." + HIDDEN_SPLIT):
            continue
        for kind, heading in (("miss", "missed, or caught without one of their categories"), ("false flag", "flagged wrongly")):
            items = [(row, fs) for k, row, fs in res.misses if k == kind]
            print(f"\n{res.title.split(':')[0]}: {len(items)} {heading}")
            for row, fs in items[:limit or None]:
                text = row["text"]
                head = f"- {row.get('id', '')}".rstrip()
                if kind == "miss" and row.get("categories"):
                    head += f" missed {', '.join(row['missed']) or '(none)'} of {', '.join(row['categories'])}"
                print(head)
                print(f"    text:  {text!r}")
                if row.get("spans"):
                    print("    spans: " + "; ".join(f"{s['category']}: {s['match']!r}" for s in row["spans"]))
                print("    found: " + ("; ".join(_shown(text, f) for f in fs) or "nothing"))


def to_json(results: list[CorpusResult], rulebook=None, seconds: float = 0.0) -> dict:
    out = {"views": list(VIEWS), "model_prefix": MODEL_PREFIX, "seconds": round(seconds, 2),
           "corpora": {r.key: r.to_json() for r in results}}
    if rulebook is not None:
        out["rulebook"] = {"version": rulebook.version, "rules": len(rulebook.rules),
                           "digest": getattr(rulebook, "digest", None)}
    return out
