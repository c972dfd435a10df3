"""`impartial lint` and `impartial check`: twice as the installed command (what
`make lint-rules` and rule maintainers run), otherwise through the same main()
in this process (each process builds the checker again: seconds on a busy machine)."""

import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from types import SimpleNamespace

import pytest

from helpers import ROOT, book_json, minimal_rule
from server import cli

IMPARTIAL = Path(sys.executable).parent / "impartial"


def command(*args, stdin=None):
    """The installed `impartial` in its own process."""
    return subprocess.run([str(IMPARTIAL), *map(str, args)], input=stdin, capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def run(*args, stdin=None, monkeypatch=None):
    """cli.main() in this process, with what the command would print and its exit code."""
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = cli.main([str(a) for a in args])
            except SystemExit as exc:
                code = exc.code
    finally:
        os.chdir(cwd)
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


def test_lint_passes_the_bundled_rulebook():
    r = command("lint", "rules.json")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    lines = r.stdout.strip().splitlines()
    last, lint = lines[-2], lines[-1]
    assert last.startswith("rules.json: version ") and "FAIL" not in r.stdout
    assert lint.startswith("lint: 0 error; ") and "advice" in lint  # advice is fine; an error would fail
    passed, total = last.split("; ")[1].split(" examples pass")[0].split(" of ")
    assert passed == total and int(total) > 100
    assert run("lint").stdout == r.stdout  # rules.json is the default


def test_lint_reports_a_failing_example_and_exits_1(tmp_path):
    path = tmp_path / "rules.json"
    path.write_text(book_json(minimal_rule(examples={"flag": ["activist lawyers", "a lawyer of activism"],
                                                     "pass": ["lawyers", "activist lawyers again"]})))
    r = run("lint", path)
    assert r.returncode == 1
    fails = [line for line in r.stdout.splitlines() if line.startswith("FAIL")]
    assert len(fails) == 2 and all("test.rule" in f for f in fails), r.stdout
    assert "2 of 4 examples pass" in r.stdout


@pytest.mark.parametrize("content,problem", [
    ("{ not json", "invalid JSON at line 1"),
    ('{"version": "x"}', "rules"),
    (book_json(minimal_rule(category="gossip")), "gossip"),
])
def test_lint_refuses_a_broken_rulebook_with_exit_2(tmp_path, content, problem):
    path = tmp_path / "rules.json"
    path.write_text(content)
    r = run("lint", path)
    assert r.returncode == 2 and r.stdout == ""
    assert problem in r.stderr and "Traceback" not in r.stderr


def test_lint_on_a_missing_file():
    r = run("lint", "/nonexistent/rules.json")
    assert r.returncode == 2 and "cannot read the file" in r.stderr and "Traceback" not in r.stderr


def test_check_prints_the_api_json():
    r = run("check", "Vote Labour on Thursday", "--platform", "x")
    assert r.returncode == 0, r.stderr
    body = json.loads(r.stdout)
    assert body["verdict"] == "block"
    assert body["metrics"]["length"]["platform"] == "x" and body["metrics"]["length"]["limit"] == 280
    assert any(f["match"] == "Vote Labour" for f in body["findings"])


def test_check_reads_standard_input_and_the_election_flag(monkeypatch):
    text = "Join the Leader at the opening of the park"
    plain = json.loads(command("check", "-", stdin=text).stdout)
    purdah = json.loads(run("check", "-", "--election", stdin=text, monkeypatch=monkeypatch).stdout)
    assert not any(f["category"] == "pre_election" for f in plain["findings"])
    assert any(f["category"] == "pre_election" for f in purdah["findings"])
    assert json.loads(run("check", "Gritters are out tonight.").stdout)["verdict"] == "pass"


def test_check_with_another_rulebook(tmp_path):
    path = tmp_path / "rules.json"
    path.write_text(book_json(minimal_rule()))
    body = json.loads(run("check", "beware activist lawyers", "--rules", path).stdout)
    assert body["rulebook"]["version"] == "t1" and [f["rule_id"] for f in body["findings"]] == ["test.rule"]


def test_check_refuses_bad_arguments_without_a_traceback(tmp_path):
    r = run("check", "Vote Labour", "--platform", "myspace")
    assert r.returncode == 2 and "invalid choice: 'myspace'" in r.stderr and "Traceback" not in r.stderr
    r = run("check", "Vote Labour", "--rules", tmp_path / "missing.json")
    assert r.returncode == 2 and "cannot read the file" in r.stderr and "Traceback" not in r.stderr
    r = run("frobnicate")
    assert r.returncode == 2 and "invalid choice" in r.stderr
