"""The scan stage's C path (server/engine/_fastscan.c) against its Python path, the reference:
the automaton's matches, the checker's phrase hits and present literals, the prefilters that
admit a post, where anchored patterns may start, and the findings, on the same texts."""

import copy
import json
import os
import sys
import threading

import ahocorasick_rs
import pytest

from helpers import ROOT
from server.engine import Checker, fastscan, load_rulebook
from server.engine.anchors import fold_text
from server.engine.examples import all_examples
from server.engine.post import Post
from server.engine.prefilter import PostScan

needs_c = pytest.mark.skipif(not fastscan.FAST, reason="IMPARTIAL_PURE_PYTHON is set")

EDGE = [
    "", " ", "x", "\n\t\r\v\f\x1c", "🙄", "👩‍👩‍👧 🇬🇧 #VoteLabour 🙄🙄",
    "Naïve café façade — İstanbul ﬁnal “quoted” ‘single’ ſtrasse STRASSE Straße ΣΊΣΥΦΟΣ ς K Å",
    "Fe\u0301in Lab\u00adour con\u200bservative e\u0301\u0302\u0303 a\u20d0 \ufeffBOM",  # combining marks, deletions
    "Голосуйте за нас! 投票 ٠١٢ ۳۴ 07700 900123 ①②③ ½",  # digits of other scripts count for \d
    "MR SMITH mr smith Mr. Smith Ms Jones Dr Who ST ALBANS NHS number 943 476 5919",
    "\U0001d400\U0001d401 \U00010000 \ud7ff \ue000 \uffff",  # astral letters, private use
    "vote labour vote labour " * 400,  # many matches
    ("The shambolic plan again. Vote them out! Bins on Tuesday; the council is clueless. " * 125)[:10_000],
    "é" * 3000 + " tory " + "ü" * 3000,  # long, two-byte kind
    "🙄 the tories " * 500,  # long, four-byte kind
]


def corpus_texts():
    texts = []
    for path in sorted((ROOT / "tests/data").glob("*.jsonl")) + [ROOT / "corpus/probe.jsonl"]:
        if path.exists():
            texts += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines()
                      if line.strip()]
    return texts


@pytest.fixture(scope="module")
def checker():
    return Checker(load_rulebook(str(ROOT / "rules.json")))


@pytest.fixture(scope="module")
def texts(checker):
    return EDGE + [ex.text for _, ex, _ in all_examples(checker.rules)] + corpus_texts()


def pure_twin(checker):
    """The same checker scanning through the Python path (shares everything else)."""
    twin = copy.copy(checker)
    twin._hits = copy.copy(checker._hits)
    twin._hits.fast = None
    index = twin._prefilter_index = copy.copy(checker._prefilter_index)
    index._fast = index._fast_literals = None
    index.anchors = copy.copy(index.anchors)
    index.anchors._fast = None
    return twin


def test_the_extension_is_built_and_used(checker):
    # Not a skip: `make setup` must build the C path, and CI proves it does.
    from server.engine import _fastscan  # noqa: F401

    pure = os.environ.get("IMPARTIAL_PURE_PYTHON", "") not in ("", "0")
    assert fastscan.FAST is not pure
    index = checker._prefilter_index
    for part in (checker._hits.fast, index._fast, index._fast_literals, index.anchors._fast):
        assert (part is not None) is fastscan.FAST


# -- the automaton ---------------------------------------------------------------------

def reference(keys):
    return ahocorasick_rs.AhoCorasick(keys, matchkind=ahocorasick_rs.MatchKind.Standard)


HAND_KEYS = [
    ["he", "she", "his", "hers", "h", "e"],  # nested and overlapping
    ["a", "aa", "aaa", "aaaa"],
    ["é", "café", "cafe", "ſ", "🙄", "🙄🙄", "\U0001d400x", "投票", "\uffff"],
    ["labour", "labour party", "party", "art", "tory", "tories", "ories"],
]


@needs_c
@pytest.mark.parametrize("keys", HAND_KEYS, ids=lambda k: k[0])
def test_the_automaton_finds_what_ahocorasick_rs_finds_in_its_order(keys):
    ours, theirs = fastscan.automaton(keys), reference(keys)
    for text in EDGE + ["ushers", "aaaaaaa", "cafécafe ſſ 🙄🙄🙄 \U0001d400x 投票投票", "labour party tories art"]:
        want = theirs.find_matches_as_indexes(text, overlapping=True)
        assert ours.find(text) == want, text
        assert ours.keys_in(text) == frozenset(k for k, _, _ in want)
        starts = {}
        for k, s, _ in want:
            starts.setdefault(k, []).append(s)
        assert ours.starts(text) == starts


@needs_c
def test_chunked_and_split_walks_find_what_ahocorasick_rs_finds():
    # The C walk reads a text 1,024 characters at a time, and splits a chunk of at least twice
    # the longest key between two walks restarted at the root: random keys of 1 to 60
    # characters (so the split happens or not), texts across both edges, every str kind.
    import random
    rnd = random.Random(2412)
    alphabet = ["a", "b", "c", "é", "\U0001f600", " "]
    # The deepest states throughout: a second walk restarted with a character too few behind it
    # misses a match.
    for keys, text in ((["a" * 60, "ab"], "a" * 1025), (["a" * 60, "ab"], "a" * 3000),
                       (["é" * 40, "\U0001f600"], "é" * 2100), (["a" * 60, "ab"], ("a" * 59 + "b") * 40)):
        assert fastscan.automaton(keys).find(text) == reference(keys).find_matches_as_indexes(text, overlapping=True)
    for _ in range(150):
        letters = alphabet[:rnd.randint(2, 6)]
        keys = ["".join(rnd.choice(letters) for _ in range(rnd.randint(1, rnd.choice((3, 8, 60)))))
                for _ in range(rnd.randint(1, 60))]
        keys += keys[:3]  # a key twice
        size = rnd.choice((0, 1, 100, 1023, 1024, 1025, 2100, 3000))
        text = "".join(rnd.choice(alphabet + ["x"]) for _ in range(size))
        ours, want = fastscan.automaton(keys), reference(keys).find_matches_as_indexes(text, overlapping=True)
        assert ours.find(text) == want, (keys, text)
        assert ours.keys_in(text) == frozenset(k for k, _, _ in want)
        starts = {}
        for k, s, _ in want:
            starts.setdefault(k, []).append(s)
        assert ours.starts(text) == starts


@needs_c
def test_the_rulebooks_automata_find_what_ahocorasick_rs_finds(checker, texts):
    index = checker._prefilter_index
    everything = checker._keys + [lit for lit in index.literals if lit not in set(checker._keys)]
    for keys, fold in ((everything, lambda t: Post(t).folded.folded), (index.literals, str.lower),
                       (index.anchors._literals, fold_text)):
        ours, theirs = fastscan.automaton(keys), reference(keys)
        for text in texts[::3]:
            folded = fold(text)
            if folded is not None:
                assert ours.find(folded) == theirs.find_matches_as_indexes(folded, overlapping=True), text


@needs_c
def test_bad_keys_are_refused_not_read():
    from server.engine import _fastscan

    with pytest.raises(ValueError):
        _fastscan.Automaton(["ok", ""])
    with pytest.raises(TypeError):
        _fastscan.Automaton(["ok", b"bytes"])
    with pytest.raises(TypeError):
        fastscan.automaton(["ok"]).find(b"bytes")
    assert fastscan.automaton([]) is None


# -- each stage against the Python path --------------------------------------------------

@needs_c
def test_phrase_hits_and_present_literals_are_the_pythons(checker, texts):
    pure = pure_twin(checker)
    for text in texts:
        fast_post, ref_post = checker.analyse(text), pure.analyse(text)
        assert dict(checker._phrase_hits(fast_post)) == dict(pure._phrase_hits(ref_post)), text
        assert fast_post.work == ref_post.work
        # set by the phrase pass where the folded text is the lower case, else read by the
        # prefilter index's own pass
        assert fast_post.scan._present == ref_post.scan._present
        assert fast_post.scan.present == ref_post.scan.present


def test_the_phrase_pass_tells_the_literals_of_a_post_folded_as_its_lower_case(checker):
    """A non-ASCII post whose characters fold to themselves (emoji, "£") takes its literals
    from the phrase pass: the same ones the prefilter index's own pass finds."""
    for text in ["Vote Labour 🎉 on Thursday £5 #GE2024", "Tories 👉 said… no", "Café au lait"]:
        post = checker.analyse(text)
        checker._phrase_hits(post)
        reads_lower = post.folded.folded == text.lower()
        assert (post.scan._present is not None) == reads_lower, text
        own = PostScan(text, checker._prefilter_index).present
        assert post.scan.present == own, text


@needs_c
def test_case_sensitive_phrases_are_decided_on_the_original_text(checker):
    pure = pure_twin(checker)
    assert any(slots is None for slots in checker._hits._slots), "the rulebook has case-sensitive phrases"
    cased = [k for k, slots in zip(checker._keys, checker._hits._slots) if slots is None]
    for key in cased[:200]:
        for text in (key, key.upper(), key.title(), f"x {key} y", f"Fe\u0301in {key.title()}!"):
            fast_post, ref_post = checker.analyse(text), pure.analyse(text)
            assert dict(checker._phrase_hits(fast_post)) == dict(pure._phrase_hits(ref_post)), text


@needs_c
def test_the_prefilters_admitted_are_the_pythons(checker, texts):
    pure_index = pure_twin(checker)._prefilter_index
    index = checker._prefilter_index
    for text in texts:
        fast, ref = PostScan(text, index), PostScan(text, pure_index)
        assert fast.admitted == ref.admitted, text
        # and from the literals the checker's pass hands over on an ASCII post
        post = checker.analyse(text)
        checker._phrase_hits(post)
        assert post.scan.admitted == ref.admitted, text


@needs_c
def test_words_are_read_with_the_patterns_word_characters(checker):
    """The C path splits an ASCII post itself; any other post's words come from Python,
    split by `regex`'s \\w where a non-ASCII character is a word character."""
    pure_index = pure_twin(checker)._prefilter_index
    index = checker._prefilter_index
    for text in ("Mr Smith", "mr smith", "MR SMITH", "Mré Smith", "Mr\u00e9 Smith", "é Mr é", "Mr\u0301 Smith",
                 "Mr_ Smith", "_Mr Smith", "Mr1 Smith", "Dr. Who at 10 Main St", "Dr\u00a0Who", "ΜΡ Mr",
                 "KMr Mr", "\u212aMr", "İs he in?", "he/she", "(he) said", "he's",
                 "12 Oak Close", "we have closed it", "12 Oak Clos\u00e9", "12 Oak Close\u0301", "12 Oak CLOSE_",
                 "12 Oak \u212aent Road", "Straße 12 Oak Road", "my home address", "home\u00a0address"):
        assert PostScan(text, index).admitted == PostScan(text, pure_index).admitted, text


@needs_c
def test_anchor_starts_are_the_pythons(checker, texts):
    pure = pure_twin(checker)._prefilter_index.anchors
    anchors = checker._prefilter_index.anchors
    for text in texts:
        assert anchors.scan(text) == pure.scan(text), text


@needs_c
def test_findings_are_the_same_with_either_path(checker, texts):
    pure = pure_twin(checker)
    for i, text in enumerate(texts):
        fast, ref = checker.check(text, election_period=i % 2 == 0), pure.check(text, election_period=i % 2 == 0)
        assert [(f.rule_id, f.start, f.end, f.message) for f in fast.findings] == \
               [(f.rule_id, f.start, f.end, f.message) for f in ref.findings], text
        assert fast.work == ref.work


# -- memory and threads ------------------------------------------------------------------

@needs_c
def test_repeated_scans_hold_no_references(checker):
    """Each result's reference count is the caller's alone, and what the scanners read keeps
    its own: nothing leaks per post."""
    index = checker._prefilter_index
    text = "Vote Labour! The tories, Mr Smith and his NHS number 943 476 5919 \u2014 shambolic. " * 3
    post = checker.analyse(text)
    hits = checker._phrase_hits(post)
    counts = [sys.getrefcount(hits)] + [sys.getrefcount(v) for v in hits.values()]  # outside assert's rewriting
    assert hits and counts[0] == 2 and set(counts[1:]) == {3}  # a list: its dict's, the loop's, the call's
    before = sys.getrefcount(text), sys.getrefcount(post.folded), sys.getrefcount(post.scan)
    for _ in range(200):
        scan = PostScan(text, index)
        checker._hits.fast.find(post.folded, post.folded.folded, True)
        index._fast.admitted(scan.present, text, scan)
        index.anchors._fast.starts(fold_text(text))
    del scan
    assert (sys.getrefcount(text), sys.getrefcount(post.folded), sys.getrefcount(post.scan)) == before


@needs_c
def test_a_dropped_checker_frees_its_scanners():
    """A reload builds a new Checker; the old one's C objects must go with it, though the
    phrase scanner and its PhraseHits refer to each other (the collector sees the cycle)."""
    import gc

    from server.engine import _fastscan

    from helpers import book_json, minimal_rule
    from server.engine.rulebook import parse_rulebook

    def scanners():
        gc.collect()
        return sum(isinstance(o, _fastscan.PhraseScanner) for o in gc.get_objects())

    before = scanners()
    for _ in range(3):
        small = Checker(parse_rulebook(book_json(minimal_rule())))
        assert small.check("activist lawyers").findings
        del small
    assert scanners() == before


@needs_c
def test_threads_sharing_one_checker_get_each_their_own_answers(checker, texts):
    """gunicorn's gthread workers share a Checker: the C objects hold no per-post state."""
    sample = texts[::5]
    want = [[(f.rule_id, f.start, f.end) for f in checker.check(t).findings] for t in sample]
    got, errors = {}, []

    def run(offset):
        try:
            for j in range(len(sample)):
                i = (j + offset) % len(sample)
                got[(offset, i)] = [(f.rule_id, f.start, f.end) for f in checker.check(sample[i]).findings]
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(k * 7,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(got[(o, i)] == want[i] for (o, i) in got)
