"""Running every rule's own examples: the rulebook's unit tests.

Each example runs against its own rule alone. A flag example must produce a
finding of that rule (on exactly the [[marked]] spans when the example marks
any, offering the `fix` as a replacement when it names one); a pass example
must produce none.
"""

from __future__ import annotations

from dataclasses import dataclass

from .checker import Checker
from .rulebook import Example, Rule


@dataclass(frozen=True, slots=True)
class ExampleFailure:
    rule_id: str
    kind: str  # "flag" or "pass"
    text: str
    problem: str

    def __str__(self) -> str:
        return f"{self.rule_id} [{self.kind}] {self.text[:80]!r}: {self.problem}"


def run_example(checker: Checker, rule: Rule, example: Example, kind: str) -> ExampleFailure | None:
    result = checker.check(example.text, example.platform, example.election_period, dedupe=False, only=rule.id)
    mine = [f for f in result.findings if f.rule_id == rule.id]
    spans = sorted((f.start, f.end) for f in mine)
    if kind == "pass":
        if spans:
            got = ", ".join(repr(example.text[s:e]) for s, e in spans)
            return ExampleFailure(rule.id, kind, example.text, f"flagged {got}")
        return None
    if not spans:
        return ExampleFailure(rule.id, kind, example.text, "not flagged")
    if example.spans and spans != sorted(example.spans):
        want = ", ".join(repr(example.text[s:e]) for s, e in sorted(example.spans))
        got = ", ".join(repr(example.text[s:e]) for s, e in spans)
        return ExampleFailure(rule.id, kind, example.text, f"expected {want}, got {got}")
    if example.fix is not None:
        offered = sorted({r for f in mine for r in f.replacements})
        if example.fix not in offered:
            return ExampleFailure(rule.id, kind, example.text,
                                  f"expected the fix {example.fix!r}, offered {offered or 'none'}")
    return None


def all_examples(rules):
    for rule in rules:
        for ex in rule.flag_examples:
            yield rule, ex, "flag"
        for ex in rule.pass_examples:
            yield rule, ex, "pass"


def run_all(checker: Checker) -> list[ExampleFailure]:
    failures = []
    for rule, ex, kind in all_examples(checker.rules):
        failure = run_example(checker, rule, ex, kind)
        if failure:
            failures.append(failure)
    return failures
