"""`impartial eval`: the arithmetic of every figure, the three views, the CLI and its JSON.

Every corpus here is hand-written for the test into a tmp folder with a tiny
rulebook, so each figure is known exactly. One rule's id starts with `model.`
and stands in for the learned layer.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT, book_json, minimal_rule

from server.cli import main
from server.engine import Checker, load_rulebook
from server.evaluate import edited_spans, overlaps, run, run_file

HIDDEN = "HIDDENCHECKTEXT"  # in every check-split text: it must never be printed or written


def rule(rule_id, category, severity, phrases, **extra):
    return minimal_rule(id=rule_id, category=category, severity=severity, match={"phrases": phrases},
                        examples={"flag": [f"x [[{phrases[0]}]] x"], "pass": ["nothing here"]}, **extra)


RULES = [
    rule("attack.scorn", "attack", "warn", ["scoundrel"]),
    rule("model.attack", "attack", "warn", ["villain"]),
    rule("loaded_language.term", "loaded_language", "warn", ["death tax"]),
    rule("tone.sigh", "tone", "info", ["sigh"]),  # info: never counts
    rule("accessibility.click", "accessibility", "warn", ["click here"]),  # advisory: never counts
    minimal_rule(id="pre_election.vote", category="pre_election", severity="block",
                 match={"phrases": ["vote for"]}, when={"election_period": True},
                 examples={"flag": [{"text": "[[vote for]] me", "election_period": True}], "pass": ["vote"]}),
]


def flag(text, categories, spans, split="tune", **extra):
    return dict(text=text, label="flag", categories=categories, split=split, platform="x",
                spans=[{"match": m, "category": c} for m, c in spans], **extra)


def clean(text, split="tune"):
    return dict(text=text, label="clean", categories=[], spans=[], split=split, platform="facebook")


CATEGORIES = [
    flag("The mayor is a scoundrel and a villain.", ["attack"], [("a scoundrel", "attack")]),
    flag("Their death tax plan is useless 🙄", ["loaded_language", "attack"],
         [("death tax", "loaded_language"), ("useless", "attack")]),
    flag("Sigh. Bins are late again.", ["tone"], [("Sigh.", "tone")]),
    flag("Please vote for the independent candidate.", ["pre_election"],
         [("vote for the independent candidate", "pre_election")], election_period=True),
    clean("Click here to renew your library card."),
    clean("No villain in this story of new bins."),
    flag(f"{HIDDEN} bins change on Tuesday.", ["tone"], [(HIDDEN, "tone")], split="check"),
    clean(f"{HIDDEN} a scoundrel fixed the road.", split="check"),
]
DEV = [
    {"text": "You scoundrel.", "label": "political"},
    {"text": "Vote early, vote often.", "label": "political"},
    {"text": "The library opens at nine.", "label": "neutral"},
]
TOXIC_TEXT = "😀😀 what a scoundrel, a total villain, and stupid, sigh"
TOXIC = [{"id": "t1", "text": TOXIC_TEXT, "spans": [
    {"start": s, "end": s + len(m), "match": m, "category": "attack"}
    for m in ("scoundrel", "villain", "stupid", "sigh") for s in [TOXIC_TEXT.index(m)]]}]
SEMEVAL = [{"id": "s1", "text": "A DEATH TAX BY A SCOUNDREL", "spans": [
    {"start": 2, "end": 11, "match": "DEATH TAX", "technique": "Loaded Language", "category": "loaded_language"},
    {"start": 17, "end": 26, "match": "SCOUNDREL", "technique": "Name calling/Labeling", "category": "attack"},
    {"start": 0, "end": 26, "match": "A DEATH TAX BY A SCOUNDREL", "technique": "Repetition", "category": None}]}]
POLICE = [{"id": "p1", "text": "Road closed on the A1."}, {"id": "p2", "text": "Catch that scoundrel."},
          {"id": "p3", "text": "Missing person found safe."}]
SARCASM = [{"text": "Oh great, a scoundrel.", "sarcastic": True},
           {"text": "Lovely weather today.", "sarcastic": False}]
WNC = [{"biased": "critics call it a death tax .", "neutral": "critics call it an inheritance tax ."},
       {"biased": "he is a famous death tax critic .", "neutral": "he is a death tax critic ."}]


def write_jsonl(path: Path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


@pytest.fixture
def shared(tmp_path):
    corpus = tmp_path / "shared" / "corpus"
    write_jsonl(corpus / "dev.jsonl", DEV)
    write_jsonl(corpus / "categories.jsonl", CATEGORIES)
    write_jsonl(corpus / "external" / "police_uk.jsonl", POLICE)
    write_jsonl(corpus / "external" / "toxic_spans_train.jsonl", TOXIC)
    write_jsonl(corpus / "external" / "semeval2021_task6_dev.jsonl", SEMEVAL)
    write_jsonl(corpus / "external" / "isarcasm_train.jsonl", SARCASM)
    write_jsonl(corpus / "external" / "wnc_sample_pairs.jsonl", WNC)
    return tmp_path / "shared"


@pytest.fixture
def rules_path(tmp_path):
    path = tmp_path / "rules.json"
    path.write_text(book_json(*RULES), encoding="utf-8")
    return path


@pytest.fixture
def results(shared, rules_path):
    return {r.key: r for r in run(Checker(load_rulebook(rules_path)), str(shared))}


def figures(res, name):
    """(hit, n) per view of one figure."""
    return tuple(res.tally.get(name, v) for v in ("rules", "model", "both"))


def test_overlap_is_any_shared_character():
    class F:
        def __init__(self, start, end):
            self.start, self.end = start, end

    assert overlaps(F(2, 5), 4, 9) and overlaps(F(2, 5), 0, 3) and overlaps(F(0, 10), 3, 4)
    assert not overlaps(F(2, 5), 5, 9) and not overlaps(F(2, 5), 0, 2)
    assert overlaps(F(3, 3), 3, 4) and not overlaps(F(3, 3), 4, 6)  # an empty finding is its first character


def test_edited_spans_are_code_points_of_the_changed_tokens():
    before, after = "the 🙄 acclaimed author wrote it .", "the 🙄 author wrote it ."
    in_before, in_after = edited_spans(before, after)
    assert [before[a:b] for a, b in in_before] == ["acclaimed"] and in_after == []
    in_before, in_after = edited_spans("a death tax", "an inheritance tax")
    assert in_before == [(0, 7)] and in_after == [(0, 14)]


def test_recall_false_positives_and_categories_per_view(results):
    tune = results["categories.tune"]
    assert tune.posts == 6
    assert figures(tune, "recall") == ((3, 4), (1, 4), (3, 4))  # the tone post has only an info finding
    assert figures(tune, "false-positive rate") == ((0, 2), (1, 2), (1, 2))  # advisory never counts
    assert figures(tune, "recall attack") == ((1, 2), (1, 2), (1, 2))
    assert figures(tune, "recall loaded_language") == ((1, 1), (0, 1), (1, 1))
    assert figures(tune, "recall tone") == ((0, 1), (0, 1), (0, 1))
    assert figures(tune, "recall pre_election") == ((1, 1), (0, 1), (1, 1))  # needs election_period passed
    dev = results["dev"]
    assert figures(dev, "recall") == ((1, 2), (0, 2), (1, 2))
    assert figures(dev, "false-positive rate") == ((0, 1), (0, 1), (0, 1))


def test_category_precision_counts_the_named_categories_a_reviewer_gave(tmp_path, rules_path):
    """Of the categories named on each flag post (each view: its own findings), those in the
    post's labels; a clean post names nothing that counts here, and a sigh (info) none."""
    rows = [flag("A scoundrel and his death tax.", ["attack"], []),  # attack right, loaded wrong
            flag("A villain, sigh.", ["attack", "tone"], []),  # model's attack right; the sigh is info
            flag("Nothing to see.", ["tone"], []),  # nothing named
            clean("A scoundrel fixed it.")]
    path = tmp_path / "cats.jsonl"
    write_jsonl(path, rows)
    [res] = run_file(Checker(load_rulebook(rules_path)), str(path), "cats")
    assert figures(res, "category precision") == ((1, 2), (1, 1), (2, 3))


def test_eval_refuses_a_category_the_officer_is_not_shown(rules_path, monkeypatch):
    """Category figures count findings; every category counted must have a card in
    CheckResult.shown(), or the figures describe a screen the officer never sees."""
    from server.engine.checker import CheckResult
    from server.evaluate import _check

    checker = Checker(load_rulebook(rules_path))
    assert {f.category for f in _check(checker, "A scoundrel and his death tax.")["both"]} == {
        "attack", "loaded_language"}
    monkeypatch.setattr(CheckResult, "shown", lambda self: [f for f in self.findings if f.category != "attack"])
    with pytest.raises(RuntimeError, match="not on a card the officer is shown"):
        _check(checker, "A scoundrel and his death tax.")


def test_span_precision_and_recall(results):
    tune = results["categories.tune"]
    # counted findings on flag posts: scoundrel, death tax, vote for (all on a span) and villain (model, off it)
    assert figures(tune, "span precision") == ((3, 3), (0, 1), (3, 4))
    # five reviewer spans; "useless" and "Sigh." are missed
    assert figures(tune, "span recall") == ((3, 5), (0, 5), (3, 5))
    check = results["categories.check"]
    assert figures(check, "recall") == ((0, 1), (0, 1), (0, 1))
    assert figures(check, "false-positive rate") == ((1, 1), (0, 1), (1, 1))
    assert check.misses == []  # texts of the check split are never kept


def test_external_sets(results):
    police = results["police"]
    assert figures(police, "flag rate") == ((1, 3), (0, 3), (1, 3))
    assert police.rule_hits["all"] == {"attack.scorn": 1}
    toxic = results["toxic"]  # offsets after two emoji: code points
    assert figures(toxic, "attack spans: any finding") == ((1, 4), (1, 4), (2, 4))
    assert figures(toxic, "attack spans: same category") == ((1, 4), (1, 4), (2, 4))
    # "sigh" has only an info finding: an underline the officer sees, counted apart
    assert figures(toxic, "attack spans: any underline, hints too") == ((2, 4), (1, 4), (3, 4))
    semeval = results["semeval_dev"]  # the null-category span is ignored
    assert figures(semeval, "loaded_language spans: any finding") == ((1, 1), (0, 1), (1, 1))
    assert figures(semeval, "attack spans: same category") == ((1, 1), (0, 1), (1, 1))
    assert "semeval_train" not in results  # absent files are skipped
    sarcasm = results["isarcasm"]
    assert figures(sarcasm, "flag rate, sarcastic") == ((1, 1), (0, 1), (1, 1))
    assert figures(sarcasm, "flag rate, not sarcastic") == ((0, 1), (0, 1), (0, 1))
    wnc = results["wnc"]
    # pair 1: "a death" edited, the finding is on it; pair 2: "famous" edited, the finding is elsewhere
    assert figures(wnc, "biased: loaded_language on edited words") == ((1, 2), (0, 2), (1, 2))
    assert figures(wnc, "neutral: loaded_language on edited words") == ((0, 1), (0, 1), (0, 1))
    assert figures(wnc, "neutral: any loaded_language finding") == ((1, 2), (0, 2), (1, 2))


def eval_cli(capsys, *args):
    if "--project-corpus" not in args:  # the fixture corpora only, not the repository's probe set
        args = (*args, "--project-corpus", "/nonexistent")
    code = main(["eval", *args])
    out, err = capsys.readouterr()
    return code, out + err


def test_cli_prints_every_corpus_and_writes_json(shared, rules_path, tmp_path, capsys):
    out_json = tmp_path / "figures.json"
    code, out = eval_cli(capsys, "--shared", str(shared), "--rules", str(rules_path), "--json", str(out_json))
    assert code == 0
    for title in ("dev.jsonl: 2 political / 1 neutral", "categories.jsonl tune: 4 flag / 2 clean",
                  "categories.jsonl check: 1 flag / 1 clean", "police_uk.jsonl: 3 posts",
                  "toxic_spans_train.jsonl", "semeval2021_task6_dev.jsonl", "isarcasm_train.jsonl",
                  "wnc_sample_pairs.jsonl"):
        assert title in out
    tune_line, check_line = [x.split()[2:] for x in out.splitlines() if x.strip().startswith("span precision")]
    assert tune_line == ["1.000", "3/3", "0.000", "0/1", "0.750", "3/4"]  # rules, model, both
    assert check_line == ["-", "-", "-"]  # no finding on a flag post: no precision to give
    assert "attack.scorn 1" in out  # police's rules behind the flags
    assert "Sigh. Bins" not in out  # misses only on request
    data = json.loads(out_json.read_text(encoding="utf-8"))
    assert set(data["corpora"]) == {"dev", "categories.tune", "categories.check", "police", "toxic",
                                    "semeval_dev", "isarcasm", "wnc"}
    tune = data["corpora"]["categories.tune"]["figures"]
    assert tune["span recall"]["both"] == {"hit": 3, "n": 5, "rate": 0.6}
    assert tune["span precision"]["model"] == {"hit": 0, "n": 1, "rate": 0.0}
    assert data["corpora"]["dev"]["figures"]["recall"]["model"]["rate"] == 0.0
    assert data["corpora"]["categories.check"]["rule_hits"] == {}
    assert data["rulebook"]["version"] == "t1"


def test_check_split_texts_are_never_printed(shared, rules_path, tmp_path, capsys):
    out_json = tmp_path / "figures.json"
    code, out = eval_cli(capsys, "--shared", str(shared), "--rules", str(rules_path), "--per-rule",
                         "--misses", "tune", "--misses", "dev", "--json", str(out_json))
    assert code == 0
    assert "Sigh. Bins are late again." in out  # a tune miss, listed with what was missed
    assert "missed tone of tone" in out and "'Sigh.'" in out
    assert "No villain in this story" in out  # a tune false flag, with the rule behind it
    assert "Vote early, vote often." in out  # a dev miss
    assert HIDDEN not in out
    assert HIDDEN not in out_json.read_text(encoding="utf-8")
    code, out = eval_cli(capsys, "--shared", str(shared), "--rules", str(rules_path), "--corpus", "check",
                         "--misses", "tune", "--view", "rules")
    assert code == 0 and "categories.jsonl check" in out and HIDDEN not in out
    with pytest.raises(SystemExit) as exc:
        main(["eval", "--shared", str(shared), "--rules", str(rules_path), "--misses", "check"])
    assert exc.value.code == 2
    assert HIDDEN not in "".join(capsys.readouterr())


def test_per_rule_columns(shared, rules_path, capsys):
    assert main(["stats", "--shared", str(shared), "--rules", str(rules_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "dev political" in lines[0] and "tune clean" in lines[0] and "police" in lines[0]
    assert "check" not in lines[0]
    row = next(x for x in lines if x.startswith("attack.scorn "))
    assert row.split()[1:] == ["1", "0", "1", "0", "1"]  # dev political, dev neutral, tune flag, tune clean, police
    row = next(x for x in lines if x.startswith("model.attack "))
    assert row.split()[1:] == ["0", "0", "1", "1", "0"]


def test_one_corpus_and_missing_corpus(shared, rules_path, capsys):
    code, out = eval_cli(capsys, "--shared", str(shared), "--rules", str(rules_path), "--corpus", "police")
    assert code == 0 and "police_uk.jsonl" in out and "dev.jsonl" not in out
    with pytest.raises(SystemExit) as exc:
        main(["eval", "--shared", str(shared), "--rules", str(rules_path), "--corpus", "semeval_train"])
    assert exc.value.code == 2
    assert "no corpus at" in capsys.readouterr().err


def test_impartial_command_end_to_end(shared, rules_path, tmp_path):
    """The installed `impartial` entry point on a corpus file given by path."""
    exe = Path(sys.executable).with_name("impartial")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "server.cli"]
    proc = subprocess.run(cmd + ["eval", str(shared / "corpus" / "categories.jsonl"), "--rules", str(rules_path)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
    assert proc.returncode == 0, proc.stderr
    assert "categories.jsonl tune: 4 flag / 2 clean" in proc.stdout
    assert "categories.jsonl check: 1 flag / 1 clean" in proc.stdout
    assert HIDDEN not in proc.stdout + proc.stderr


@pytest.mark.parametrize("name, tune, check", [("probe", "100 flag / 100 clean", "100 flag / 100 clean"),
                                               ("blind", "194 flag / 138 clean", "195 flag / 139 clean"),
                                               ("traps", "105 flag / 273 clean", "105 flag / 274 clean"),
                                               ("fresh", "174 flag / 139 clean", "173 flag / 139 clean"),
                                               ("novel", "109 flag / 98 clean", "109 flag / 96 clean"),
                                               ("voices", "121 flag / 90 clean", "120 flag / 90 clean"),
                                               ("echo", "109 flag / 102 clean", "108 flag / 101 clean"),
                                               ("relay", "107 flag / 100 clean", "107 flag / 99 clean"),
                                               ("ninth", "104 flag / 99 clean", "104 flag / 99 clean"),
                                               ("tenth", "105 flag / 105 clean", "105 flag / 105 clean"),
                                               ("eleventh", "110 flag / 110 clean", "110 flag / 110 clean"),
                                               ("twelfth", "110 flag / 110 clean", "110 flag / 110 clean"),
                                               ("thirteenth", "110 flag / 110 clean", "110 flag / 110 clean"),
                                               ("fourteenth", "110 flag / 110 clean", "110 flag / 110 clean"),
                                               ("fifteenth", "110 flag / 110 clean", "110 flag / 110 clean"),
                                               ("sixteenth", "109 flag / 110 clean", "108 flag / 110 clean"),
                                               ("seventeenth", "110 flag / 109 clean", "109 flag / 109 clean"),
                                               ("eighteenth", "110 flag / 108 clean", "110 flag / 107 clean"),
                                               ("nineteenth", "110 flag / 107 clean", "109 flag / 106 clean"),
                                               ("twentieth", "110 flag / 106 clean", "109 flag / 105 clean"),
                                               ("twentyfirst", "108 flag / 104 clean", "108 flag / 103 clean"),
                                               ("twentysecond", "110 flag / 110 clean", "110 flag / 110 clean"),
                                               ("twentythird", "110 flag / 106 clean", "110 flag / 106 clean"),
                                               ("twentyfourth", "110 flag / 108 clean", "110 flag / 107 clean"),
                                               ("twentyfifth", "109 flag / 104 clean", "108 flag / 103 clean"),
                                               ("twentysixth", "108 flag / 108 clean", "108 flag / 108 clean"),
                                               ("twentyseventh", "103 flag / 101 clean", "104 flag / 102 clean"),
                                               ("twentyeighth", "99 flag / 100 clean", "99 flag / 100 clean"),
                                               ("twentyninth", "99 flag / 100 clean", "100 flag / 101 clean"),
                                               ("thirtieth", "94 flag / 89 clean", "95 flag / 90 clean"),
                                               ("thirtyfirst", "93 flag / 93 clean", "93 flag / 93 clean"),
                                               ("thirtysecond", "97 flag / 99 clean", "98 flag / 99 clean"),
                                               ("thirtythird", "90 flag / 91 clean", "90 flag / 92 clean"),
                                               ("thirtyfourth", "97 flag / 93 clean", "97 flag / 93 clean"),
                                               ("thirtyfifth", "92 flag / 80 clean", "92 flag / 80 clean"),
                                               ("thirtysixth", "95 flag / 91 clean", "95 flag / 92 clean"),
                                               ("thirtyseventh", "96 flag / 92 clean", "96 flag / 93 clean"),
                                               ("thirtyeighth", "97 flag / 90 clean", "97 flag / 90 clean"),
                                               ("thirtyninth", "96 flag / 91 clean", "96 flag / 91 clean"),
                                               ("fortieth", "95 flag / 90 clean", "95 flag / 90 clean"),
                                               ("fortyfirst", "95 flag / 95 clean", "95 flag / 95 clean"),
                                               ("fortysecond", "115 flag / 94 clean", "115 flag / 94 clean"),
                                               ("fortythird", "100 flag / 99 clean", "99 flag / 98 clean"),
                                               ("fortyfourth", "99 flag / 98 clean", "99 flag / 97 clean"),
                                               ("fortyfifth", "99 political / 99 neutral", "99 political / 98 neutral"),
                                               ("crowd", "130 political / 130 neutral", "130 political / 130 neutral"),
                                               ("congress", "130 political / 130 neutral", "130 political / 130 neutral"),
                                               ("capitol", "261 political / 312 neutral", "261 political / 313 neutral"),
                                               ("rotunda", "150 political / 149 neutral", "150 political / 150 neutral")])
def test_the_projects_own_corpora_are_measured_and_their_check_halves_never_printed(
        shared, rules_path, capsys, name, tune, check):
    code, out = eval_cli(capsys, "--shared", str(shared), "--rules", str(rules_path), "--corpus", name,
                         "--project-corpus", str(ROOT / "corpus"), "--misses", "tune")
    assert code == 0
    assert f"{name}.jsonl tune: {tune}" in out and f"{name}.jsonl check: {check}" in out
    rows = [json.loads(line) for line in (ROOT / "corpus" / f"{name}.jsonl").open(encoding="utf-8")]
    assert not any(row["text"][:60] in out for row in rows if row["split"] == "check")


def test_a_finding_about_the_whole_post_counts_for_the_flag_not_as_an_underline():
    """Span figures judge what is underlined: a finding with scope "post" (listed, not
    underlined) still flags the post and names its category, but is no underline."""
    from server.engine import parse_rulebook
    from server.evaluate import _check

    whole = minimal_rule(id="tone.hard-read", category="tone", severity="warn",
                         match={"metric": {"name": "reading_age", "max": 0}},
                         examples={"flag": ["[[The pool is closed on Monday.]]"], "pass": ["🙂"]})
    checker = Checker(parse_rulebook(book_json(whole, RULES[0])))
    views = _check(checker, "The pool is closed on Monday, scoundrel.")
    assert [f.scope for f in views["both"]] == ["post", "span"]
    assert [f.rule_id for f in views["underlined"]["both"]] == ["attack.scorn"]
    assert [f.rule_id for f in views["hinted"]["both"]] == ["attack.scorn"]


def test_a_conditional_model_card_counts_in_the_model_view_only_beside_the_models_own_flag():
    """A head under its threshold but over its beside_flag bar names its category only beside
    another flag: a rule's flag lets it count for both layers together, not for the model
    alone (which would not have flagged the post), and it is never an underline."""
    from server.engine import parse_rulebook
    from server.evaluate import _check

    vote = rule("party_political.vote", "party_political", "warn", ["vote labour"])
    head = minimal_rule(id="model.attack", category="attack", match={"model": {"head": "attack", "threshold": 0.999999,
                                                                              "beside_flag": 0.0}},
                        examples={"flag": ["not run here"], "pass": ["Bins on Tuesday."]})
    checker = Checker(parse_rulebook(book_json(vote, head)))
    views = _check(checker, "Vote Labour on Thursday. Cllr Jones clearly hasn't bothered to read the report.")
    assert {f.category for f in views["both"]} == {"party_political", "attack"}
    assert [f.rule_id for f in views["rules"]] == ["party_political.vote"]
    assert views["model"] == []  # the model alone flags nothing here
    assert [f.rule_id for f in views["underlined"]["both"]] == ["party_political.vote"]
    assert _check(checker, "Cllr Jones clearly hasn't bothered to read the report.")["both"] == []


def test_a_with_breach_finding_beside_the_models_flag_alone_is_not_the_rules_flag():
    """A with_breach rule runs beside the model's flag too (it names what the flagged post also
    reads as); the rules alone would not have flagged that post, so their view leaves it out."""
    from server.engine import parse_rulebook
    from server.evaluate import _check

    head = minimal_rule(id="model.attack", category="attack", match={"model": {"head": "attack"}},
                        examples={"flag": ["not run here"], "pass": ["Bins on Tuesday."]})
    voice = minimal_rule(id="tone.voice", category="tone", severity="warn",
                         match={"post": {"with_breach": True, "match": {"patterns": ["\\b[A-Z]{3,}\\b"]}}},
                         examples={"flag": ["x"], "pass": ["y"]})
    scorn = rule("attack.scorn", "attack", "warn", ["scoundrel"])
    checker = Checker(parse_rulebook(book_json(head, voice, scorn)))
    text = "Cllr Jones clearly hasn't bothered to read the report. NOT good enough."
    views = _check(checker, text)
    assert "tone.voice" in [f.rule_id for f in views["both"]]
    assert views["rules"] == []
    hint = minimal_rule(id="tone.hint", category="tone", severity="info", match={"phrases": ["report"]},
                        examples={"flag": ["the [[report]]"], "pass": ["y"]})
    hinted = _check(Checker(parse_rulebook(book_json(head, voice, scorn, hint))), text)["hinted"]["rules"]
    assert [f.rule_id for f in hinted] == ["tone.hint"]  # an advisory hint is no rule's flag either
    beside_a_rule = _check(checker, text + " A scoundrel.")
    assert sorted(f.rule_id for f in beside_a_rule["rules"]) == ["attack.scorn", "tone.voice"]
