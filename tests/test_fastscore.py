"""The learned scorer's C path (server/learned/_fastscore.c) against its numpy path, the
reference that tests/test_learned.py pins to scikit-learn."""

import array
import copy
import json
import os
import sys
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import ROOT
from server.learned import scorer
from server.learned.scorer import Analysis, _fastscore, load_model
from test_learned import MODEL, hand_model

TOL = 1e-12
EDGE = [
    "", "   \n\t ", "?!... --- !!! ()[]", "x", "🙄", "Naïve café façade — İstanbul ﬁnal “quoted” 👩‍👩‍👧",
    "Голосуйте за нас! 投票 ٠١٢ 07700 900123",
    ("The shambolic plan again. Vote them out! Bins on Tuesday; the council is clueless. " * 125)[:10_000],
    "vote " * 5000,  # counts past the numpy path's table of 1 + ln(count)
    "shambolic" * 300,  # one long chunk
]


def corpus_texts():
    texts = []
    for path in sorted((ROOT / "tests/data").glob("*.jsonl")) + [ROOT / "corpus/probe.jsonl"]:
        if path.exists():
            texts += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return texts


def bench_texts():
    """The shared bench posts (real posts, the p99's), when ../shared is there."""
    path = ROOT.parent / "shared/bench/posts.jsonl"
    return [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def numpy_twin(model):
    """The same model scoring through the numpy path (shares its arrays and caches)."""
    twin = copy.copy(model)
    twin._fast = None
    return twin


def models():
    out = [
        hand_model({"shambolic": 4.0, "vote": 1.0, "them out": 2.5, "bins": -1.0, "\x00len<=5": -0.5},
                   {"bol": 0.5, "ic!": 0.8, " vo": 0.3}, heads=("political", "attack"), length_bins=(5, 10)),
        hand_model({"shambolic": 2.0, "plan": 1.0}),  # no char terms
        hand_model({}, {"?!": 1.0, "🙄 ": 2.0}),  # no word terms
        hand_model({}),  # no terms at all
    ]
    if MODEL.exists():
        out.insert(0, load_model(MODEL))
    return out


def test_the_extension_is_built_and_used():
    # Not a skip: `make setup` must build the C path, and CI proves it does.
    from server.learned import _fastscore  # noqa: F401

    pure = os.environ.get("IMPARTIAL_PURE_PYTHON", "") not in ("", "0")
    assert scorer.FAST is not pure
    assert all((m._fast is not None) is scorer.FAST for m in models())


@pytest.mark.skipif(not scorer.FAST, reason="IMPARTIAL_PURE_PYTHON is set")
@pytest.mark.parametrize("model", models(), ids=lambda m: f"{len(m._idf)}terms")
def test_c_and_numpy_paths_give_the_same_probabilities(model):
    twin = numpy_twin(model)
    worst = 0.0
    for text in EDGE + corpus_texts():
        fast, ref = Analysis(model, text), Analysis(twin, text)
        assert list(fast.scores) == model.heads
        worst = max(worst, max(abs(fast.scores[h] - ref.scores[h]) for h in model.heads))
    assert worst < TOL


def close(fast: list, ref: list) -> bool:
    """Contributions of the C path against the reference: the C path credits each term as the
    reference does, from the arithmetic that scored the post (numpy's to a few ulps)."""
    return len(fast) == len(ref) and all(abs(a - b) <= TOL * max(1.0, abs(b)) for a, b in zip(fast, ref))


def same_spans(fast: list, ref: list) -> bool:
    return [(s, e) for s, e, _ in fast] == [(s, e) for s, e, _ in ref] and close(
        [w for _, _, w in fast], [w for _, _, w in ref])


UNDERLINES = [{}, {"k": 3, "min_share": 0.2, "phrase": 0, "choose": False}, {"k": 2, "min_share": 0.0, "phrase": 1}]


@pytest.mark.skipif(not scorer.FAST, reason="IMPARTIAL_PURE_PYTHON is set")
@pytest.mark.parametrize("model", models()[:2], ids=lambda m: f"{len(m._idf)}terms")
def test_explanations_are_identical_with_either_path(model):
    twin = numpy_twin(model)
    for text in EDGE + corpus_texts()[::5] + bench_texts():
        fast, ref = Analysis(model, text), Analysis(twin, text)
        for h in model.heads:
            assert close(fast.unit_contributions(h), ref.unit_contributions(h))
            for underline in UNDERLINES:
                assert same_spans(fast.explain(h, **underline), ref.explain(h, **underline))
        assert fast._vec is scorer._UNSET  # the C path never reruns the numpy arithmetic


@pytest.mark.skipif(not scorer.FAST, reason="IMPARTIAL_PURE_PYTHON is set")
@pytest.mark.parametrize("model", models(), ids=lambda m: f"{len(m._idf)}terms")
def test_units_and_clause_joins_are_the_references(model):
    twin = numpy_twin(model)
    for text in EDGE + corpus_texts():
        fast, ref = Analysis(model, text), Analysis(twin, text)
        assert fast._units() == ref.layout()[0]
        assert fast._gaps() == ref._clause_joins()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=" \t\n\r\x0b\x1c\x85\xa0\u2028\u3000-/|.,;:!?()[]\"'ab0\u00e9\U0001f644", max_size=40))
@pytest.mark.skipif(not scorer.FAST, reason="IMPARTIAL_PURE_PYTHON is set")
def test_clause_breaks_are_the_patterns(text):
    assert _fastscore.breaks(text) == [m.span() for m in scorer._CLAUSE_BREAK.finditer(text)]


@pytest.mark.skipif(not scorer.FAST, reason="IMPARTIAL_PURE_PYTHON is set")
def test_silencing_keeps_the_numpy_path():
    model = models()[-3]  # shambolic, plan
    text = "A shambolic plan"
    quiet = model.analyse(text, frozenset({"shambolic"}))
    assert isinstance(quiet._vec, tuple) and not quiet._in_c
    twin = numpy_twin(model).analyse(text, frozenset({"shambolic"}))
    assert quiet.scores == twin.scores
    assert quiet.explain("political") == twin.explain("political")


def placed(model, text="The shambolic plan again. Vote them out! Bins on Tuesday; 🙄 ?!"):
    a = Analysis(model, text)
    return a, a._place()


@pytest.mark.skipif(not scorer.FAST, reason="IMPARTIAL_PURE_PYTHON is set")
def test_bad_input_raises():
    fast = models()[0]._fast
    with pytest.raises(IndexError):
        fast.score((10**9).to_bytes(8, "little", signed=True))
    with pytest.raises(ValueError):
        fast.score(b"1234567")
    a, (_, _, layout, tail) = placed(models()[0])
    for args in [(a._raw[:-8], layout, tail, 0),  # a term short
                 (a._raw, layout[:-8], tail, 0),  # a record cut
                 (a._raw, layout, tail + b"\0" * 8, 0),  # a credit too many
                 (a._raw, layout, tail, len(models()[0].heads))]:  # no such head
        with pytest.raises(ValueError):
            fast.contributions(*args)
    bad_unit = array.array("q", [1, 1, 0, 1]).tobytes() + array.array("i", [5, -1]).tobytes()
    with pytest.raises(ValueError):
        fast.contributions(a._raw[:8], bad_unit, b"", 0)  # credited to a unit the chunk lacks
    with pytest.raises(ValueError):
        _fastscore.place(a.folded + " more", layout)  # a chunk more than the layout
    with pytest.raises(TypeError):
        _fastscore.breaks(b"bytes")


@pytest.mark.skipif(not scorer.FAST, reason="IMPARTIAL_PURE_PYTHON is set")
def test_the_c_explanation_calls_keep_reference_counts_and_memory_level():
    model = models()[0]
    a, (_, _, layout, tail) = placed(model)
    inputs = (a._raw, layout, tail, a.folded)
    before = [sys.getrefcount(x) for x in inputs]
    flags = [sys.getrefcount(True), sys.getrefcount(False)]

    def calls():
        for _ in range(200):
            contrib, order = model._fast.contributions(a._raw, layout, tail, 0)
            units, joins = _fastscore.place(a.folded, layout)
            _fastscore.breaks(a.folded)
        return contrib, units, joins

    calls()
    tracemalloc.start()
    calls()
    first = tracemalloc.get_traced_memory()[0]
    contrib, units, joins = calls()
    grown = tracemalloc.get_traced_memory()[0] - first
    tracemalloc.stop()
    assert grown < 4096  # a leak of a float or a tuple per call would be 200 of them
    assert [sys.getrefcount(x) for x in inputs] == before
    # each result held by its list alone (getrefcount's argument is the other reference)
    assert sys.getrefcount(contrib) == 2 and {sys.getrefcount(contrib[i]) for i in range(len(contrib))} == {2}
    assert {sys.getrefcount(units[i]) for i in range(len(units))} == {2}
    del joins
    assert abs(sys.getrefcount(True) - flags[0]) < 50 and abs(sys.getrefcount(False) - flags[1]) < 50


@given(st.text(max_size=40))
@settings(max_examples=300, deadline=None)
def test_the_fold_run_by_run_is_the_tables(text):
    """features.fold folds ASCII runs by bytes and the rest by the table: as the table alone."""
    from server.learned import features as F

    assert F.fold(text) == text.translate(F._TABLE)
