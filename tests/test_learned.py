"""The learned layer: features, the scikit-learn-free scorer, explanations, silencing,
the committed artifact and deterministic training.

Every example post here is written for the test; the corpus is only read at run time
(and those tests skip when ../shared is absent).
"""

import gzip
import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import ROOT
from server.learned import features as F
from server.learned import load_model
from server.learned.scorer import FORMAT, FORMAT_VERSION, Model, canonical_digest, scoring_part

MODEL = ROOT / "models/impartial-model.json.gz"
CARD = ROOT / "models/MODEL_CARD.md"
SHARED = ROOT.parent / "shared"


# ------------------------------------------------------------------ a hand-made model
def hand_model(words: dict, chars: dict | None = None, intercept: float = -2.0, heads=("political",),
               length_bins=(), explain=None, links=None) -> Model:
    """A model with the given term → weight (same weight for every head, idf 1)."""
    chars = chars or {}
    blocks = {}
    for name, terms in (("words", words), ("chars", chars)):
        names = sorted(terms)
        blocks[name] = {"terms": names, "idf": [1.0] * len(names),
                        "weights": {h: [float(terms[t]) for t in names] for h in heads}}
    doc = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "version": "test",
        "features": {"version": F.FEATURES_VERSION, "chars": {"ngrams": [3, 4, 5]},
                     "words": {"length_bins": list(length_bins)}}, "heads": list(heads),
        "thresholds": {h: 0.5 for h in heads}, "intercepts": {h: intercept for h in heads},
        "blocks": blocks,
    }
    if explain is not None:
        doc["explain"] = explain
    if links is not None:
        doc["features"]["links"] = links
    doc["digest"] = canonical_digest(scoring_part(doc))
    return Model(doc)


SCORN = hand_model({"shambolic": 4.0, "vote": 1.0, "them out": 2.5, "bins": -1.0, "the": 0.01},
                   {"bol": 0.5, "ic!": 0.8})


def spans_text(text, spans):
    return [text[s:e] for s, e, _ in spans]


# ------------------------------------------------------------------ features
def test_fold_accents_quotes_digits_and_map():
    text = "Café’s ﬁnal ÉLAN 07700 900123 🙄"
    folded, where = F.fold_with_map(text)
    assert folded == F.fold(text)
    assert folded.startswith("cafe's final elan 00000 000000")
    assert len(where) == len(folded) + 1
    # every folded character points back at the code point it came from
    for i, c in enumerate(folded):
        assert F.fold(text[where[i]]).find(c) >= 0


def test_fold_map_is_the_map_of_fold_with_map_or_none_when_in_place():
    for text in ["Plain ASCII, 07700 900123!", "Café naïve", "ﬁnal ﬂow", "👩‍👩‍👧 family", "İstanbul", "a\u200bb"]:
        where = F.fold_with_map(text)[1]
        got = F.fold_map(text)
        assert got == (None if where == list(range(len(text) + 1)) else where)
        assert F.fold_map(text, folded=True) == got  # fold(text) has run: the same without it


def test_mask_links_blanks_each_links_path_and_keeps_every_offset():
    folded = F.fold("Read https://www.gop.gov/2019/grassley-statement and www.x.gov/a/b, not 24/7 or and/or.")
    masked = F.mask_links(folded)
    assert len(masked) == len(folded)
    assert "https://www.gop.gov " in masked and "grassley" not in masked and "www.x.gov " in masked
    assert masked.endswith("not 00/0 or and/or.")  # no scheme or www.: not a link
    assert F.read_links(folded, "whole") == folded and F.mask_links("no links here") == "no links here"


def test_a_model_reads_links_as_its_artifact_says():
    words = {"grassley": 3.0, "statement": 0.5}
    a = "Our statement: https://www.senate.gov/news/grassley/on-the-bill"
    b = "Our statement: https://www.senate.gov/news/2019/on-the-bill"
    host = hand_model(words, links="host")
    assert host.score(a) == host.score(b)
    spans = host.analyse(a).explain("political")
    assert all(e <= a.index("/news") for _s, e, _w in spans)  # never inside the blanked path
    whole = hand_model(words)  # an artifact without the setting: models before 2026.12.05.3
    assert whole.score(a)["political"] > whole.score(b)["political"]
    with pytest.raises(ValueError, match="links"):
        hand_model(words, links="path")


def test_chunk_grams_agree_with_the_training_analyzer():
    for chunk in ["a", "ab", "shambolic!", "🙄🙄", "naïve", "#VoteNo", "x-y'z"]:
        grams = F.chunk_grams(chunk)
        assert [g for g, _, _ in grams] == F.padded_grams(chunk)
        info = F.ChunkInfo(chunk)
        assert len(info.gram_units) == len(grams)
        assert all(0 <= u < len(info.units) for u in info.gram_units)
        for g, s, e in grams:
            assert 0 <= s < e <= len(chunk)
            assert g.strip() == chunk[s:e]
    text = "Vote  them\tout!! now"
    assert F.char_terms(text) == [g for c in F.CHUNK.findall(F.fold(text)) for g in F.padded_grams(c)]


# ------------------------------------------------------------------ explanations
@pytest.mark.parametrize("prefix", [
    "", "🙄🙄 ", "Café naïve façade — ", "👩‍👩‍👧 ÉTÉ “quoted” ", "İstanbul ﬁnal 😀 ",
])
def test_explanation_spans_land_on_the_original_words(prefix):
    text = prefix + "The shambolic plan again. Vote them out"
    spans = SCORN.explain(text, "political", k=3)
    assert spans_text(text, spans)[:2] == ["shambolic", "Vote them out"]
    assert all(w > 0 for _, _, w in spans)
    assert [w for _, _, w in spans] == sorted((w for _, _, w in spans), reverse=True)


def test_char_gram_weight_goes_to_the_word_it_is_in():
    text = "So SHAMBOLIC! 🙄"
    spans = SCORN.explain(text, "political", k=1)
    assert spans_text(text, spans) == ["SHAMBOLIC"]
    info = F.ChunkInfo("t.co/abc!!", (3, 4))
    assert info.units == [(0, 1), (2, 4), (5, 8)]
    grams = dict(zip([g for g, _, _ in F.chunk_grams("t.co/abc!!", (3, 4))], info.gram_units))
    assert grams[" t."] == 0 and grams["co/"] == 1 and grams["/ab"] == 2 and grams["c!!"] == 2


def test_explanation_merges_adjacent_words_and_honours_k():
    m = hand_model({"utterly": 1.0, "shambolic": 1.0, "plan": 1.0, "council": 0.2, "bins": 0.5})
    text = "An utterly shambolic plan by the council on bins"
    spans = m.explain(text, "political", k=2)
    assert spans_text(text, spans) == ["utterly shambolic plan", "bins"]
    assert spans[0][2] > spans[1][2]
    assert m.explain(text, "political", k=0) == []
    assert m.explain("Bin collections are on time.", "political") == []  # nothing positive


def test_phrase_widens_the_top_word_within_its_clause():
    m = hand_model({"shambolic": 2.0, "council": -0.1})
    text = "Late again, a shambolic council plan, says the report"
    a = m.analyse(text)
    assert spans_text(text, a.explain("political", k=1, min_share=0.0, phrase=2)) == ["a shambolic council plan"]
    assert spans_text(text, a.explain("political", k=1, min_share=0.0, phrase=0)) == ["shambolic"]


def test_the_artifact_sets_how_findings_are_underlined():
    text = "Late again, a shambolic council plan, says the report"
    m = hand_model({"shambolic": 2.0, "late": 0.5}, explain={"k": 1, "min_share": 0.0, "phrase": 1})
    assert spans_text(text, m.explain(text, "political")) == ["a shambolic council"]
    assert len(hand_model({"shambolic": 2.0, "late": 0.5}).explain(text, "political")) == 2  # default: k=3
    assert m.digest != hand_model({"shambolic": 2.0, "late": 0.5}).digest  # the setting is in the digest


def test_emoji_or_punctuation_chunk_can_be_a_span():
    m = hand_model({}, {"?!": 0.0, " ?!": 1.0, "?! ": 1.0, " 🙄 ": 2.0})
    text = "Really ?! 🙄"
    assert spans_text(text, m.explain(text, "political", k=2)) == ["?! 🙄"]  # adjacent units merge


# ------------------------------------------------------------------ silencing
def test_silenced_terms_lower_the_score():
    text = "The shambolic plan again. Vote them out!"
    base = SCORN.score(text)["political"]
    one = SCORN.score(text, silenced=frozenset({"Shambolic"}))["political"]
    pair = SCORN.score(text, silenced=frozenset({"them out"}))["political"]
    both = SCORN.score(text, silenced=frozenset({"shambolic", "them out"}))["political"]
    assert both < one < base and both < pair < base
    assert "shambolic" not in spans_text(text, SCORN.explain(text, "political", silenced=frozenset({"shambolic"})))
    # a silenced term that is not in the post changes nothing
    assert SCORN.score(text, silenced=frozenset({"rubbish"}))["political"] == base


def test_silenced_sets_share_one_analysis_unless_the_post_holds_a_term():
    # Rules silencing different terms must not each score the post again (the model rules of
    # one rulebook often carry different silences); the shared analysis is the unsilenced one.
    text = "The shambolic plan again. Vote them out!"
    base = SCORN.analyse(text)
    assert SCORN.analyse(text, frozenset({"rubbish"})) is base
    assert SCORN.analyse(text, frozenset({"the first time", "rubbish"})) is base
    quiet = SCORN.analyse(text, frozenset({"shambolic", "rubbish"}))
    assert quiet is not base and quiet.scores["political"] < base.scores["political"]
    assert SCORN.analyse(text, frozenset({"shambolic", "rubbish"})) is quiet  # kept for the next rule
    assert SCORN.analyse(text) is base


def test_silenced_sets_zeroing_the_same_words_share_one_analysis():
    # Heads whose silenced sets differ only in terms the post does not hold zero the same
    # occurrences: one analysis serves them all, scored as a set of its own would score it.
    text = "The shambolic plan again. Vote them out!"
    a = SCORN.analyse(text, frozenset({"shambolic", "rubbish"}))
    b = SCORN.analyse(text, frozenset({"shambolic", "dreadful"}))
    assert a is b and a is not SCORN.analyse(text)
    other = SCORN.analyse(text, frozenset({"shambolic", "them out"}))
    assert other is not a and other.scores["political"] < a.scores["political"]
    SCORN._last = None  # a fresh post: the same set analysed alone scores the same
    assert SCORN.analyse(text, frozenset({"shambolic", "dreadful"})).scores == a.scores


def test_a_set_first_met_after_the_posts_first_test_still_silences():
    # Whether a post holds any silenced word is asked once per post against every set's words
    # so far; a set first met later (another rulebook's rule) must be asked about again.
    m = hand_model({"shambolic": 2.0, "dreadful": 2.0, "plan": 0.5})
    text = "A dreadful plan"
    base = m.analyse(text)
    assert m.analyse(text, frozenset({"shambolic"})) is base  # the post holds none of its words
    later = m.analyse(text, frozenset({"dreadful"}))
    assert later is not base and later.scores["political"] < base.scores["political"]
    assert m.analyse("A shambolic plan", frozenset({"shambolic"})).scores["political"] \
        < m.analyse("A shambolic plan").scores["political"]


@pytest.mark.parametrize("text", ["A dreadful plan", "the plan, again", "Vote-them out!", "", "🙂 #Dreadful @plan"])
def test_holds_any_reads_the_words_with_or_without_their_set(text):
    # holds_any tests the words chunk by chunk until the set of them is built (most posts
    # never need it): either way the answer is the plain set test's.
    m = hand_model({"dreadful": 2.0, "plan": 0.5})
    for words in (frozenset({"dreadful"}), frozenset({"plan", "nothing"}), frozenset({"#dreadful"}), frozenset()):
        a = m.analyse(text)
        m._last = None
        want = not words.isdisjoint(set(a.words))
        assert a.holds_any(words) is want
        a._holds = None
        a._present_words()  # built: the set is read
        assert a.holds_any(words) is want


def test_silencing_removes_exactly_that_terms_contribution():
    m = hand_model({"shambolic": 2.0, "plan": 1.0}, intercept=0.0)
    text = "shambolic plan"
    import math
    logit = lambda p: math.log(p / (1 - p))  # noqa: E731
    full = logit(m.score(text)["political"])
    quiet = logit(m.score(text, silenced=frozenset({"shambolic"}))["political"])
    # both unigrams have tf-idf 1/sqrt(2); silencing leaves plan's 1/sqrt(2) * 1.0
    assert full == pytest.approx(3 / math.sqrt(2))
    assert quiet == pytest.approx(1 / math.sqrt(2))


def test_flagged_and_category_respect_thresholds_and_context():
    heads = ("political", "attack", "pre_election")
    m = hand_model({"shambolic": 4.0}, heads=heads, intercept=-1.0)
    m.head_context = {"pre_election": {"election_period": True}}
    text = "A shambolic plan"
    assert set(m.flagged(text)) == {"political", "attack"}
    assert set(m.flagged(text, election_period=True)) == set(heads)
    assert m.category(m.score(text)) == "attack"
    assert m.flagged("Bins on Tuesday") == {}


def test_length_band_is_a_term_of_the_word_block():
    assert F.length_term(3) == "\x00len<=5" and F.length_term(41) == "\x00len>40"
    assert F.word_terms_folded("well done", ()) == ["well", "done", "well done"]
    assert F.word_terms_folded("well done")[-1] == "\x00len<=5"
    m = hand_model({"done": 2.0, "\x00len<=5": -3.0}, length_bins=(5, 10))
    plain = hand_model({"done": 2.0, "\x00len<=5": -3.0})
    assert m.score("Well done")["political"] < plain.score("Well done")["political"]
    long_text = "Well done to everyone who helped clear the park on a very cold Saturday morning"
    assert m.score(long_text)["political"] == plain.score(long_text)["political"]
    assert spans_text("Well done", m.explain("Well done", "political")) == ["done"]


# ------------------------------------------------------------------ loading
def test_bad_files_raise_value_error(tmp_path):
    bad = tmp_path / "m.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="not \\(gzip'd\\) JSON"):
        load_model(bad)
    with pytest.raises(ValueError, match="cannot read"):
        load_model(tmp_path / "missing.json")
    doc = json.loads(json.dumps({"format": FORMAT}))
    bad.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="bad model file"):
        load_model(bad)


@pytest.mark.skipif(not MODEL.exists(), reason="no committed artifact")
def test_committed_artifact_loads_and_has_a_card(tmp_path):
    m = load_model(MODEL)
    assert load_model(MODEL) is m  # cached per process
    assert m.heads[0] == "political" and len(m.heads) >= 2
    assert m.version and m.digest.startswith("sha256:")
    for h in m.heads:
        assert 0.0 < m.threshold(h) < 1.0
    scores = m.score("Bin collections move to Tuesday next week.")
    assert set(scores) == set(m.heads) and all(0 <= p <= 1 for p in scores.values())
    assert MODEL.stat().st_size < 5_000_000
    card = CARD.read_text()
    assert m.digest in card and "categories check" in card
    # tampering is caught by the digest
    doc = json.loads(gzip.decompress(MODEL.read_bytes()))
    doc["intercepts"]["political"] += 1.0
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="digest mismatch"):
        load_model(bad)


@pytest.mark.skipif(not MODEL.exists(), reason="no committed artifact")
def test_committed_artifact_flags_plain_cases():
    m = load_model(MODEL)
    political = "Only a Labour government will fix this mess the Tories made. Vote Labour on Thursday!"
    neutral = "Our libraries are open from 9am to 5pm over the bank holiday weekend."
    assert m.score(political)["political"] >= m.threshold("political")
    assert m.score(neutral)["political"] < m.threshold("political")
    spans = spans_text(political, m.explain(political, "political"))
    assert spans and all(s.strip() for s in spans)


# ------------------------------------------------------------------ training (needs scikit-learn)
def synthetic_rows(seed=0, n=240):
    """Posts written for the test: party slogans and jibes against service posts."""
    from server.learned.train import Rows

    rnd = random.Random(seed)
    parties = ["Labour", "the Tories", "the Greens", "Reform", "the Lib Dems"]
    jibes = ["shambolic", "clueless", "out of touch", "a disgrace", "hopeless"]
    services = ["Bin collections", "The library", "Our leisure centre", "The recycling centre", "Parking permits"]
    changes = ["move to Tuesday", "open late on Friday", "are closed for repairs", "restart on 3 June",
               "are free this weekend"]
    tails = ["Details on our website.", "Thanks for your patience 🙂", "Call 0300 123 4567.", "", "Café open too."]
    rows = Rows()
    for i in range(n):
        kind = i % 3
        if kind == 0:
            text = f"{rnd.choice(parties)} are {rnd.choice(jibes)}. Vote them out! {rnd.choice(tails)}"
            rows.add(text, "tune", 1, {"attack"}, f"s{i}")
        elif kind == 1:
            text = f"Vote {rnd.choice(parties)} on Thursday for a fairer deal. {rnd.choice(tails)}"
            rows.add(text, "tune", 1, {"party_political"}, f"s{i}")
        else:
            text = f"{rnd.choice(services)} {rnd.choice(changes)}. {rnd.choice(tails)}"
            rows.add(text, rnd.choice(["tune", "dev", "police"]), 0, set(), f"s{i}")
    return rows


def small_train(seed=13, rows=None):
    from server.learned.train import train

    rows = rows or synthetic_rows()
    return train(Path("/nonexistent"), seed=seed, rows=rows, police_ids=["s2"], folds=3, keep=200,
                 min_positives=20)


def test_scorer_reproduces_sklearn_predict_proba():
    pytest.importorskip("sklearn")
    from server.learned.train import analyse_texts

    doc, fitted, rows, _oof, _ids = small_train()
    model = Model(json.loads(json.dumps(doc)))  # as written to disk
    assert model.heads == ["political", "party_political", "attack"]
    texts = list(synthetic_rows(seed=1, n=150).text)
    texts += ["", "🙄", "VOTE!!", "Naïve café façade", "Vote Labour", "  \n ", "x",
              "Vote Labour https://www.labour.org.uk/vote-labour-today and www.x.gov/vote"]
    if (SHARED / "corpus/categories.jsonl").exists():
        with open(SHARED / "corpus/categories.jsonl", encoding="utf-8") as f:
            texts += [json.loads(line)["text"] for line in f][:200]
    want = fitted.predict(analyse_texts(texts))
    worst = 0.0
    for i, t in enumerate(texts):
        got = model.score(t)
        for h in model.heads:
            worst = max(worst, abs(got[h] - float(want[h][i])))
    assert worst < 1e-9


def test_a_model_without_char_ngrams_reproduces_sklearn():
    pytest.importorskip("sklearn")
    from server.learned.train import analyse_texts, train

    doc, fitted, *_ = train(Path("/nonexistent"), seed=13, rows=synthetic_rows(), police_ids=["s2"], folds=3,
                            keep=200, min_positives=20, char_n=())
    model = Model(json.loads(json.dumps(doc)))
    assert doc["blocks"]["chars"]["terms"] == [] and doc["features"]["chars"]["ngrams"] == []
    texts = list(synthetic_rows(seed=2, n=60).text) + ["", "🙄", "Vote Labour"]
    want = fitted.predict(analyse_texts(texts, ()))
    assert max(abs(model.score(t)[h] - float(want[h][i])) for i, t in enumerate(texts) for h in model.heads) < 1e-9


def test_training_is_deterministic():
    pytest.importorskip("sklearn")
    a = small_train(seed=13)[0]
    b = small_train(seed=13)[0]
    assert a["digest"] == b["digest"]
    assert a["thresholds"] == b["thresholds"]


def test_threshold_meets_the_false_positive_target():
    np = pytest.importorskip("numpy")
    from server.learned.train import threshold_for

    neg = np.linspace(0.0, 0.99, 100)
    t = threshold_for(neg, 0.03)
    assert (neg >= t).sum() <= 3 and (neg >= t - 0.011).sum() > 3


def _threshold_rows(np, n=400, seed=3):
    """Out-of-fold scores for a head whose flag posts score higher than its clean ones, with noise."""
    from server.learned.train import Rows

    rnd = np.random.default_rng(seed)
    rows = Rows()
    scores = []
    for i in range(n):
        flag = i % 2 == 0
        rows.add(f"post {i}", "tune", flag, {"attack"} if flag else set(), f"p{i}")
        scores.append(float(np.clip(rnd.normal(0.7 if flag else 0.35, 0.15), 0, 1)))
    return rows, {"political": np.zeros(n), "attack": np.asarray(scores)}


def test_greedy_thresholds_keep_every_clean_group_within_its_budget():
    np = pytest.importorskip("numpy")
    from server.learned.train import greedy_thresholds

    rows, oof = _threshold_rows(np)
    th = greedy_thresholds(rows, oof, ["political", "attack"], {"tune": 0.02})
    clean = ~np.asarray(rows.pos, dtype=bool)
    assert (oof["attack"][clean] >= th["attack"]).sum() <= 0.02 * clean.sum()
    assert th["political"] == 1.0  # a head that catches nothing stays shut
    assert (oof["attack"][~clean] >= th["attack"]).mean() > 0.3


def test_bagged_thresholds_are_the_median_of_runs_on_subsets_and_reproducible():
    np = pytest.importorskip("numpy")
    from server.learned.train import bagged_thresholds, greedy_thresholds

    rows, oof = _threshold_rows(np)
    heads, budget = ["political", "attack"], {"tune": 0.02}
    a = bagged_thresholds(rows, oof, heads, budget, bags=15, seed=5)
    assert a == bagged_thresholds(rows, oof, heads, budget, bags=15, seed=5)
    # each run sees about two thirds of the posts: the median sits among the runs' own answers
    names, index = np.unique(np.asarray(rows.parent), return_inverse=True)
    rng = np.random.default_rng(5)
    runs = [greedy_thresholds(rows, oof, heads, budget, (rng.random(len(names)) < 0.632)[index])["attack"]
            for _ in range(15)]
    assert a["attack"] == float(np.median(runs))
    assert min(runs) <= a["attack"] <= max(runs)


# ------------------------------------------------------------------ any text at all
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=120) | st.lists(
    st.sampled_from(["Vote", "shambolic", "them out", "🙄", "ﬁ", "İ", "é", "\u200d", " ", "?!", "0", "’", "#Tag", "\n"]),
    max_size=25).map("".join)


@given(TEXT, st.sampled_from([frozenset(), frozenset({"shambolic"}), frozenset({"them out", "ﬁ"})]))
@settings(max_examples=300, deadline=None)
def test_any_text_scores_and_explains_within_bounds(text, silenced):
    scores = SCORN.score(text, silenced)
    assert 0.0 < scores["political"] < 1.0
    prev = None
    for s, e, w in SCORN.explain(text, "political", k=3, silenced=silenced):
        assert 0 <= s < e <= len(text) and w > 0
        if prev is not None:
            assert w <= prev
        prev = w
    # every silenced term here weighs positive, so silencing can only lower the score
    assert SCORN.score(text, silenced)["political"] <= SCORN.score(text)["political"] + 1e-12


def test_project_posts_keep_apart_two_writers_who_number_alike():
    # traps and tenth both number from t0001: an id keys a post's reviewer spans and its
    # cross-validation group, so training on both once mixed their spans and crashed
    from server.learned import train as T

    raw = [json.loads(line)["id"] for name in ("traps.jsonl", "tenth.jsonl")
           for line in (T.PROJECT_CORPUS / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(raw) > len(set(raw))
    posts = T.project_posts(("traps.jsonl", "tenth.jsonl"))
    ids = [r["id"] for r in posts]
    assert len(ids) == len(set(ids)) and all(i.split(":")[0] in ("traps", "tenth") for i in ids)
    assert all(r.get("split") != "check" for r in posts)


def test_real_posts_labelled_as_devs_train_as_dev_does():
    # crowd_train.jsonl is labelled political / neutral with no categories, as dev is: a political
    # post trains the political head only (its categories are unknown), and both sit in dev's
    # group, whose false-positive budget the thresholds keep
    from server.learned.train import PROJECT_TRAINING, Rows, add_labelled, head_targets

    rows = Rows()
    add_labelled(rows, {"id": "c1", "text": "Obamacare is a train wreck.", "label": "political"}, parts=False)
    add_labelled(rows, {"id": "c2", "text": "Town hall in Elko on Monday.", "label": "neutral"}, parts=False)
    add_labelled(rows, {"id": "w1", "text": "Vote Labour!", "label": "flag", "categories": ["party_political"]},
                 parts=False)
    assert rows.group == ["dev", "dev", "tune"] and rows.pos == [1, 0, 1]
    assert rows.cats == [None, set(), {"party_political"}]
    targets = head_targets(rows, ["political", "party_political"])
    assert targets["political"][0].tolist() == [True, True, True]
    assert targets["party_political"][0].tolist() == [False, True, True]
    assert PROJECT_TRAINING[-2:] == ("crowd_train.jsonl", "congress_train.jsonl")


def test_real_posts_of_a_weights_only_corpus_choose_no_threshold():
    # congress_train.jsonl (train.WEIGHTS_ONLY): another source than dev's, so its posts and their
    # sentences sit in group "real", trained in every fold (ALWAYS_TRAINED), under no budget
    from server.learned import train as T

    rows = T.Rows()
    town_hall = "Thanks to all who came to the town hall. The slides are online for everyone now."
    T.add_labelled(rows, {"id": "k1", "text": town_hall, "label": "neutral", "weights_only": True}, parts=True)
    T.add_labelled(rows, {"id": "k2", "text": "Democrats want to raise your taxes.", "label": "political",
                          "weights_only": True}, parts=True)
    assert set(rows.group) == {"real"} and len(rows) > 2 and "real" in T.ALWAYS_TRAINED
    assert rows.cats[:1] == [set()] and None in rows.cats
    assert "real" not in T.DEFAULTS["budget"]
    posts = T.project_posts(("crowd_train.jsonl", "congress_train.jsonl"))
    assert {r["id"].split(":")[0] for r in posts if r["weights_only"]} == {"congress_train"}
    assert T.WEIGHTS_ONLY == ("congress_train.jsonl",) and "congress_train.jsonl" in T.PROJECT_TRAINING
