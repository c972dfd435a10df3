"""Post.word_starts, sentence_ends and clause_ends: the C path (_fastscan.word_starts,
sentence_ends, clause_ends, for an ASCII folded text) gives the positions post.py's regexes
find, and a text that is not ASCII takes the regexes."""

import random

import pytest

from server.engine import fastscan
from server.engine.post import _CLAUSE_END, _SENTENCE_END, _WORD, Post

needs_c = pytest.mark.skipif(not fastscan.FAST, reason="IMPARTIAL_PURE_PYTHON is set")

REFERENCE = {
    "word_starts": _WORD,
    "sentence_ends": _SENTENCE_END,
    "clause_ends": _CLAUSE_END,
}

TRICKY = [
    "", " ", "x", ".", "\n", "...", "!?!", "a.", "a.b", "a. b", "a.\"b", "a.'b", "a.)b", "a.]b", "a.(b",
    "end.\n", "end..\n", "end.", "e.g. 3.5 million. Yes!", "Really?! No... ok", "Hi !! there", "x ... y",
    "a, b; c: d", "a,b;c:d", "a,\nb", "a,", "a ,", "x - y", "x -- y", "x - - y", "x -\ty", "x\t-\ny", "\n - x",
    "- x", "x -", " - ", "a -b", "a- b", "snake_case and_more _x x_ __", "don't won't they've 3rd 10:30",
    "\x1c.\x1d,\x1e-\x1f", "a.\x1cb", "a,\x1cb", "x\x1c-\x1cy", "tab\tsep\vv\ff\rr",
    "@name #tag https://x.gov/a.b?c=d www.example.org.", "SHOUT. Loud!!! quiet?",
    # not ASCII: the regexes read these
    "Café naïve — “quoted” ‘single’", "🙄 the tories. 🙄", "Fe\u0301in Lab\u00adour", "a\u2013b \u2014 c",
    "x\u00a0-\u00a0y", "a.\u2003b", "١٢٣ numbers", "ΣΊΣΥΦΟΣ. ς", "\U0001d400. x",
]

ALPHABET = list("aZ09_ .!?,;:-'\"()[]\n\t\r\v\f\x1c@#/") + ["é", "🙂", "\u0301", "\u00a0", "\u2013"]


def _texts():
    rnd = random.Random(7)
    out = list(TRICKY)
    for _ in range(3000):
        out.append("".join(rnd.choice(ALPHABET[:-5] if rnd.random() < 0.8 else ALPHABET)
                           for _ in range(rnd.randint(0, 30))))
    return out


@needs_c
@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_c_positions_equal_the_regexes(name):
    fast = getattr(fastscan._fastscan, name)
    for text in _texts():
        want = [m.start() for m in REFERENCE[name].finditer(text)]
        got = fast(text)
        if text.isascii():
            assert got == want, (name, text)
        else:
            assert got is None, (name, text)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_post_positions_equal_the_regexes_on_the_folded_text(name):
    """Whichever path a post takes (C for an ASCII folded text, the regexes otherwise)."""
    for text in _texts():
        post = Post(text)
        want = [m.start() for m in REFERENCE[name].finditer(post.lower)]
        assert getattr(post, name) == want, (name, text)


@needs_c
def test_c_positions_refuse_what_is_not_a_str():
    for name in REFERENCE:
        with pytest.raises(TypeError):
            getattr(fastscan._fastscan, name)(b"bytes")
