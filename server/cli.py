"""`impartial`: the command line for rule maintainers and admins.

  impartial lint [RULES...] [--strict] validate, run every rule's examples, then the lint checks
                                      (errors fail; advice fails only with --strict)
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
  impartial feedback [--reports PATH] the false-flag reports per rule against its hits: what to review first
  impartial db upgrade                apply the database migrations
  impartial keys create --label L [--admin] | keys list | keys revoke ID
                                      API keys (shown once, stored hashed)
  impartial events purge [--days N]   clear stored event texts older than N days

Every rulebook command reads the rulebook from --rules PATH (repeatable; default $IMPARTIAL_RULES or
rules.json): the core first, then layer files; a folder stands for its *.json files in name order.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from types import SimpleNamespace

from . import layers
from .engine import Checker, RulebookError
from .engine.examples import run_all
from .engine.platforms import PLATFORMS


def default_rules() -> list[str]:
    return [os.environ.get("IMPARTIAL_RULES") or "rules.json"]


def _compose(spec) -> layers.Composed:
    """The rulebook of a --rules setting. The service serves the other layers when one is
    broken; a maintainer's command refuses it (exit 2) so the problem is seen before it ships."""
    try:
        composed = layers.load(spec)
    except RulebookError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(2)
    if composed.refused:
        for exc in composed.refused:
            print(f"layer refused: {exc}", file=sys.stderr)
        raise SystemExit(2)
    return composed


def _load(spec):
    return _compose(spec).rulebook


def _named(spec) -> str:
    return spec if isinstance(spec, str) else os.pathsep.join(spec)


def cmd_lint(args) -> int:
    import datetime as dt

    from .lint import ADVICE, ERROR, lint

    try:
        today = dt.date.fromisoformat(args.today) if args.today else None
    except ValueError:
        print(f"--today must be a date such as 2026-11-30, not {args.today!r}", file=sys.stderr)
        return 2
    spec = args.paths + (args.rules or []) or default_rules()
    composed = _compose(spec)
    checker = Checker(composed.rulebook)
    failures = run_all(checker)
    # The check split's texts are never read here: same-span problems quote the words.
    problems = lint(composed.data, checker, today, _posts(args.corpus, hidden=False), composed.origin)
    _print_lint(args, _named(spec), checker, failures, problems)
    levels = {p.level for p in problems}
    return 1 if failures or ERROR in levels or (args.strict and ADVICE in levels) else 0


def _print_lint(args, named: str, checker, failures, problems) -> None:
    from dataclasses import asdict

    from .lint import ERROR, counts, summary

    book = checker.rulebook
    n = sum(len(r.flag_examples) + len(r.pass_examples) for r in checker.rules)
    shown = [p for p in sorted(problems, key=lambda p: p.level != ERROR) if not args.kind or p.kind in args.kind]
    if args.json:
        print(json.dumps({"rules": named, "version": book.version, "examples": n,
                          "failures": [asdict(f) for f in failures], "problems": [p.to_json() for p in shown],
                          "counts": {f"{lv} {kind}": c for (lv, kind), c in sorted(counts(problems).items())}},
                         indent=1, ensure_ascii=False))
        return
    for line in [f"FAIL {f}" for f in failures] + [str(p) for p in shown]:
        print(line)
    print(f"{named}: version {book.version}, {len(book.rules)} rules, "
          f"{checker.phrase_count} phrases; {n - len(failures)} of {n} examples pass")
    print(f"lint: {summary(problems)}")


def _posts(paths, hidden: bool) -> list:
    """(text, platform, election_period) of JSON-lines posts; with hidden=False not the check split."""
    from .evaluate import HIDDEN_SPLIT, read_jsonl

    posts = []
    for path in paths or ():
        try:
            rows = read_jsonl(path)
        except (OSError, ValueError) as exc:
            print(f"cannot read the corpus {path}: {exc}", file=sys.stderr)
            raise SystemExit(2)
        posts += [(r["text"], r.get("platform", "generic"), bool(r.get("election_period")))
                  for r in rows if isinstance(r, dict) and isinstance(r.get("text"), str)
                  and (hidden or r.get("split") != HIDDEN_SPLIT)]
    return posts


def _reports(args, paths: list, url: str | None):
    """The reports of the files and, with a database, of the events store (which already holds
    every false_positive the files have: the files then give only missed and helpful)."""
    from . import feedback

    reports = feedback.Reports()
    if url:
        from .cli_admin import _ready_database
        from .db import DatabaseUnavailable

        db = _ready_database(SimpleNamespace(database_url=url))
        try:
            feedback.read_events(db, reports, args.since or "")
        except DatabaseUnavailable as exc:
            print(f"cannot read the events store {db.describe()}: {exc}", file=sys.stderr)
            raise SystemExit(2)
    kinds = ("missed", "helpful") if url else feedback.KINDS
    for path in paths:
        feedback.read_file(path, reports, args.since or "", kinds)
    return reports


def cmd_feedback(args) -> int:
    import datetime as dt
    import glob

    from . import feedback

    try:
        dt.date.fromisoformat(args.since or "2000-01-01")
    except ValueError:
        print(f"--since must be a date such as 2026-11-30, not {args.since!r}", file=sys.stderr)
        return 2
    paths = args.reports or ([os.environ["IMPARTIAL_FEEDBACK_PATH"]] if os.environ.get("IMPARTIAL_FEEDBACK_PATH") else [])
    url = args.database_url or os.environ.get("DATABASE_URL") or os.environ.get("IMPARTIAL_DATABASE_URL")
    if not paths and not url:
        print("no reports to read: pass --reports PATH or set IMPARTIAL_FEEDBACK_PATH (the file POST /v1/feedback "
              "appends to), or --database-url / DATABASE_URL for the events store", file=sys.stderr)
        return 2
    try:
        reports = _reports(args, paths, url)
    except OSError as exc:
        print(f"cannot read the reports {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    corpora = args.corpus or sorted(glob.glob(os.path.join(args.shared, "corpus", "*.jsonl")))
    checker = Checker(_load(args.rules))
    # Only counts are printed, so the check split's posts count too.
    per_rule, n = feedback.hits(checker, _posts(corpora, hidden=True))
    rows = feedback.queue(reports, per_rule, [r.id for r in checker.rulebook.rules])
    if args.json:
        print(json.dumps({"reports": reports.sources, "skipped": reports.skipped, "posts": n,
                          "corpora": corpora, "queue": [r.to_json() for r in rows]}, indent=1))
    else:
        print(feedback.to_text(rows, reports, n, [os.path.basename(c) for c in corpora]))
    return 0


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
        print(f"no rule {args.rule!r} in {_named(args.rules)}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2, ensure_ascii=False) if args.json else to_text(report))
    return 0


def cmd_diff(args) -> int:
    from .diffing import diff, to_text

    # every head's words: a head's card would otherwise move whenever a rule starts naming its category
    old, new = Checker(_load(args.old), every_word=True), Checker(_load(args.new), every_word=True)
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
        print(f"{args.out} is not current for {_named(args.rules)}: run `{COMMAND}` "
              f"(impartial catalogue --rules {_named(args.rules)} --out {args.out}) and commit it", file=sys.stderr)
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

    from .evaluate import NAMES, PROJECT_CORPUS, run, run_file

    book = _load(args.rules)
    # Figures of detection, not of speed: a stall of a loaded machine must not cut a check
    # short (the service's regex timeout and deadline) and change what is counted; and the
    # model alone is judged on the words it would underline even where a rule names its category.
    checker = Checker(book, regex_timeout=5.0, deadline=60.0, every_word=True)
    t0 = time.perf_counter()
    try:
        if args.files:
            results = []
            for path in args.files:
                results.extend(run_file(checker, path, path.rsplit("/", 1)[-1].removesuffix(".jsonl"),
                                        miss_view=args.view))
        else:
            results = run(checker, args.shared, args.corpus, miss_view=args.view,
                          project=args.project_corpus or PROJECT_CORPUS)
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


def _rules_option(parser, default=default_rules) -> None:
    parser.add_argument("--rules", action="append", metavar="PATH",
                        help="the core rulebook, then layer files, in order (repeatable; a folder stands for its "
                             "*.json files; default $IMPARTIAL_RULES or rules.json)")
    if default is not None:
        parser.set_defaults(rules=None, rules_default=default)


def _workbench_parsers(sub) -> None:
    """explain, diff and catalogue: the rule maintainers' workbench."""
    s = sub.add_parser("explain", help="each finding and what matched; --rule ID: why that rule did not fire")
    s.add_argument("text", help="the post, or - to read standard input")
    s.add_argument("--platform", default="generic", choices=PLATFORMS)
    s.add_argument("--election", action="store_true", help="check as in a pre-election period")
    _rules_option(s)
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
    _rules_option(s)
    s.add_argument("--out", default="docs/rules-catalogue.md", help="where to write it (- for standard output)")
    s.add_argument("--check", action="store_true", help="only say whether --out is current (exit 1 if not)")
    s.set_defaults(fn=cmd_catalogue)
    s = sub.add_parser("feedback", help="false-flag reports per rule against its hits on a corpus: what to review first")
    s.add_argument("--reports", action="append", metavar="PATH",
                   help="a feedback file (JSON lines; repeatable; default $IMPARTIAL_FEEDBACK_PATH)")
    s.add_argument("--corpus", action="append", metavar="FILE",
                   help="posts to count hits on (repeatable; default every shared corpus/*.jsonl)")
    s.add_argument("--shared", default=os.environ.get("IMPARTIAL_SHARED", "../shared"),
                   help="the shared folder holding corpus/ (default ../shared or $IMPARTIAL_SHARED)")
    s.add_argument("--database-url", metavar="URL",
                   help="also read the events store's false_flag events (default $DATABASE_URL or "
                        "$IMPARTIAL_DATABASE_URL; none: the files only)")
    s.add_argument("--since", metavar="YYYY-MM-DD", help="only reports from this day on")
    s.add_argument("--json", action="store_true", help="JSON instead of text")
    _rules_option(s)
    s.set_defaults(fn=cmd_feedback)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="impartial", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("lint", help="validate the rulebook, run every rule example, then the lint checks")
    s.add_argument("paths", nargs="*", metavar="RULES", help="the core rulebook, then layer files or a folder")
    _rules_option(s, default=None)
    s.add_argument("--strict", action="store_true", help="advice fails the lint too (exit 1)")
    s.add_argument("--corpus", action="append", metavar="FILE",
                   help="also look for rules underlining the same words on these JSON-lines posts")
    s.add_argument("--kind", action="append", metavar="KIND", help="print only problems of this kind (repeatable)")
    s.add_argument("--today", metavar="YYYY-MM-DD", help="the date review_after is compared with (default today)")
    s.add_argument("--json", action="store_true", help="JSON instead of text (failures, problems, counts)")
    s.set_defaults(fn=cmd_lint)
    s = sub.add_parser("check", help="check one text")
    s.add_argument("text", help="the post, or - to read standard input")
    s.add_argument("--platform", default="generic", choices=PLATFORMS)
    s.add_argument("--election", action="store_true", help="check as in a pre-election period")
    _rules_option(s)
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
        s.add_argument("--project-corpus", metavar="DIR",
                       help="where this project's own corpora are (default: corpus/ beside server/)")
        s.add_argument("--corpus", action="append", choices=NAMES, metavar="NAME",
                       help=f"only this corpus, repeatable: {', '.join(NAMES)}")
        _rules_option(s)
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
    if getattr(args, "rules_default", None) and not args.rules:
        args.rules = args.rules_default()
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
