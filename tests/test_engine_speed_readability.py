"""readability.py's fast paths equal the plain ones: the per-token word and syllable counts,
the sentence count in C (_fastscan.sentence_count) and `re` for an ASCII post's URLs,
handles and hashtags. tests/test_readability.py holds the whole to textstat."""

import random
import re

import pytest

from server.engine import fastscan
from server.engine import readability as r

# The not-prose pattern as first written: the ASCII fast path must find what it finds.
_NOT_PROSE_PLAIN = re.compile(r"https?://\S+|www\.\S+|[@#]\w+", re.I | re.A)

needs_c = pytest.mark.skipif(not fastscan.FAST, reason="IMPARTIAL_PURE_PYTHON is set")

TRICKY = [
    "", " ", ".", "...", "a", "a.", "a b", "a b c", "a b c.", "a b. c d e!", "e.g. 3.5 million people. Yes!",
    "x ... y", "Hi !! there", "Really?! No... ok then you see", "'tis 'twas dogs' bones", "don't won't they've",
    "' ' ' a b", "- - word", "A -- B", "a_b c", "__ _ _x", "he² said so", "١٢٣ numbers here", "🙂 🙂 ok",
    "Café naïve résumé co-operate e-mail", "a\u0301b c\u0301 d\u0301", "ΟΔΟΣ ΣΑΣ. Σ", "İstanbul İ is", "ﬁne ﬂow ok",
    "tab\tsep\vv\ff\rr\x1cx\x1dy\x1ez\x1fw", "\u00a0nbsp\u2003em\u3000ideo words", "— “quoted” — words —",
    "¿Qué? ¡Sí! Vale.", "日本語 の テキスト。 です", "ⅫⅩ ① ½ words", "x\u200by\u200dz a b",
]
CHARS = list("ab1_ '’.!?,-\t\n\x1c\"") + ["é", "🙂", "\u0301", "²", "\u00a0", "ſ", "١", "Σ", "İ", "ﬁ", "…"]


def _texts():
    rnd = random.Random(11)
    return TRICKY + ["".join(rnd.choice(CHARS) for _ in range(rnd.randint(0, 40))) for _ in range(5000)]


@needs_c
def test_the_c_sentence_count_equals_the_regex_one():
    for text in _texts():
        assert fastscan._fastscan.sentence_count(text) == r._long_sentences_py(text), text
    with pytest.raises(TypeError):
        fastscan._fastscan.sentence_count(b"bytes")


def _plain_counts(body):
    """counts() as it was: every word stripped and lowered, textstat's sentences and short ones."""
    words = r._words(body)
    if not words:
        return 0, 0, 0
    found = r._SENTENCE.findall(body)
    sentences = max(1, len(found) - sum(1 for s in found if r._short(s)))
    return len(words), sentences, sum(r._syllable_count(w) for w in " ".join(words).lower().split())


def test_counts_by_token_equal_the_plain_counts():
    for text in _texts():
        body = r.prose(text)
        assert r.counts(body) == _plain_counts(body), text
        assert r.counts(body) == _plain_counts(body), text  # the second time from the token cache


def test_the_token_cache_stays_bounded(monkeypatch):
    monkeypatch.setattr(r, "_tokens", {})
    monkeypatch.setattr(r, "_TOKEN_CACHE_MAX", 10)
    body = " ".join(f"word{i}" for i in range(25)) + " " + "x" * (r._CACHED_WORD_MAX + 1)
    assert r.counts(body) == _plain_counts(body)
    assert len(r._tokens) <= 10


@pytest.mark.parametrize("text", ["See https://x.gov/a b", "HTTPS://X.GOV/A b", "hTtP://x y", "www.Example.org/x ok",
                                  "WWW.EXAMPLE.ORG", "@Council_1 and #Bins_2 today", "a@b#c d", "@ # @@ ##",
                                  "http:// x", "https://", "x\x1chttp://y\x1cz", "tab\thttp://y\vz", "ok"])
def test_an_ascii_posts_urls_handles_and_hashtags_go_as_the_regex_says(text):
    assert r.prose(text) == r._NOT_PROSE.sub(" ", text)


def _random_ascii(seed: int, longest: int):
    rnd = random.Random(seed)
    chars = list("hHtTpPsS:/wW.@#_aZ0 \t\n\x1c\x1f-")
    for _ in range(5000):
        yield "".join(rnd.choice(chars) for _ in range(rnd.randint(0, longest)))


def test_the_ascii_not_prose_pattern_equals_the_regex_one_on_random_ascii():
    for text in _random_ascii(13, 30):
        assert r._NOT_PROSE_ASCII.sub(" ", text) == r._NOT_PROSE.sub(" ", text), text


def test_the_ascii_pattern_opening_with_its_first_characters_equals_the_plain_alternation():
    for text in _random_ascii(29, 40):
        assert r._NOT_PROSE_ASCII.sub(" ", text) == _NOT_PROSE_PLAIN.sub(" ", text), text


@pytest.mark.parametrize("text", ["Read more: https://www.example.gov/a?b=1 #Bins 🗑️", "e\u0301 @Mayor_1 café #Vote2024!",
                                  "Ꮃww.x.org ſ https://ſ.org", "👍🏽 WWW.X.ORG/Y, hTTps://a/b #ÉLU @x"])
def test_prose_equals_the_regex_on_emoji_and_combining_marks(text):
    assert r.prose(text) == r._NOT_PROSE.sub(" ", text)
    ascii_part = text.encode("ascii", "ignore").decode()
    assert r.prose(ascii_part) == r._NOT_PROSE.sub(" ", ascii_part)
