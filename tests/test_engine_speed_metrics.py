"""metrics.sentence_words skips a post none of whose pieces between stops comes near the limit:
its answers equal the sentence-by-sentence reference's."""

import random

import pytest

from server.engine import metrics
from server.engine.post import Post


def _reference(spec, post):
    limit, text = spec["max"], post.text
    out = []
    for s in metrics._SENTENCE.finditer(text):
        tokens = s.group().split()
        words = sum(1 for tok in tokens if metrics._HAS_WORD(tok))
        if words > limit:
            start = s.start() + (len(s.group()) - len(s.group().lstrip()))
            end = s.start() + len(s.group().rstrip().rstrip(".!?"))
            out.append((start, end, {"value": words}))
    return out


CHARS = list("ab ...!?\n\t-—🙂é") + ["word ", "two words ", " . ", "! ", "\n\n"]


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 8, 25])
def test_sentence_words_equals_the_reference(limit):
    rnd = random.Random(limit)
    texts = ["", "a", "a b c d e f g h", "a b c. d e f g h i j k!", "x " * 30 + ".", "x " * 30, ". " * 40,
             "one two three ... four five six seven eight nine ten eleven twelve"]
    texts += ["".join(rnd.choice(CHARS) for _ in range(rnd.randint(0, 60))) for _ in range(3000)]
    for text in texts:
        post = Post(text)
        assert metrics.sentence_words({"max": limit}, post) == _reference({"max": limit}, post), text
