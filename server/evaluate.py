"""Detection quality on a labelled corpus (JSON lines: text, label).

Recall: share of `political` posts with at least one warn/block finding in a
non-advisory category. False-positive rate: share of `neutral` posts with one.
Per-rule figures tell a maintainer which rules earn their keep.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from .engine import Checker


@dataclass
class Report:
    n_political: int = 0
    n_neutral: int = 0
    hits_political: int = 0
    hits_neutral: int = 0
    false_negatives: list = field(default_factory=list)
    false_positives: list = field(default_factory=list)
    rule_political: Counter = field(default_factory=Counter)
    rule_neutral: Counter = field(default_factory=Counter)

    @property
    def recall(self) -> float:
        return self.hits_political / self.n_political if self.n_political else 0.0

    @property
    def false_positive_rate(self) -> float:
        return self.hits_neutral / self.n_neutral if self.n_neutral else 0.0


def evaluate(checker: Checker, corpus_path: str) -> Report:
    report = Report()
    with open(corpus_path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            row = json.loads(line)
            result = checker.check(row["text"])
            flagged = result.flagged()
            rules = {f.rule_id for f in result.findings if f.severity != "info"}
            if row["label"] == "political":
                report.n_political += 1
                report.hits_political += flagged
                report.rule_political.update(rules)
                if not flagged:
                    report.false_negatives.append(row["text"])
            else:
                report.n_neutral += 1
                report.hits_neutral += flagged
                report.rule_neutral.update(rules)
                if flagged:
                    why = [(f.rule_id, f"{row['text'][f.start:f.end]}") for f in result.findings
                           if f.severity != "info"]
                    report.false_positives.append((row["text"], why))
    return report


def print_report(r: Report, worst: int = 10) -> None:
    print(f"political posts: {r.n_political}, flagged {r.hits_political}: recall {r.recall:.3f}")
    print(f"neutral posts:   {r.n_neutral}, flagged {r.hits_neutral}: false-positive rate {r.false_positive_rate:.3f}")
    if worst:
        print(f"\nfalse positives (first {worst}):")
        for text, why in r.false_positives[:worst]:
            print(f"  - {text[:140]!r}\n      {why}")
        print(f"\nfalse negatives (first {worst}):")
        for text in r.false_negatives[:worst]:
            print(f"  - {text[:160]!r}")


def print_rule_stats(r: Report) -> None:
    """Warn/block hits per rule: political posts it caught, neutral posts it flagged."""
    print(f"{'rule (warn/block hits)':45} {'political':>9} {'neutral':>8}")
    for rule in sorted(set(r.rule_political) | set(r.rule_neutral), key=lambda k: -r.rule_political[k]):
        print(f"{rule:45} {r.rule_political[rule]:9d} {r.rule_neutral[rule]:8d}")
