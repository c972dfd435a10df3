"""Our single-pass readability equals textstat's own functions."""

import json
from pathlib import Path

import pytest
import textstat

from server.engine.readability import prose, readability

# 150 realistic drafts, committed (the first 150 of ../shared/bench/posts.jsonl),
# so the comparison never shrinks to the five samples when shared/ is absent.
POSTS = Path(__file__).resolve().parent / "data" / "readability_posts.jsonl"
SAMPLES = [
    "The pool is closed on Monday. It opens again on Tuesday at 7am.",
    "Comprehensive intergenerational sustainability considerations necessitate multidisciplinary methodologies.",
    "We're sure it's fine. Don't worry! Isn't it?",
    "Hi. Yes. OK. This sentence, however, has rather more words than the others do.",
    "Café naïve résumé co-operate e-mail 3.5 million people.",
]


def _texts():
    posts = [json.loads(line)["text"] for line in POSTS.read_text().splitlines()]
    assert len(posts) == 150, f"{POSTS} should hold 150 posts"
    return SAMPLES + posts


@pytest.mark.parametrize("text", _texts())
def test_matches_textstat(text):
    body = prose(text)
    ours = readability(text)
    if ours["grade"] is None:
        assert textstat.lexicon_count(body) == 0 or textstat.syllable_count(body) == 0
        return
    assert ours["flesch_reading_ease"] == round(textstat.flesch_reading_ease(body), 1)
    assert ours["grade"] == round(textstat.flesch_kincaid_grade(body), 1)


TRICKY = ["- - word", "A -- B", "Hi !! there", "'tis 'twas dogs' bones", "— “quoted” — words —",
          "x ... y", "don't won't they've", "¿Qué? ¡Sí!", "a_b c", "he² said", "١٢٣ numbers", "🙂 🙂 ok"]


@pytest.mark.parametrize("text", TRICKY + SAMPLES)
def test_fast_word_split_and_short_sentence_test_equal_the_plain_ones(text):
    """_words strips ASCII posts by bytes.translate and runs of punctuation at once; _short
    skips stripping a sentence that plainly has three words: both as the plain regexes say."""
    import re

    from server.engine import readability as r

    plain = re.sub(r"[^\w\s\']", "", re.sub(r"\'(?![tsd]|ve|ll|re)", "", text)).split()
    assert r._words(text) == plain
    assert r._short(text) == (len(plain) <= 2)


@pytest.mark.parametrize("text", ["Plain words only.", "Em dash — and “quotes”", "Call @council", "#Bins today",
                                  "See https://x.gov", "WWW.EXAMPLE.ORG", "Sun ☀ today", "Ⓜ and ⓜ", "🇬🇧 flag"])
def test_prose_skips_the_substitution_only_where_nothing_can_match(text):
    from server.engine.readability import _NOT_PROSE

    assert prose(text) == _NOT_PROSE.sub(" ", text)
