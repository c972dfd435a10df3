"""The compile cache: a second process takes the first one's parsed patterns from disk,
gets the same answers, and never trusts the file for more than plain values."""

import json
import os
import pickle
import subprocess
import sys

import pytest
import regex

from helpers import ROOT, book_json, minimal_rule
from server.engine import RulebookError, parse_rulebook
from server.engine.compile_cache import CompileCache


def test_values_come_back_from_disk_and_match_as_compiled(tmp_path):
    path = tmp_path / "c.pickle"
    first = CompileCache(path)
    source = r"(?i)\b(?:activist|lefty)[\s_-]?lawyers?\b"
    pat = first.get("regex", source, lambda: regex.compile(source, regex.V0))
    first.get("verdict", source, lambda: None)
    first.save()

    second = CompileCache(path)
    again = second.get("regex", source, lambda: pytest.fail("compiled again"))
    assert second.get("verdict", source, lambda: "computed") is None  # a cached None is a hit
    assert (second.hits, second.misses) == (2, 0)
    text = "Activist lawyers and lefty-lawyer talk"
    assert [m.span() for m in again.finditer(text)] == [m.span() for m in pat.finditer(text)] == [(0, 16), (21, 33)]


def test_a_failed_compute_stores_nothing(tmp_path):
    cache = CompileCache(tmp_path / "c.pickle")
    with pytest.raises(regex.error):
        cache.get("regex", "(unclosed", lambda: regex.compile("(unclosed"))
    cache.save()
    assert not (tmp_path / "c.pickle").exists()


@pytest.mark.parametrize("content", [b"", b"not a pickle", pickle.dumps(["a list"]), pickle.dumps({"regex": 3})])
def test_an_unreadable_file_is_a_cold_load_and_is_rewritten(tmp_path, content):
    path = tmp_path / "c.pickle"
    path.write_bytes(content)
    cache = CompileCache(path)
    assert cache.get("verdict", "x", lambda: "fresh") == "fresh"
    cache.save()
    assert CompileCache(path).get("verdict", "x", lambda: "again") == "fresh"


def test_a_file_that_would_run_code_is_refused(tmp_path):
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    path = tmp_path / "c.pickle"
    path.write_bytes(pickle.dumps({"regex": {"x": Evil()}}))
    cache = CompileCache(path)
    assert cache.get("regex", "x", lambda: "compiled") == "compiled"
    assert not marker.exists()


def test_off_and_an_unwritable_folder_only_cost_the_parse(tmp_path):
    CompileCache(None).save()
    blocked = tmp_path / "file"
    blocked.write_text("a file where the folder should be")
    cache = CompileCache(blocked / "sub" / "c.pickle")
    assert cache.get("verdict", "x", lambda: None) is None
    cache.save()  # logs, does not raise


def test_old_fingerprints_beyond_two_are_removed(tmp_path):
    for i, name in enumerate(["compile-a.pickle", "compile-b.pickle", "compile-c.pickle"]):
        (tmp_path / name).write_bytes(b"")
        os.utime(tmp_path / name, (1000 + i, 1000 + i))
    cache = CompileCache(tmp_path / "compile-new.pickle")
    cache.get("verdict", "x", lambda: None)
    cache.save()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["compile-b.pickle", "compile-c.pickle", "compile-new.pickle"]


def test_a_bad_pattern_is_reported_on_every_load_with_the_cache_warm(tmp_path):
    good = minimal_rule(id="good.rule", match={"patterns": [r"\bgood\s+(?:thing|stuff)\b"]},
                        examples={"flag": ["a good thing"], "pass": ["good"]})
    bad = minimal_rule(id="bad.rule", match={"patterns": [r"(\w+\s?)+$", r"(unclosed"]},
                       examples={"flag": ["x"], "pass": ["y"]})
    data = json.loads(book_json(good, bad))
    for _ in range(2):
        with pytest.raises(RulebookError) as info:
            parse_rulebook(json.dumps(data), "t.json")
        text = str(info.value)
        assert "bad.rule" in text and "match.patterns[0]" in text and "catastrophic" in text
        assert "match.patterns[1]" in text and "invalid regular expression" in text


LOAD = """
import json, sys
from server.engine import Checker, parse_rulebook
from server.engine.compile_cache import CACHE
book = parse_rulebook(open(sys.argv[1]).read(), sys.argv[1])
Checker(book)
print(json.dumps([CACHE.hits, CACHE.misses]))
"""


def test_a_second_process_with_another_hash_seed_parses_nothing(tmp_path):
    """The sources a rulebook compiles must not depend on set order (PYTHONHASHSEED), or
    every new worker would miss."""
    terms = [f"term{c}{d}" for c in "abcdefgh" for d in "xyz"]  # many ties of one length
    rule = minimal_rule(match={"patterns": [r"(?i)\b{@words}\s+(?:again|now)\b"]},
                        examples={"flag": ["termax again"], "pass": ["termax"]})
    rules = tmp_path / "rules.json"
    rules.write_text(book_json(rule, lists={"words": {"description": "d", "source": "s", "terms": terms}}))
    counts = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "IMPARTIAL_COMPILE_CACHE": str(tmp_path / "cache")}
        out = subprocess.run([sys.executable, "-c", LOAD, str(rules)], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, out.stderr[-3000:]
        counts.append(json.loads(out.stdout.strip().splitlines()[-1]))
    assert counts[0][1] > 0
    assert counts[1] == [counts[0][0] + counts[0][1], 0]


def test_the_load_log_says_how_many_patterns_were_parsed(make_app, rules_copy, caplog):
    """An admin sees the cache work: a new pattern is parsed once, then never again."""
    data = json.loads(rules_copy.read_text())
    data["rules"].append(minimal_rule(id="test.fresh-pattern", match={"patterns": [rf"\bunseen{os.getpid()}\s+words?\b"]},
                                      examples={"flag": [f"unseen{os.getpid()} words"], "pass": ["words"]}))
    rules_copy.write_text(json.dumps(data))
    caplog.set_level("INFO", logger="server.store")
    counts = []
    for _ in range(2):
        caplog.clear()
        make_app()
        line = next(r.getMessage() for r in caplog.records if "loaded:" in r.getMessage())
        counts.append(int(line.rsplit(",", 1)[1].split()[0]))
    assert counts[0] >= 1 and counts[1] == 0


def test_past_its_size_the_cache_keeps_only_what_this_process_used(tmp_path, monkeypatch):
    import server.engine.compile_cache as module

    path = tmp_path / "c.pickle"
    old = CompileCache(path)
    for i in range(5):
        old.get("verdict", f"old{i}", lambda: None)
    old.save()
    monkeypatch.setattr(module, "MAX_ENTRIES", 4)
    cache = CompileCache(path)
    cache.get("verdict", "old0", lambda: "recomputed")
    cache.get("verdict", "new", lambda: "fresh")
    cache.save()
    again = CompileCache(path)
    assert again.get("verdict", "old0", lambda: "x") is None and again.get("verdict", "new", lambda: "x") == "fresh"
    assert again.get("verdict", "old1", lambda: "gone") == "gone"
    assert cache.get("verdict", "old2", lambda: "gone from memory too") == "gone from memory too"
