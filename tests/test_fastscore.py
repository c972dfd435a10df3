"""The learned scorer's C path (server/learned/_fastscore.c) against its numpy path, the
reference that tests/test_learned.py pins to scikit-learn."""

import copy
import json
import os

import pytest

from helpers import ROOT
from server.learned import scorer
from server.learned.scorer import Analysis, load_model
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


@pytest.mark.skipif(not scorer.FAST, reason="IMPARTIAL_PURE_PYTHON is set")
@pytest.mark.parametrize("model", models()[:2], ids=lambda m: f"{len(m._idf)}terms")
def test_explanations_are_identical_with_either_path(model):
    twin = numpy_twin(model)
    for text in EDGE + corpus_texts()[::7]:
        fast, ref = Analysis(model, text), Analysis(twin, text)
        assert fast._vec is scorer._UNSET  # computed only when an explanation asks
        for h in model.heads:
            assert fast.unit_contributions(h) == ref.unit_contributions(h)
            assert fast.explain(h) == ref.explain(h)


@pytest.mark.skipif(not scorer.FAST, reason="IMPARTIAL_PURE_PYTHON is set")
def test_silencing_keeps_the_numpy_path():
    model = models()[-3]  # shambolic, plan
    text = "A shambolic plan"
    quiet = model.analyse(text, frozenset({"shambolic"}))
    assert isinstance(quiet._vec, tuple)
    assert quiet.scores == numpy_twin(model).analyse(text, frozenset({"shambolic"})).scores


@pytest.mark.skipif(not scorer.FAST, reason="IMPARTIAL_PURE_PYTHON is set")
def test_bad_input_raises():
    fast = models()[0]._fast
    with pytest.raises(IndexError):
        fast.score((10**9).to_bytes(8, "little", signed=True))
    with pytest.raises(ValueError):
        fast.score(b"1234567")
