"""platforms._urls reads only the whitespace-free runs around a URL's marks: it must find exactly
the URLs the pattern finds reading the whole post, so X and Mastodon counts do not move."""

import random

import pytest

from server.engine import platforms
from server.engine.platforms import measure

PIECES = ["http://", "https://", "www.", "WWW.", ".com", ".COM", ".co.uk", ".gov", ".nhs", "nhs.uk", "example",
          "a-b", "abc.", "/path", "?q=1", ". ", ", ", "\n", " ", "\t", "\u00a0", "\u2003", "\u3000", "x", "é",
          "😀", "👩‍👩‍👧", ")", "'", '"', "<", ".", "中"]


def _reference(text):
    return [m.span() for m in platforms._URL_RE.finditer(text)] if platforms._MAYBE_URL.search(text) else []


@pytest.mark.parametrize("seed", range(4))
def test_urls_are_the_whole_post_scans(seed):
    rng = random.Random(seed)
    for _ in range(5000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 30)))
        assert [m.span() for m in platforms._urls(text)] == _reference(text), text


@pytest.mark.parametrize("text", [
    "see https://example.com/a and www.gov.uk/x, then example.co.uk.",
    "two marks in one run: https://www.example.com/x.com/y",
    "on a run's edges:\u00a0https://example.com\u2003www.nhs.uk\nfoo.gov",
    "no scheme.com at the start",
    "https://a.com",
])
def test_counts_on_posts_with_links_are_unchanged(text):
    assert [m.span() for m in platforms._urls(text)] == _reference(text)
    for platform in ("x", "mastodon"):
        assert measure(text, platform).count == measure(text + " ", platform).count - 1
