"""Spans cover whole grapheme clusters: an underline never splits what a reader sees as one
character (a ZWJ emoji sequence, an emoji and its skin tone, a letter and its accent)."""

import pytest

from server.engine import Checker, parse_rulebook
from server.engine.graphemes import whole_clusters
from server.engine.findings import Finding

from helpers import book_json, minimal_rule, utf16_slice


def _checker(*phrases):
    rule = minimal_rule(match={"phrases": list(phrases), "inflect": False},
                        examples={"flag": [f"[[{phrases[0]}]]"], "pass": ["plain"]})
    return Checker(parse_rulebook(book_json(rule)))


def _span(text, start, end):
    f = Finding("r", "tone", "warn", start, end, "m", {})
    whole_clusters(text, [f])
    return text[f.start:f.end]


@pytest.mark.parametrize("text, phrase, expected", [
    ("well then 💁\u200d♀️ ok", "💁", "💁\u200d♀️"),                   # ZWJ sequence
    ("sure 🤦🏽\u200d♂️", "🤦", "🤦🏽\u200d♂️"),                          # skin tone, then ZWJ
    ("nice 👏🏿 work", "👏", "👏🏿"),                                      # skin tone alone
    ("the cafe\u0301 is shut", "cafe", "cafe\u0301"),                   # combining accent
    ("plain words only", "words", "words"),
])
def test_a_phrase_ending_inside_a_cluster_takes_the_whole_cluster(text, phrase, expected):
    result = _checker(phrase).check(text)
    assert [text[f.start:f.end] for f in result.findings] == [expected]


def test_a_span_starting_inside_a_cluster_moves_back_to_its_start():
    text = "ok 👩\u200d👩\u200d👧 family day"
    inner = text.index("\u200d👩")  # a span that begins at the joiner, inside the family emoji
    assert _span(text, inner, len(text)) == text[3:]
    assert _span(text, 0, 2) == "ok"


def test_over_http_the_underline_lands_on_the_whole_emoji(client):
    text = "The useless Tories again 🤦🏽\u200d♂️ what a shower"
    body = client.post("/v1/check", json={"text": text}).get_json()
    emoji = [f for f in body["findings"] if f["rule_id"] == "tone.mocking-emoji"]
    assert [f["match"] for f in emoji] == ["🤦🏽\u200d♂️"]
    for f in body["findings"]:
        assert utf16_slice(text, f["start"], f["end"]) == f["match"]


def test_a_span_ending_between_cr_and_lf_takes_the_lf():
    assert _span("No.\r\nThen", 0, 4) == "No.\r\n"


def test_many_edges_in_a_long_post_find_the_boundaries_once(monkeypatch):
    """Each edge by a continuing code point is a bisect into boundaries found once per check:
    a long post of emoji-side findings must not rescan the post per edge."""
    import server.engine.graphemes as g

    calls = []
    real = g._boundaries
    monkeypatch.setattr(g, "_boundaries", lambda text: calls.append(1) or real(text))
    text = "🤦\u200d♂️ x " * 2000
    found = [Finding("r", "tone", "warn", i, i + 1, "m", {}) for i in range(0, len(text), len("🤦\u200d♂️ x "))]
    whole_clusters(text, found)
    assert len(calls) == 1
    assert all(text[f.start:f.end] == "🤦\u200d♂️" for f in found)
