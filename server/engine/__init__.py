"""The check engine: text -> normalise -> match rules -> findings.

Free of Flask so that the service, the CLI, the tests and the benchmarks share it.
"""

from .checker import Checker, CheckResult
from .findings import Finding
from .rulebook import Rule, Rulebook, RulebookError, load_rulebook, parse_rulebook

__all__ = [
    "Checker",
    "CheckResult",
    "Finding",
    "Rule",
    "Rulebook",
    "RulebookError",
    "load_rulebook",
    "parse_rulebook",
]
