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
