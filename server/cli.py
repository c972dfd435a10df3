"""`impartial`: the command line for rule maintainers and admins.

  impartial lint [rules.json]         validate, then run every rule's examples
  impartial check "text" [--platform x] [--election]
  impartial eval [--corpus NAME] [--per-rule] [--json PATH] [--misses dev|tune]
                                      recall, false-positive rate, per category and
                                      span figures on every corpus (rules / model / both)
  impartial stats [--corpus NAME]     posts each rule flags on dev, tune and police
  impartial explain "text" [--rule ID] [--json]
                                      each finding and what matched; why a rule did not fire
  impartial diff OLD.json NEW.json CORPUS...
                                      what a rulebook change does to labelled posts
  impartial catalogue [--out PATH]    write docs/rules-catalogue.md from the rulebook
  impartial db upgrade                apply the database migrations
  impartial keys create --label L [--admin] | keys list | keys revoke ID
                                      API keys (shown once, stored hashed)
  impartial events purge [--days N]   clear stored event texts older than N days
"""

from __future__ import annotations

import argparse
import json
import os
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


def cmd_explain(args) -> int:
    from .engine.explain import explain, to_text

    checker = Checker(_load(args.rules))
    text = args.text if args.text != "-" else sys.stdin.read()
    try:
        report = explain(checker, text, args.platform, args.election, args.rule)
    except KeyError:
        print(f"no rule {args.rule!r} in {args.rules}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2, ensure_ascii=False) if args.json else to_text(report))
    return 0


def cmd_diff(args) -> int:
    from .diffing import diff, to_text

    old, new = Checker(_load(args.old)), Checker(_load(args.new))
    try:
        d = diff(old, new, args.corpus)
    except FileNotFoundError as exc:
        print(f"no corpus at {exc.filename or exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # not JSON lines, or a post on an unknown platform
        print(f"cannot read the corpus: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(d.to_json(), indent=1, ensure_ascii=False) if args.json else to_text(d, args.limit))
    return 1 if d.worse else 0


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except OSError:
        return None


def cmd_catalogue(args) -> int:
    from .catalogue import COMMAND, render

    text = render(_load(args.rules))
    if args.check:
        if _read(args.out) == text:
            return 0
        print(f"{args.out} is not current for {args.rules}: run `{COMMAND}` "
              f"(impartial catalogue --rules {args.rules} --out {args.out}) and commit it", file=sys.stderr)
        return 1
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text)
        print(f"wrote {args.out}")
    return 0


def _eval_results(args):
    import time

    from .evaluate import NAMES, run, run_file

    book = _load(args.rules)
    checker = Checker(book)
    t0 = time.perf_counter()
    try:
        if args.files:
            results = []
            for path in args.files:
                results.extend(run_file(checker, path, path.rsplit("/", 1)[-1].removesuffix(".jsonl"),
                                        miss_view=args.view))
        else:
            results = run(checker, args.shared, args.corpus, miss_view=args.view)
    except FileNotFoundError as exc:
        print(f"no corpus at {exc.filename or exc} (set --shared, or pass the files; names: {', '.join(NAMES)})",
              file=sys.stderr)
        raise SystemExit(2)
    return book, results, time.perf_counter() - t0


def cmd_eval(args) -> int:
    from .evaluate import print_misses, print_results, print_rule_stats, to_json

    book, results, seconds = _eval_results(args)
    print_results(results)
    if args.per_rule:
        print()
        print_rule_stats(results)
    for part in args.misses or ():
        print_misses(results, part, args.limit)
    n = sum(r.posts for r in results)
    print(f"\n{n} posts checked in {seconds:.1f} s ({book.version}, {len(book.rules)} rules)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(to_json(results, book, seconds), fh, indent=1)
            fh.write("\n")
    return 0


def cmd_stats(args) -> int:
    from .evaluate import print_rule_stats

    print_rule_stats(_eval_results(args)[1])
    return 0


def _workbench_parsers(sub) -> None:
    """explain, diff and catalogue: the rule maintainers' workbench."""
    s = sub.add_parser("explain", help="each finding and what matched; --rule ID: why that rule did not fire")
    s.add_argument("text", help="the post, or - to read standard input")
    s.add_argument("--platform", default="generic", choices=PLATFORMS)
    s.add_argument("--election", action="store_true", help="check as in a pre-election period")
    s.add_argument("--rules", default="rules.json")
    s.add_argument("--rule", metavar="ID", help="also say why this rule did or did not fire")
    s.add_argument("--json", action="store_true", help="JSON instead of text")
    s.set_defaults(fn=cmd_explain)
    s = sub.add_parser("diff", help="the labelled posts whose verdict or findings change between two rulebooks")
    s.add_argument("old", metavar="OLD.json")
    s.add_argument("new", metavar="NEW.json")
    s.add_argument("corpus", nargs="+", metavar="CORPUS", help="labelled JSON lines (text, label)")
    s.add_argument("--json", action="store_true", help="JSON instead of text")
    s.add_argument("--limit", type=int, default=0, help="at most this many posts listed per group (0: all)")
    s.set_defaults(fn=cmd_diff)
    s = sub.add_parser("catalogue", help="write the rules catalogue (docs/rules-catalogue.md) from the rulebook")
    s.add_argument("--rules", default="rules.json")
    s.add_argument("--out", default="docs/rules-catalogue.md", help="where to write it (- for standard output)")
    s.add_argument("--check", action="store_true", help="only say whether --out is current (exit 1 if not)")
    s.set_defaults(fn=cmd_catalogue)


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
    _workbench_parsers(sub)
    from .cli_admin import add_parsers as admin_parsers

    admin_parsers(sub)
    from .evaluate import NAMES, VIEWS

    for name, fn, what in (("eval", cmd_eval, "every figure on every corpus"),
                           ("stats", cmd_stats, "posts each rule flags on dev, tune and police")):
        s = sub.add_parser(name, help=f"measure: {what}")
        s.add_argument("files", nargs="*", help="corpus files (JSON lines) instead of the shared corpora")
        s.add_argument("--shared", default=os.environ.get("IMPARTIAL_SHARED", "../shared"),
                       help="the shared folder holding corpus/ (default ../shared or $IMPARTIAL_SHARED)")
        s.add_argument("--corpus", action="append", choices=NAMES, metavar="NAME",
                       help=f"only this corpus, repeatable: {', '.join(NAMES)}")
        s.add_argument("--rules", default="rules.json")
        s.set_defaults(fn=fn, view="both")
        if name == "eval":
            s.add_argument("--per-rule", action="store_true", help="also print posts hit per rule")
            s.add_argument("--json", metavar="PATH", help="also write every figure as JSON to PATH")
            # `check` is not a choice: its texts are measured, never read.
            s.add_argument("--misses", action="append", choices=("dev", "tune"),
                           help="list the misses and false flags of dev or of the tune split, with their texts")
            s.add_argument("--view", choices=VIEWS, default="both", help="whose findings --misses judges by")
            s.add_argument("--limit", type=int, default=0, help="at most this many per list (0: all)")
    args = p.parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
