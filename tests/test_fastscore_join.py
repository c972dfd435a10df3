"""_fastscore.join_chunks, the C path of a post's terms from its chunks, against the Python
reference scorer._joined_terms: the same bytes, in the same order (explanations credit terms
by their position in them), and the same number of words."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.learned import scorer
from server.learned.scorer import _fastscore, load_model
from test_fastscore import EDGE, bench_texts, corpus_texts
from test_learned import MODEL, hand_model

pytestmark = pytest.mark.skipif(_fastscore is None, reason="the C extension is not built")


@pytest.fixture(scope="module")
def model():
    return load_model(MODEL)


def both(model, text):
    entries = model.analyse(text)._chunks
    return _fastscore.join_chunks(entries), scorer._joined_terms(entries)


def test_the_same_terms_on_real_and_edge_texts(model):
    for text in EDGE + corpus_texts() + bench_texts():
        fast, ref = both(model, text)
        assert fast == ref, text


WORDS = st.sampled_from(["vote", "labour", "the", "council", "bins", "tuesday", "#votelabour", "@mp",
                         "don't", "well-known", "🙄", "naïve", "—", "!!", "07700", "x"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(WORDS, st.sampled_from([" ", "  ", "\n", "", ", ", ". "])), max_size=40))
def test_the_same_terms_on_random_texts(words):
    model = load_model(MODEL)
    text = "".join(w + sep for w, sep in words)
    fast, ref = both(model, text)
    assert fast == ref, text


def test_a_model_with_bigrams_and_length_bands_scores_the_same_either_way(monkeypatch):
    m = hand_model({"vote": 1.0, "vote labour": 2.0, "labour": 0.5, "\x00len<=5": -0.5}, length_bins=(5, 10))
    for text in ["vote labour", "vote  labour now", "vote, labour", "— vote labour —", ""]:
        fast = m.analyse(text)
        monkeypatch.setattr(scorer, "_join_chunks", scorer._joined_terms)
        m._last = None
        ref = m.analyse(text)
        monkeypatch.undo()
        m._last = None
        assert fast._raw == ref._raw and fast.scores == ref.scores, text


def test_anything_but_chunk_entries_is_refused():
    with pytest.raises(TypeError):
        _fastscore.join_chunks([object()])
    with pytest.raises(TypeError):
        _fastscore.join_chunks(("not", "a", "list"))
    assert _fastscore.join_chunks([]) == (b"", 0)
