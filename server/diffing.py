"""What a rulebook change does to labelled posts: `impartial diff OLD NEW CORPUS...`.

Every labelled post (JSON lines with `text` and `label`: political/neutral or
flag/clean; optional `platform`, `election_period`, `split`) is checked with
both rulebooks. A post whose counted findings change lands in one group:

  newly caught         a flag post the old rules missed and the new ones flag
  no longer caught     a flag post the old rules flagged and the new ones miss   (worse)
  newly false-flagged  a clean post the new rules flag and the old ones did not (worse)
  cleared              a clean post the old rules flagged and the new ones do not
  findings changed     same verdict, other findings (rules, categories or words)

with per-rule and per-category counts of posts gained and lost. Texts of the
`check` split are never printed, only counted (as `eval` does).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .evaluate import HIDDEN_SPLIT, POSITIVE, counted, read_jsonl

GROUPS = ("newly caught", "no longer caught", "newly false-flagged", "cleared", "findings changed")
WORSE = ("no longer caught", "newly false-flagged")
LABELS = POSITIVE | {"neutral", "clean"}


@dataclass(slots=True)
class Change:
    group: str
    source: str | None  # file:line; None for the check split
    label: str
    text: str | None  # None for the check split
    gained: list  # (rule_id, category) the new rules add
    lost: list  # (rule_id, category) the new rules drop
    moved: list = field(default_factory=list)  # rules found by both, on other words


@dataclass
class Diff:
    posts: int = 0
    changes: list[Change] = field(default_factory=list)
    rules: dict = field(default_factory=dict)  # rule id -> Counter(+flag, -flag, +clean, -clean)
    categories: dict = field(default_factory=dict)

    def count(self, group: str) -> int:
        return sum(c.group == group for c in self.changes)

    @property
    def worse(self) -> bool:
        return any(self.count(g) for g in WORSE)

    def add(self, change: Change) -> None:
        self.changes.append(change)
        side = "flag" if change.label in POSITIVE else "clean"
        for sign, pairs in (("+", change.gained), ("-", change.lost)):
            for rule_id, category in set(pairs):
                self.rules.setdefault(rule_id, Counter())[sign + side] += 1
            for category in {c for _, c in pairs}:
                self.categories.setdefault(category, Counter())[sign + side] += 1

    def to_json(self) -> dict:
        return {"posts": self.posts, "worse": self.worse,
                "groups": {g: self.count(g) for g in GROUPS},
                "rules": {k: dict(v) for k, v in sorted(self.rules.items())},
                "categories": {k: dict(v) for k, v in sorted(self.categories.items())},
                "changes": [_change_json(c) for c in self.changes]}


def _change_json(c: Change) -> dict:
    out = {"group": c.group, "label": c.label,
           "gained": sorted({r for r, _ in c.gained}), "lost": sorted({r for r, _ in c.lost}), "moved": c.moved}
    if c.text is not None:
        out.update(source=c.source, text=c.text)
    return out


def _findings(checker, row) -> set:
    result = checker.check(row["text"], row.get("platform") or "generic", bool(row.get("election_period")))
    return {(f.rule_id, f.category, f.start, f.end) for f in counted(result.findings)["both"]}


def group_of(positive: bool, before: bool, after: bool) -> str:
    if before == after:
        return "findings changed"
    if positive:
        return "newly caught" if after else "no longer caught"
    return "newly false-flagged" if after else "cleared"


def _pairs(findings) -> set:
    return {(rule_id, category) for rule_id, category, _, _ in findings}


def compare_row(old, new, row, source: str) -> Change | None:
    before, after = _findings(old, row), _findings(new, row)
    if before == after:
        return None
    was, now = _pairs(before), _pairs(after)
    gained, lost = sorted(now - was), sorted(was - now)
    moved = sorted({r for r, *_ in before ^ after} - {r for r, _ in gained + lost})
    hidden = row.get("split") == HIDDEN_SPLIT
    return Change(group_of(row["label"] in POSITIVE, bool(before), bool(after)), None if hidden else source,
                  row["label"], None if hidden else row["text"], gained, lost, moved)


def diff(old, new, paths) -> Diff:
    """Check every labelled post of `paths` with both checkers."""
    out = Diff()
    for path in paths:
        for i, row in enumerate(read_jsonl(path), 1):
            if row.get("label") not in LABELS or not isinstance(row.get("text"), str):
                continue
            out.posts += 1
            try:
                change = compare_row(old, new, row, f"{path}:{i}")
            except ValueError as exc:  # an unknown platform
                raise ValueError(f"{path}:{i}: {exc}") from None
            if change is not None:
                out.add(change)
    return out


# -- text -------------------------------------------------------------------
def to_text(d: Diff, limit: int = 0) -> str:
    lines = [f"{d.posts} labelled posts; {len(d.changes)} changed"]
    lines += [f"  {g:<20} {d.count(g)}" for g in GROUPS]
    for title, table in (("rule", d.rules), ("category", d.categories)):
        if table:
            lines += ["", f"{'per ' + title:<44} +flag -flag +clean -clean"]
            lines += [f"  {k:<42} {_row(v)}" for k, v in sorted(table.items())]
    for g in GROUPS:
        lines += _group_lines(d, g, limit)
    lines += ["", "WORSE: a flag post is no longer caught or a clean post is newly flagged" if d.worse
              else "nothing got worse"]
    return "\n".join(lines)


def _row(c: Counter) -> str:
    return " ".join(f"{c[k]:>{len(k)}}" for k in ("+flag", "-flag", "+clean", "-clean"))


def _group_lines(d: Diff, group: str, limit: int) -> list[str]:
    items = [c for c in d.changes if c.group == group]
    if not items:
        return []
    shown = [c for c in items if c.text is not None]
    hidden = len(items) - len(shown)
    lines = ["", f"== {group} ({len(items)})"]
    for c in shown[:limit or None]:
        lines.append(f"- {c.source} [{c.label}] {c.text!r}")
        lines += [f"    {sign} {', '.join(sorted({r for r, _ in pairs}))}"
                  for sign, pairs in (("+", c.gained), ("-", c.lost)) if pairs]
        lines += [f"    ~ other words: {', '.join(c.moved)}"] if c.moved else []
    if limit and len(shown) > limit:
        lines.append(f"  ... and {len(shown) - limit} more")
    if hidden:
        lines.append(f"  {hidden} post{'s' if hidden != 1 else ''} of the {HIDDEN_SPLIT} split (texts not shown)")
    return lines
