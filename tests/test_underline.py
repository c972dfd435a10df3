"""The underline chooser (server/learned/underline.py): which of the weightiest words a model
finding starts its underline from, how it is stored in the artifact and what it costs.

Posts here are written for the test; the fitting test reads ../shared and skips without it.
"""


import pytest

from helpers import ROOT
from server.learned import load_model
from server.learned import underline as U
from server.learned import underline_fit as UF
from test_learned import hand_model, spans_text

MODEL = ROOT / "models/impartial-model.json.gz"
SHARED = ROOT.parent / "shared"


def chooser_spec(candidates=4, phrase=2, **weights):
    """A chooser with the given feature weights (the rest 0) and one word list, 'negative'."""
    names = list(U.FEATURES) + ["lex:negative"]
    return {"features": names, "weights": [weights.get(n.replace("lex:", "lex_"), 0.0) for n in names],
            "intercept": 0.0, "candidates": candidates, "phrase": phrase,
            "lexicons": {"negative": ["shambolic", "disgrace"]}}


def model_with(spec, words):
    return hand_model(words, explain={"k": 1, "min_share": 0.0, "phrase": 1, "chooser": spec})


TEXT = "Residents of Oakford, the shambolic council has failed again"
WORDS = {"oakford": 3.0, "shambolic": 2.0, "failed": 1.0}


def test_without_a_chooser_the_weightiest_word_anchors_the_underline():
    m = hand_model(WORDS, explain={"k": 1, "min_share": 0.0, "phrase": 1})
    assert spans_text(TEXT, m.explain(TEXT, "political")) == ["of Oakford"]


def test_the_chooser_prefers_a_listed_word_among_the_weightiest():
    m = model_with(chooser_spec(lex_negative=2.0), WORDS)
    assert spans_text(TEXT, m.explain(TEXT, "political")) == ["the shambolic council"]
    # choose=False: the weightiest word, as before (for comparisons)
    assert spans_text(TEXT, m.analyse(TEXT).explain("political", choose=False)) == ["of Oakford"]


def test_the_chooser_only_picks_among_its_candidates_with_a_positive_weight():
    # 'shambolic' is listed but only the third weightiest: with 2 candidates it cannot be picked
    m = model_with(chooser_spec(candidates=2, lex_negative=5.0), {"oakford": 3.0, "failed": 2.5, "shambolic": 1.0})
    assert spans_text(TEXT, m.explain(TEXT, "political")) == ["of Oakford"]
    # a listed word that weighs against the head is never a candidate
    m = model_with(chooser_spec(lex_negative=5.0), {"oakford": 3.0, "shambolic": -1.0})
    assert spans_text(TEXT, m.explain(TEXT, "political")) == ["of Oakford"]


def test_listed_words_further_down_are_candidates_too():
    # 'shambolic' is the third weightiest: beyond 2 candidates, but a listed word, so with one
    # listed candidate the chooser may take it; 'failed' (unlisted) never comes in that way
    spec = chooser_spec(candidates=2, lex_negative=5.0)
    words = {"oakford": 3.0, "failed": 2.5, "shambolic": 1.0}
    assert spans_text(TEXT, model_with(dict(spec, listed_candidates=1), words).explain(TEXT, "political")) == [
        "the shambolic council"]
    ch = U.Chooser(dict(spec, listed_candidates=1))
    contrib, names = [3.0, 2.5, 0.5, 1.0, -1.0], ["oakford", "failed", "the", "shambolic", "disgrace"]
    assert ch.ranked(contrib, names.__getitem__) == [0, 1, 3]  # a listed word against the head: never
    assert ch.ranked(contrib) == [0, 1]  # without the words, only the weightiest
    assert U.Chooser(spec).ranked(contrib, names.__getitem__) == [0, 1]  # an older artifact: none


def test_ties_go_to_the_weightier_word():
    m = model_with(chooser_spec(), WORDS)  # every weight 0: every candidate scores the same
    assert spans_text(TEXT, m.explain(TEXT, "political")) == ["of Oakford"]


def test_features_say_what_they_mean():
    ch = U.Chooser(chooser_spec())
    contrib = [0.0, 2.0, 1.0, 0.5]
    joined = [True, True, False].__getitem__
    f = dict(zip(ch.names, ch.features("shambolic", "Shambolic", contrib, joined, 2, 1, 2.0)))
    assert f["share"] == 0.5 and f["top"] == 0.0 and f["stop"] == 0.0 and f["lex:negative"] == 1.0
    assert f["capital"] == 1.0  # capitalised inside its clause
    assert f["window"] == 1.5  # 2.0 + 1.0 of its window (units 0-2; unit 3 is past a clause break)
    assert f["neighbour"] == 1.0
    g = dict(zip(ch.names, ch.features("the", "the", contrib, joined, 3, 2, 2.0)))
    assert g["stop"] == 1.0 and g["capital"] == 0.0 and g["window"] == 0.25 and g["neighbour"] == 0.0


def test_window_and_widen_stop_at_clause_breaks():
    joined = [True, False, True, True].__getitem__
    assert U.window(5, joined, 2, 2) == (2, 4)
    assert U.window(5, joined, 1, 2) == (0, 1)
    assert U.widen({0}, 5, joined, 3) == {0, 1}


def test_grow_keeps_k_runs():
    assert U.grow([1.0, 0.5, 0.0, 0.9], [0, 3, 1], 1) == {0, 1}
    assert U.grow([1.0, 0.5, 0.0, 0.9], [0, 3, 1], 2) == {0, 1, 3}


def test_a_bad_chooser_is_a_bad_model_file():
    spec = chooser_spec()
    spec["weights"] = spec["weights"][:-1]
    with pytest.raises(ValueError, match="explain.chooser"):
        model_with(spec, WORDS)
    spec = chooser_spec()
    spec["features"] = ["share"] + spec["features"][2:] + ["top"]
    with pytest.raises(ValueError, match="explain.chooser"):
        model_with(spec, WORDS)


def test_the_committed_artifact_has_a_chooser_in_its_digest_and_card():
    m = load_model(MODEL)
    assert m.chooser is not None and "chooser" in m.explain_settings
    assert "lexicons" not in m.meta["explain"]["chooser"]  # reports get the weights, not the word lists
    card = (ROOT / "models/MODEL_CARD.md").read_text()
    assert "underline chooser" in card and "the weightiest word as anchor instead" in card


def test_the_chooser_costs_little(monkeypatch):
    """Its cost is bounded by what it reads, not by the post: it scores at most `candidates`
    + `listed` words, each once, however long the post. (No wall-clock assertion: a busy
    machine only adds time; `make bench` reports the check's speed.)"""
    m = load_model(MODEL)
    ch = m.chooser
    base = ("Another shambolic week for the council: the leader's so-called plan for Oakford bins is a "
            "disgrace, and residents deserve better than this failing administration. Vote them out in May! ")
    scored = []
    real = type(ch).score
    monkeypatch.setattr(type(ch), "score", lambda self, *args: scored.append(args[4]) or real(self, *args))
    reads = []
    for text in (base, base * 20):
        a = m.analyse(text)
        head = max(a.scores, key=a.scores.get)
        scored.clear()
        assert a.anchor(head, ch) is not None
        assert len(scored) == len(set(scored)) <= ch.candidates + ch.listed  # each rank scored once
        reads.append(len(scored))
    assert reads[1] <= ch.candidates + ch.listed and reads[0] >= 1


@pytest.mark.skipif(not (SHARED / "corpus/external/lexicons").exists(), reason="needs ../shared")
def test_fitting_learns_from_labels_and_is_deterministic():
    lex = UF.load_lexicons(SHARED, ("negative",))
    assert "disgrace" in lex["negative"] and all(w == w.lower() for w in lex["negative"][:50])
    # toy posts: the reviewer's span is always on the listed word, never on the weightiest
    words = ["oakford", "council", "shambolic", "plan"]
    shapes = ["Oakford", "council", "shambolic", "plan"]
    spans = [(0, 7), (8, 15), (16, 25), (26, 30)]
    view = (words, shapes, [3.0, 0.0, 1.0, 0.0], [False, False, False], spans)
    exs = [(view, [(16, 25)])] * 20 + [((words, shapes, [3.0, 0.0, 0.5, 0.0], [False] * 3, spans), [(16, 25)])] * 5
    spec = UF.fit(exs, lex, seed=13, phrase=0)
    assert spec == UF.fit(exs, lex, seed=13, phrase=0)
    ch = U.Chooser(spec)
    assert ch.pick(view[2], words.__getitem__, shapes.__getitem__, view[3].__getitem__) == 2
    assert UF.span_counts(ch, [("p", True, view, [(16, 25)])]) == [1, 1, 1, 1]
    assert UF.span_counts(UF.blank({}, 1, 0), [("p", True, view, [(16, 25)])]) == [0, 1, 0, 1]
