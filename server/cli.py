"""`impartial`: the command line for rule maintainers and admins.

  impartial lint [rules.json]         validate, then run every rule's examples
  impartial check "text" [--platform x] [--election]
  impartial eval corpus.jsonl         recall / false-positive rate on labelled posts
  impartial stats corpus.jsonl        per-rule hit counts on labelled posts
"""

from __future__ import annotations

import argparse
import json
import sys

from .engine import Checker, RulebookError, load_rulebook
from .engine.examples import run_all
from .engine.platforms import PLATFORMS


def _load(path: str):
    try:
        return load_rulebook(path)
    except RulebookError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(2)


def cmd_lint(args) -> int:
    book = _load(args.rules)
    checker = Checker(book)
    failures = run_all(checker)
    n = sum(len(r.flag_examples) + len(r.pass_examples) for r in checker.rules)
    for f in failures:
        print(f"FAIL {f}")
    print(f"{args.rules}: version {book.version}, {len(book.rules)} rules, "
          f"{checker.phrase_count} phrases; {n - len(failures)} of {n} examples pass")
    return 1 if failures else 0


def cmd_check(args) -> int:
    checker = Checker(_load(args.rules))
    text = args.text if args.text != "-" else sys.stdin.read()
    result = checker.check(text, args.platform, args.election)
    print(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    return 0


def cmd_eval(args) -> int:
    from .evaluate import evaluate, print_report

    checker = Checker(_load(args.rules))
    report = evaluate(checker, args.corpus)
    print_report(report, worst=args.worst)
    if args.per_rule:
        from .evaluate import print_rule_stats

        print()
        print_rule_stats(report)
    return 0


def cmd_stats(args) -> int:
    from .evaluate import evaluate, print_rule_stats

    checker = Checker(_load(args.rules))
    print_rule_stats(evaluate(checker, args.corpus))
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="impartial", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("lint", help="validate rules.json and run every rule example")
    s.add_argument("rules", nargs="?", default="rules.json")
    s.set_defaults(fn=cmd_lint)
    s = sub.add_parser("check", help="check one text")
    s.add_argument("text", help="the post, or - to read standard input")
    s.add_argument("--platform", default="generic", choices=PLATFORMS)
    s.add_argument("--election", action="store_true", help="check as in a pre-election period")
    s.add_argument("--rules", default="rules.json")
    s.set_defaults(fn=cmd_check)
    for name, fn in (("eval", cmd_eval), ("stats", cmd_stats)):
        s = sub.add_parser(name, help="measure on a labelled corpus (JSON lines with text and label)")
        s.add_argument("corpus")
        s.add_argument("--rules", default="rules.json")
        s.add_argument("--worst", type=int, default=10)
        s.add_argument("--per-rule", action="store_true", help="also print hits per rule")
        s.set_defaults(fn=fn)
    args = p.parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
