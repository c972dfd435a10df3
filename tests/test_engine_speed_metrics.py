"""metrics.sentence_words skips a post none of whose pieces between stops comes near the limit
(counted in C where built: _fastscan.piece_tokens equals the split it replaces), and metrics.emoji
one with no more emoji characters than the maximum: their answers equal the references'."""

import random

import pytest

from server.engine import fastscan, metrics
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


@pytest.mark.parametrize("limit", [0, 1, 2, 2.5, 3, 5, 8, 25])
def test_sentence_words_equals_the_reference(limit):
    rnd = random.Random(limit)
    texts = ["", "a", "a b c d e f g h", "a b c. d e f g h i j k!", "x " * 30 + ".", "x " * 30, ". " * 40,
             "one two three ... four five six seven eight nine ten eleven twelve"]
    texts += ["".join(rnd.choice(CHARS) for _ in range(rnd.randint(0, 60))) for _ in range(3000)]
    for text in texts:
        post = Post(text)
        assert metrics.sentence_words({"max": limit}, post) == _reference({"max": limit}, post), text


# Every kind of whitespace str.split() splits at (and "\x85", "\u2028" that it does), the stops,
# and characters of each str kind.
SPACES = [" ", "\t", "\v", "\f", "\r", "\x1c", "\x1f", "\x85", "\xa0", "\u2003", "\u2028", "\u3000"]
PIECE_CHARS = SPACES + list(".!?\n") + ["a", "bb", "é", "Σ", "🙂", "\u200b", "…", "。", "_"]


@pytest.mark.skipif(not fastscan.FAST, reason="IMPARTIAL_PURE_PYTHON is set")
def test_the_c_piece_count_equals_the_split():
    rnd = random.Random(7)
    texts = ["", ".", "a", " a ", "a.b", "a b\nc d e", "x " * 40, "one two three. four five!"]
    texts += ["".join(rnd.choice(PIECE_CHARS) for _ in range(rnd.randint(0, 50))) for _ in range(5000)]
    for text in texts:
        assert fastscan._fastscan.piece_tokens(text) == metrics._piece_tokens_py(text), repr(text)
    with pytest.raises(TypeError):
        fastscan._fastscan.piece_tokens(b"bytes")


EMOJI = ["🙂", "🇬", "🇧", "👍🏽", "©️", "®", "‼", "❤", "\u200d", "\ufe0f", "🏳️‍🌈", "👨‍👩‍👧", "a", " ", "é", "#"]


@pytest.mark.parametrize("limit", [0, 1, 2, 3, 5])
def test_emoji_equals_the_scan(limit):
    rnd = random.Random(limit)
    texts = ["", "plain", "é only", "🙂🙂🙂", "🙂 🙂 🙂 🙂", "🇬🇧🇬🇧", "👨‍👩‍👧👨‍👩‍👧👨‍👩‍👧👨‍👩‍👧"]
    texts += ["".join(rnd.choice(EMOJI) for _ in range(rnd.randint(0, 14))) for _ in range(3000)]
    for text in texts:
        found = list(metrics._EMOJI.finditer(text))
        want = metrics._tail(found, limit) if len(found) > limit else []
        assert metrics.emoji({"max": limit}, Post(text)) == want, text
