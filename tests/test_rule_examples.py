"""Every example of every rule in rules.json: flag examples must be flagged on
their [[marked]] spans, pass examples must not be flagged by that rule."""

import pytest

from server.engine import Checker, load_rulebook
from server.engine.examples import all_examples, run_example

from helpers import RULES

_BOOK = load_rulebook(RULES)
_CHECKER = Checker(_BOOK)
_CASES = list(all_examples(_CHECKER.rules))


def test_every_rule_has_flag_and_pass_examples():
    for rule in _BOOK.rules:
        assert rule.flag_examples and rule.pass_examples, rule.id


@pytest.mark.parametrize(
    "rule,example,kind", _CASES,
    ids=[f"{r.id}-{k}-{i}" for i, (r, e, k) in enumerate(_CASES)],
)
def test_rule_example(rule, example, kind):
    failure = run_example(_CHECKER, rule, example, kind)
    assert failure is None, str(failure)
