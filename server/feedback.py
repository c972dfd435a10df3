"""`impartial feedback`: which rules officers report as wrong, against how often they fire.

Reports come from the file `POST /v1/feedback` appends to (IMPARTIAL_FEEDBACK_PATH,
JSON lines of rule_id, kind, platform, rulebook, at) and, when a database is
configured, from the events store's false_flag events (the extension's reports,
and every false_positive posted to /v1/feedback: the service records those in
both places, so with the store read the file gives only `missed` and `helpful`,
never the same report twice). Hits are the posts of a
corpus each rule underlines (what an officer would see), so a rule reported
10 times out of 20 posts it flags comes before one reported 10 times out of
2,000. The queue: most false-flag reports first, then most reports per hit.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field

KINDS = ("false_positive", "missed", "helpful")


@dataclass
class Reports:
    per_rule: dict = field(default_factory=dict)  # rule id -> Counter(kind)
    sources: list = field(default_factory=list)  # what was read, for the heading
    skipped: list = field(default_factory=list)  # "file:line: why" for lines that are not reports

    def add(self, rule_id: str, kind: str, n: int = 1) -> None:
        self.per_rule.setdefault(rule_id, Counter())[kind] += n


def read_file(path: str, reports: Reports, since: str = "", kinds=KINDS) -> None:
    """Add the reports of a feedback file (of these kinds); a line that is not one is skipped and
    named, never fatal (the service appends to the file: a line cut short must not hide the rest)."""
    n = 0
    with open(path, encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            why = _read_line(line, reports, since, kinds)
            if why:
                reports.skipped.append(f"{path}:{lineno}: {why}")
            else:
                n += 1
    reports.sources.append(f"{path} ({n} reports)")


def _read_line(line: str, reports: Reports, since: str, kinds) -> str | None:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return f"not JSON ({exc.msg})"
    if not isinstance(record, dict) or not isinstance(record.get("rule_id"), str):
        return "no 'rule_id'"
    kind = record.get("kind", "false_positive")
    if kind not in KINDS:
        return f"unknown kind {kind!r}"
    if since and str(record.get("at", "")) < since:
        return None  # before the period asked for: not counted, not a problem
    if kind in kinds:
        reports.add(record["rule_id"], kind)
    return None


def read_events(db, reports: Reports, since: str = "") -> None:
    """Add the events store's false_flag events (server/events/query.py)."""
    from .events.query import EventQuery, false_flags_per_rule, parse_day

    rows = false_flags_per_rule(EventQuery(db, since=parse_day(since)))
    for row in rows:
        reports.add(row["rule_id"], "false_positive", row["count"])
    reports.sources.append(f"events store ({sum(r['count'] for r in rows)} false_flag events)")


def hits(checker, posts) -> tuple[Counter, int]:
    """Posts each rule underlines, as the officer sees them (one per post), and how many posts."""
    per_rule: Counter = Counter()
    n = 0
    for text, platform, election in posts:
        n += 1
        per_rule.update({f.rule_id for f in checker.check(text, platform, election).shown()})
    return per_rule, n


@dataclass
class Row:
    rule_id: str
    false_positive: int
    missed: int
    helpful: int
    hits: int
    known: bool  # the rule is in the rulebook (reports about a removed rule still count)

    @property
    def per_100_hits(self) -> float | None:
        return round(100 * self.false_positive / self.hits, 1) if self.hits else None

    def to_json(self) -> dict:
        return {**asdict(self), "per_100_hits": self.per_100_hits}


def queue(reports: Reports, per_rule_hits: Counter, rule_ids) -> list[Row]:
    """Every reported rule, the one to review first at the top."""
    known = set(rule_ids)
    rows = [Row(rid, c["false_positive"], c["missed"], c["helpful"], per_rule_hits.get(rid, 0), rid in known)
            for rid, c in reports.per_rule.items()]
    # No hits on the corpus is the strongest signal: officers see it fire where the corpus never does.
    rows.sort(key=lambda r: (-r.false_positive, -(r.per_100_hits if r.hits else float("inf")), r.rule_id))
    return rows


def to_text(rows: list[Row], reports: Reports, posts: int, corpora: list[str]) -> str:
    lines = [f"reports: {'; '.join(reports.sources) or 'none'}",
             f"hits: posts flagged among {posts} posts of {', '.join(corpora) or 'no corpus'}", ""]
    if not rows:
        return "\n".join(lines + ["no reports yet"])
    width = max(len(r.rule_id) for r in rows)
    lines.append(f"{'#':>3}  {'rule':<{width}}  false-flag  missed  helpful  hits  per 100 hits")
    for i, r in enumerate(rows, 1):
        rate = "-" if r.per_100_hits is None else f"{r.per_100_hits:g}"
        note = "" if r.known else "  (not in this rulebook)"
        lines.append(f"{i:>3}  {r.rule_id:<{width}}  {r.false_positive:>10}  {r.missed:>6}  {r.helpful:>7}  "
                     f"{r.hits:>4}  {rate:>12}{note}")
    if reports.skipped:
        lines += ["", f"skipped {len(reports.skipped)} line(s) that are not reports; first: {reports.skipped[0]}"]
    return "\n".join(lines)
