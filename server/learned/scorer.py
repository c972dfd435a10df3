"""Scores a post with an exported model, without scikit-learn.

The maths is scikit-learn's, reproduced exactly (``tests/test_learned.py`` checks it
to 1e-9 against ``predict_proba``): per block, term counts → ``1 + ln(count)``
(sublinear tf) × idf → L2 normalisation over the block's terms that are in the
vocabulary; per head, ``p = 1 / (1 + exp(-(intercept + Σ_blocks x · w_head)))``.
"""

from __future__ import annotations

import array
import functools
import gzip
import hashlib
import itertools
import json
import math
import operator
import os
import re
import threading
from pathlib import Path

import numpy as np

from . import features as F
from . import underline as U

# The scoring arithmetic in C (_fastscore.c, built by `pip install -e .`), numpy's the
# reference and the fallback: without the build, or with IMPARTIAL_PURE_PYTHON=1.
try:
    from . import _fastscore
except ImportError:
    _fastscore = None
if os.environ.get("IMPARTIAL_PURE_PYTHON", "") not in ("", "0"):
    _fastscore = None
FAST = _fastscore is not None  # which path scores posts (server/bench.py prints it)

FORMAT = "impartial-model"
FORMAT_VERSION = 1
BLOCKS = ("words", "chars")
# What ends a clause for underlines. _fastscore.c's clause_breaks() reads the same matches
# (tests/test_fastscore.py pins it to this pattern): edit both or neither.
_CLAUSE_BREAK = re.compile(r"[.,;:!?()\[\]\"\n]|\s[-/|]\s")


def canonical_digest(scoring: dict) -> str:
    """sha256 over the parts of the artifact that decide a score."""
    blob = json.dumps(scoring, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(blob.encode("utf-8")).hexdigest()


def scoring_part(doc: dict) -> dict:
    """What the digest covers: what decides a score and, when the artifact sets them, the
    underline settings (``explain``), since they decide what the officer is shown."""
    keys = ("features", "heads", "thresholds", "intercepts", "blocks") + (("explain",) if "explain" in doc else ())
    return {k: doc[k] for k in keys}


_KNOWN = functools.partial(operator.is_not, None)  # filter(_KNOWN, indices): those not None, in C


# 1 + ln(count) for the counts a post has, made by the same vectorised log as an array of
# counts would be (element by element the same values; index 0 is never read).
_TF_TABLE = 4096
with np.errstate(divide="ignore"):
    _SUBLINEAR_TF = np.log(np.arange(_TF_TABLE, dtype=np.float64))
_SUBLINEAR_TF += 1.0


def _counted(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(idx, return_counts=True)`` for a non-empty array, without its general
    machinery (a third of the cost of scoring a post)."""
    a = np.sort(idx)
    n = len(a)
    first = np.empty(n, dtype=bool)  # where a new value starts
    first[0] = True
    np.not_equal(a[1:], a[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    counts = np.empty(len(starts), dtype=np.int64)
    np.subtract(starts[1:], starts[:-1], out=counts[:-1])
    counts[-1] = n - starts[-1]
    return a[first], counts


def _numpy_logits(model: "Model", raw: bytes, zeroed: dict | None):
    """(logits, vec) of a post's term indices (int64 bytes, with repeats): the reference
    arithmetic. vec = (keys, x, w, counts, n_w) for explanations, None for no terms."""
    if not raw:
        return model._intercepts.copy(), None
    keys, counts = _counted(np.frombuffer(raw, np.int64))
    try:
        x = _SUBLINEAR_TF[counts]
    except IndexError:  # a term more than _TF_TABLE times in one post
        x = np.log(counts.astype(np.float64))
        x += 1.0
    x *= model._idf[keys]
    n_w = int(np.searchsorted(keys, model._n_word_terms))
    if n_w:
        xw = x[:n_w]
        xw /= math.sqrt(float(xw @ xw))
    if n_w < len(x):
        xc = x[n_w:]
        xc /= math.sqrt(float(xc @ xc))
    if zeroed:
        x *= 1.0 - np.array([zeroed.get(j, 0) for j in keys.tolist()]) / counts
    w = model._weights[keys]
    return model._intercepts + x @ w, (keys, x, w, counts, n_w)


# Underline settings of an artifact that does not set them (Analysis.explain).
EXPLAIN_DEFAULTS = {"k": 3, "min_share": 0.1, "phrase": 0}


class _Block:
    __slots__ = ("name", "vocab", "idf", "weights")

    def __init__(self, name: str, spec: dict, heads: list[str], offset: int = 0):
        terms = spec["terms"]
        n = len(terms)
        idf = spec["idf"]
        if len(idf) != n:
            raise ValueError(f"block {name!r}: {len(idf)} idf values for {n} terms")
        cols = []
        for h in heads:
            w = spec["weights"].get(h)
            if w is None or len(w) != n:
                raise ValueError(f"block {name!r}: head {h!r} needs {n} weights")
            cols.append(w)
        self.name = name
        self.vocab = {t: offset + i for i, t in enumerate(terms)}  # global index over both blocks
        if len(self.vocab) != n:
            raise ValueError(f"block {name!r}: repeated terms")
        self.idf = np.asarray(idf, dtype=np.float64)
        self.weights = np.asarray(cols, dtype=np.float64).T.copy() if n else np.zeros((0, len(heads)))


class _Chunk:
    """What scoring keeps of one whitespace chunk of folded text (``Model._chunk``), so a
    chunk seen before costs one dictionary look-up: ``terms``, the vocabulary indices of
    every term the chunk gives on its own (its char grams, its in-vocabulary words and the
    bigrams inside it) as int64 bytes, so a post's terms are one ``bytes.join``; ``first``,
    its first word (None without words) and ``follow``, the bigrams its last word starts
    ({next word: index}, None if none), to join it to the next chunk with words. The rest
    (explanations and silencing only) is filled in on first use: ``record`` for the C path
    of explanations (``Model._chunk_record``)."""

    __slots__ = ("terms", "words", "uni", "first", "follow", "n_words", "info", "grams", "expl", "record")

    def __init__(self, model: "Model", chunk: str):
        get = model._blocks[1].vocab.get
        grams = [j for j in map(get, F.padded_grams(chunk, model._char_n)) if j is not None] if model._char_n else []
        words = self.words = F.WORD.findall(chunk)
        uni = self.uni = list(map(model._blocks[0].vocab.get, words))
        bigrams = model._bigrams
        inner = [bigrams.get(a, _EMPTY).get(b) for a, b in zip(words, words[1:])]
        self.terms = array.array("q", grams + list(filter(_KNOWN, uni + inner))).tobytes()
        self.n_words = len(words)
        self.first = words[0] if words else None
        self.follow = bigrams.get(words[-1]) if words else None
        self.info = self.grams = self.expl = self.record = None


_EMPTY: dict = {}
_UNSET = object()
_TERMS = operator.attrgetter("terms")
_N_WORDS = operator.attrgetter("n_words")
_WORDS = operator.attrgetter("words")
_RECORD = operator.attrgetter("record")


def _joined_terms(entries: list) -> tuple[bytes, int]:
    """(raw, n_words) of a post's chunk entries: every chunk's own terms, then the bigrams
    joining a chunk's last word to the next chunk with words' first, as int64 bytes; and
    the post's number of words. _fastscore.join_chunks does the same in one call (the Python
    loop over a post's ~50 chunks cost about as much as scoring it)."""
    joins = []
    follow = None
    for e in entries:
        if e.first is not None:
            if follow is not None and (j := follow.get(e.first)) is not None:
                joins.append(j)
            follow = e.follow
    return b"".join(map(_TERMS, entries)) + array.array("q", joins).tobytes(), sum(map(_N_WORDS, entries))


if _fastscore is not None and hasattr(_fastscore, "join_chunks"):  # not a build older than join_chunks
    _fastscore.set_chunk_type(_Chunk)
    _join_chunks = _fastscore.join_chunks
else:
    _join_chunks = _joined_terms


class Analysis:
    """One post analysed once: ``scores`` (head → probability) at once, and
    ``explain(head, k)`` computed lazily from the same features. Obtain it with
    ``Model.analyse(text, silenced)``; ``zeroed``: per vocabulary index, the occurrences
    silencing takes out (``_silenced_occurrences``), None for none.

    Explanations take one of two paths to the same units, clause joins and contributions:
    the reference (``layout``, ``_clause_joins``, ``_numpy_contributions``: numpy and Python,
    and what silenced posts and installs without the C extension use) and the C path
    (``_place``, ``_fastscore.Scorer.contributions``), several times cheaper on the ~5% of
    posts that are explained: ``tests/test_fastscore.py`` pins one to the other."""

    __slots__ = ("model", "text", "folded", "_chunks", "_words", "_raw", "_vec", "_wj", "scores",
                 "_layout", "_contrib", "_where", "_joins", "_present", "_in_c", "_placed", "_holds")

    def __init__(self, model: "Model", text: str, zeroed: dict | None = None):
        self.model = model
        self.text = text
        folded = self.folded = F.read_links(F.fold(text), model._links)
        self._layout = self._contrib = self._words = self._wj = self._present = self._placed = None
        self._holds = None
        self._joins = None
        self._where = _UNSET
        # Both blocks read each whitespace chunk (str.split() splits where CHUNK does) through
        # the model's chunk cache: WORD never matches across whitespace, so the post's words
        # are its chunks' words in order, and its terms are its chunks' own terms plus the
        # bigrams joining one chunk's last word to the next one's first. Most chunks of a new
        # post have been seen before, so this skips the regexes and most dictionary look-ups.
        cache = model._chunk_cache
        chunks = folded.split()
        entries = list(map(cache.get, chunks))
        if None in entries:
            entries = list(map(model._chunk, chunks))
        self._chunks = entries
        # One index space over both blocks, word terms numbered first: sorted, the word
        # block's terms come before the char block's.
        raw, n_words = _join_chunks(entries)
        if model._length_bins:
            j = model._length_index(n_words)
            if j is not None:
                raw += array.array("q", (j,)).tobytes()
        self._raw = raw
        fast = model._fast
        # _in_c: explanations go through the C path too (its arithmetic scored the post)
        self._in_c = fast is not None and not zeroed
        if self._in_c:
            # _vec (the reference path's explanations only) waits for its first use: see _vector
            self._vec = _UNSET
            self.scores = dict(zip(model.heads, fast.score(raw)))
        else:
            logits, self._vec = _numpy_logits(model, raw, zeroed)
            self.scores = dict(zip(model.heads, (1.0 / (1.0 + np.exp(-logits))).tolist()))

    def _vector(self):
        """(keys, x, w, counts, n_w) of the post's terms (None without terms), from the numpy
        path: the reference path of explanations (the C path keeps none)."""
        if self._vec is _UNSET:
            self._vec = _numpy_logits(self.model, self._raw, None)[1]
        return self._vec

    @property
    def words(self) -> list[str]:
        """The post's words (WORD over the folded text), in order."""
        if self._words is None:
            self._words = [w for e in self._chunks for w in e.words]
        return self._words

    def word_terms(self) -> tuple[list, list]:
        """Per word occurrence, its unigram's vocabulary index and that of the bigram it
        starts (None when not in the vocabulary), for explanations."""
        if self._wj is None:
            get = self.model._blocks[0].vocab.get
            words = self.words
            uni = [j for e in self._chunks for j in e.uni]
            self._wj = (uni, [get(a + " " + b) for a, b in zip(words, words[1:])])
        return self._wj

    # --- positions (explanations and silencing only) ------------------------------------
    def layout(self):
        """(units, word_unit, gram_index, gram_unit), computed once per post for every head:
        units as (start, end) in folded text; word_unit[k] is the unit of the k-th word;
        gram_index / gram_unit: each in-vocabulary char gram occurrence's vocabulary index
        and the unit it is credited to."""
        if self._layout is None:
            units, word_unit, js, us, offsets, sizes = [], [], [], [], [], []
            fill = self.model._chunk_expl
            # self._chunks are the cached chunks of folded.split(), which CHUNK finds in order
            for m, e in zip(F.CHUNK.finditer(self.folded), self._chunks):
                local, has_words, j_b, u_b, n = e.expl or fill(m.group())
                cs = m.start()
                u0 = len(units)
                units += [(cs + a, cs + b) for a, b in local]
                if has_words:
                    word_unit += range(u0, u0 + len(local))
                if n:
                    js.append(j_b)
                    us.append(u_b)
                    offsets.append(u0)
                    sizes.append(n)
            # int64 bytes joined: one array per post, not one Python int per gram occurrence
            gram_unit = np.frombuffer(b"".join(us), np.int64)
            if offsets:
                gram_unit = gram_unit + np.repeat(np.array(offsets, dtype=np.int64), sizes)
            self._layout = (units, word_unit, np.frombuffer(b"".join(js), np.int64), gram_unit)
        return self._layout

    def _units(self) -> list:
        """Each unit's (start, end) in the folded text: ``layout()[0]``, by either path."""
        return self._place()[0] if self._in_c else self.layout()[0]

    def _gaps(self) -> list:
        """Per gap between units k and k + 1, whether they are in one clause, once per post."""
        if self._joins is None:
            self._joins = self._place()[1] if self._in_c else self._clause_joins()
        return self._joins

    # --- the C path of explanations (unsilenced posts, with the C extension) -------------
    def _place(self) -> tuple:
        """(units, joins, layout, tail), once per post: what ``layout()[0]`` and
        ``_clause_joins`` give, from the post's chunk records joined (``Model._chunk_record``),
        and what ``_fastscore.Scorer.contributions`` needs to credit each term of ``_raw`` to
        its units (``tail``: those of the terms after the chunks' own)."""
        if self._placed is None:
            entries = self._chunks
            try:
                layout = b"".join(map(_RECORD, entries))
            except TypeError:  # None: chunks no explanation has read yet
                for chunk, e in zip(self.folded.split(), entries):
                    if e.record is None:
                        self.model._chunk_record(chunk, e)
                layout = b"".join(map(_RECORD, entries))
            units, joins = _fastscore.place(self.folded, layout)
            self._placed = (units, joins, layout, self._tail_codes())
        return self._placed

    def _tail_codes(self) -> bytes:
        """The units of the terms ``__init__`` appends after the chunks' own, as int pairs in
        post units: a bigram across chunks credits its two words, the length band none."""
        out = []
        unit = n_words = 0
        follow = None
        last = -1  # the unit of the last word seen
        for e in self._chunks:
            n = e.n_words
            if n:  # a chunk with words has one unit per word, one without has one
                if follow is not None and e.first in follow:
                    out += (last, unit)
                follow = e.follow
                unit += n
                last = unit - 1
                n_words += n
            else:
                unit += 1
        model = self.model
        if model._length_bins and model._length_index(n_words) is not None:
            out += (-1, -1)
        return array.array("i", out).tobytes()

    def _word_spans(self) -> list[tuple[int, int]]:
        return [(m.start(), m.end()) for m in F.WORD.finditer(self.folded)]

    def holds_any(self, words: frozenset) -> bool:
        """Whether the post holds one of `words` (the model's silenced key words, every set's):
        asked once per post, so a post that holds none (two in three) skips each set's test."""
        got = self._holds
        if got is None or got[0] is not words:
            got = self._holds = (words, not words.isdisjoint(self._words_once()))
        return got[1]

    def _words_once(self):
        """The post's words for one set test: the set, once built; else read chunk by chunk, as
        two posts in three hold no silenced word and never need the set (half the cost)."""
        if self._present is not None:
            return self._present
        return itertools.chain.from_iterable(map(_WORDS, self._chunks))

    def _present_words(self) -> set:
        """The post's words as a set, once: holds_any and each silenced set's test read it."""
        if self._present is None:
            self._present = set(itertools.chain.from_iterable(map(_WORDS, self._chunks)))
        return self._present

    def _silenced_occurrences(self, silenced_words) -> dict | None:
        folded = self.folded
        # Cheap test: a silenced phrase needs every one of its words among the post's words
        # (the exact test below compares whole words); set tests, not a substring search per
        # word (56 phrases' substring searches cost ~100 us a post), and first its key word.
        present = self._present_words()
        by_key = silenced_words[1]
        keys = present.intersection(by_key)
        if not keys:
            return None
        silenced_words = [seq for k in keys for seq in by_key[k] if present.issuperset(seq)]
        if not silenced_words:
            return None
        words = self.words
        spans_w = self._word_spans()
        spans = []
        for seq in silenced_words:
            n = len(seq)
            for i in range(len(words) - n + 1):
                if words[i:i + n] == list(seq):
                    spans.append((spans_w[i][0], spans_w[i + n - 1][1]))
        if not spans:
            return None

        def hit(s, e):
            return any(s < se and ss < e for ss, se in spans)

        model = self.model
        wvocab = model._blocks[0].vocab
        zeroed: dict = {}
        for k, (s, e) in enumerate(spans_w):
            if hit(s, e):
                j = wvocab.get(words[k])
                if j is not None:
                    zeroed[j] = zeroed.get(j, 0) + 1
            if k + 1 < len(words) and hit(s, spans_w[k + 1][1]):
                j = wvocab.get(words[k] + " " + words[k + 1])
                if j is not None:
                    zeroed[j] = zeroed.get(j, 0) + 1
        for m in F.CHUNK.finditer(folded):
            cs, ce = m.start(), m.end()
            if not hit(cs, ce):
                continue
            for j, gs, ge in model._chunk_grams(m.group()):
                if hit(cs + gs, cs + ge):
                    zeroed[j] = zeroed.get(j, 0) + 1
        return zeroed

    # --- explanation ---------------------------------------------------------------------
    def unit_contributions(self, head: str) -> list[float]:
        """Each unit's (word's) share of the head's logit, intercept excluded."""
        return self._ranked(head)[0]

    def _ranked(self, head: str) -> tuple[list, list]:
        """(each unit's share of the head's logit, the units with a positive share, weightiest
        first, ties to the earlier), once per post and head: in C when the post was scored in
        C, from the same arithmetic (the reference path's to within a few ulps)."""
        if self._contrib is None:
            self._contrib = {}
        got = self._contrib.get(head)
        if got is None:
            h = self.model._head_index(head)
            if self._in_c:
                _, _, layout, tail = self._place()
                got = self.model._fast.contributions(self._raw, layout, tail, h)
            else:
                out = self._numpy_contributions(h)
                got = (out, sorted((i for i, c in enumerate(out) if c > 0), key=lambda i: (-out[i], i)))
            self._contrib[head] = got
        return got

    def _numpy_contributions(self, h: int) -> list[float]:
        """The reference arithmetic of unit_contributions (numpy, with silencing)."""
        units, word_unit, gram_index, gram_unit = self.layout()
        out = [0.0] * len(units)
        vec = self._vector()
        if vec is not None:
            keys, x, w, counts, n_w = vec
            # contribution of one occurrence of each term: x_j * w_jh / count_j
            per_occ = x * w[:, h] / counts
            per = dict(zip(keys[:n_w].tolist(), per_occ[:n_w].tolist()))  # word terms
            uni, bi = self.word_terms()
            for k, j in enumerate(uni):
                if j is not None:
                    out[word_unit[k]] += per[j]
            for k, j in enumerate(bi):
                if j is not None:
                    c = per[j] / 2
                    out[word_unit[k]] += c
                    out[word_unit[k + 1]] += c
            if len(gram_index):
                val = np.zeros(len(self.model._idf))
                val[keys[n_w:]] = per_occ[n_w:]
                by_unit = np.bincount(gram_unit, weights=val[gram_index], minlength=len(units))
                out = (by_unit + np.asarray(out)).tolist()
        return out

    def explain(self, head: str, k: int | None = None, min_share: float | None = None,
                phrase: int | None = None, choose: bool = True) -> list[tuple[int, int, float]]:
        """Up to k spans (start, end, weight) of the original text among the words that
        pushed the head's score up most: words ranked by contribution (those under
        ``min_share`` of the best word's are left out, so underlines stay tight), adjacent
        chosen words merged into one span (weights summed), best first. The first word taken,
        the anchor, is the weightiest, or, when the artifact has an underline chooser
        (``underline.Chooser``) and ``choose``, the one of the few weightiest whose phrase
        reviewers underline most often. ``phrase``: each chosen word also takes up to that
        many neighbours each side within its clause (no punctuation between), since reviewers
        underline phrases, not lone words. Each left as None takes the artifact's setting
        (``Model.explain_settings``)."""
        d = self.model.explain_settings
        k = d["k"] if k is None else k
        min_share = d["min_share"] if min_share is None else min_share
        phrase = d["phrase"] if phrase is None else phrase
        if k <= 0:
            return []
        contrib, order = self._ranked(head)
        if not order:  # no unit weighs for the head
            return []
        floor = contrib[order[0]] * min_share
        if floor > 0:  # order is weightiest first: those at or over the floor lead it
            order = [i for i in order if contrib[i] >= floor]
        chooser = self.model.chooser
        if choose and chooser is not None:
            anchor = self.anchor(head, chooser, order)
            if anchor is not None:  # a candidate has a positive weight, maybe under min_share
                order = [anchor] + [i for i in order if i != anchor]
        chosen = U.grow(contrib, order, k)
        if phrase > 0:
            chosen = U.widen(chosen, len(self._units()), self._gaps().__getitem__, phrase)
        return self._spans(contrib, chosen)

    def _spans(self, contrib: list, chosen: set) -> list[tuple[int, int, float]]:
        """The chosen units as spans of the original text, adjacent ones merged (weights
        summed), weightiest first."""
        units = self._units()
        where = self._fold_map()
        spans = []
        run: list[int] = []
        for i in sorted(chosen) + [None]:
            if run and (i is None or i != run[-1] + 1):
                s, e = units[run[0]][0], units[run[-1]][1]
                if where is not None:
                    s, e = where[s], where[e - 1] + 1
                spans.append((s, e, sum(contrib[u] for u in run)))
                run = []
            if i is not None:
                run.append(i)
        spans.sort(key=lambda t: (-t[2], t[0]))
        return spans

    def anchor(self, head: str, chooser, order: list | None = None) -> int | None:
        """The unit the chooser starts the head's underline from (None: no word weighs for it).
        ``order``: the head's words with a positive weight, weightiest first, if known."""
        units = self._units()
        folded, text, where = self.folded, self.text, self._fold_map()

        def shape(i):  # the word as written, for its capital letter
            s, e = units[i]
            return text[where[s]:where[e - 1] + 1] if where is not None else text[s:e]

        return chooser.pick(self.unit_contributions(head), lambda i: folded[units[i][0]:units[i][1]], shape,
                            self._gaps().__getitem__, order)

    def _fold_map(self):
        """F.fold_map of the text, once per post (each head's explanation needs it)."""
        if self._where is _UNSET:
            self._where = F.fold_map(self.text, folded=True)
        return self._where

    def _joined(self, a: int) -> bool:
        """Units a and a + 1 are next to each other in one clause (no punctuation between)."""
        return self._gaps()[a]

    def _clause_joins(self) -> list:
        """Per gap between units k and k + 1, whether no clause break lies in it: one pass of
        the break pattern over the post, not one search per gap (the chooser and the widening
        ask about many gaps). A match never straddles a gap's ends: units hold no whitespace
        and every longer break starts and ends with whitespace."""
        units = self.layout()[0]
        breaks = [(m.start(), m.end()) for m in _CLAUSE_BREAK.finditer(self.folded)]
        out, j = [], 0
        for k in range(len(units) - 1):
            gap_start, gap_end = units[k][1], units[k + 1][0]
            while j < len(breaks) and breaks[j][0] < gap_start:
                j += 1
            out.append(not (j < len(breaks) and breaks[j][1] <= gap_end))
        return out


class Model:
    """A loaded model. Thread-safe: nothing is mutated after loading except a
    one-entry cache of the last analysis."""

    def __init__(self, doc: dict, path: str = "<memory>"):
        try:
            if doc.get("format") != FORMAT:
                raise ValueError(f"not an {FORMAT} file (format={doc.get('format')!r})")
            if doc.get("format_version") != FORMAT_VERSION:
                raise ValueError(f"format_version {doc.get('format_version')!r}, this code reads {FORMAT_VERSION}")
            feats = doc["features"]
            if feats.get("version") != F.FEATURES_VERSION:
                raise ValueError(
                    f"features version {feats.get('version')!r}, this code extracts version {F.FEATURES_VERSION}"
                )
            self.heads = list(doc["heads"])
            if not self.heads:
                raise ValueError("no heads")
            self.version = str(doc["version"])
            self.digest = doc["digest"]
            want = canonical_digest(scoring_part(doc))
            if want != self.digest:
                raise ValueError(f"digest mismatch: file says {self.digest}, content is {want}")
            self._thresholds = {h: float(doc["thresholds"][h]) for h in self.heads}
            self._intercepts = np.asarray([float(doc["intercepts"][h]) for h in self.heads], dtype=np.float64)
            wb = _Block("words", doc["blocks"]["words"], self.heads)
            cb = _Block("chars", doc["blocks"]["chars"], self.heads, offset=len(wb.vocab))
            self._blocks = [wb, cb]
            self._n_word_terms = len(wb.vocab)
            self._char_n = tuple(int(n) for n in feats["chars"]["ngrams"])
            self._length_bins = tuple(int(b) for b in feats.get("words", {}).get("length_bins") or ())
            self._links = feats.get("links", "whole")  # models before 2026.12.05.3 read links whole
            if self._links not in ("whole", "host"):
                raise ValueError(f"unknown links setting {self._links!r}")
            if self._char_n and min(self._char_n) < 1:
                raise ValueError(f"bad char n-gram sizes {self._char_n}")
            self._idf = np.concatenate([wb.idf, cb.idf])
            self._weights = np.ascontiguousarray(np.vstack([wb.weights, cb.weights]))
            # holds the three arrays (never changed after this) for as long as the model lives
            self._fast = (_fastscore.Scorer(self._idf, self._weights, self._intercepts, self._n_word_terms)
                          if _fastscore is not None else None)
        except ValueError as e:
            raise ValueError(f"{path}: bad model file: {e}") from None
        except (KeyError, TypeError, AttributeError) as e:
            raise ValueError(f"{path}: bad model file: missing or malformed field ({e!r})") from None
        self.path = path
        # not the blocks, nor the chooser's word lists: meta is for reports
        self.meta = {k: v for k, v in doc.items() if k not in ("blocks",)}
        if isinstance(self.meta.get("explain"), dict) and "chooser" in self.meta["explain"]:
            self.meta["explain"] = {**self.meta["explain"], "chooser": {
                k: v for k, v in self.meta["explain"]["chooser"].items() if k != "lexicons"}}
        self.head_context = dict(doc.get("head_context", {}))
        self.explain_settings = {**EXPLAIN_DEFAULTS, **doc.get("explain", {})}
        chooser = self.explain_settings.get("chooser")
        try:  # the underline chooser, when the artifact has one (underline.py)
            self.chooser = U.Chooser(chooser) if chooser else None
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(f"{path}: bad model file: explain.chooser: {e!r}") from None
        self._index = {h: i for i, h in enumerate(self.heads)}
        self._last = None
        self._lock = threading.Lock()
        self._silence_cache: dict = {}
        self._silence_keys: frozenset = frozenset()  # every cached set's key words
        self._chunk_cache: dict = {}
        self._length_cache: dict = {}
        # bigram terms by first word: {first: {second: index}} (a word holds no space, so
        # "a b" splits one way only)
        self._bigrams: dict = {}
        for term, j in self._blocks[0].vocab.items():
            if " " in term:
                a, _, b = term.partition(" ")
                self._bigrams.setdefault(a, {})[b] = j

    # chunk cache: chunk → _Chunk
    _CHUNK_CACHE_MAX = 50_000  # a few tens of MB at most; cleared when full

    def _chunk(self, chunk: str) -> _Chunk:
        e = self._chunk_cache.get(chunk)
        if e is None:
            e = _Chunk(self, chunk)
            cache = self._chunk_cache
            if len(cache) >= self._CHUNK_CACHE_MAX:
                cache.clear()
            cache[chunk] = e
        return e

    def _length_index(self, n_words: int) -> int | None:
        """Vocabulary index of the length band of a post of n_words words (None: not in it)."""
        cache = self._length_cache
        if n_words not in cache:
            cache[n_words] = self._blocks[0].vocab.get(F.length_term(n_words, self._length_bins))
        return cache[n_words]

    def _chunk_info(self, chunk: str) -> F.ChunkInfo:
        e = self._chunk(chunk)
        if e.info is None:
            e.info = F.ChunkInfo(chunk, self._char_n)
        return e.info

    def _chunk_grams(self, chunk: str) -> list:
        """[(vocabulary index, start, end)] of the in-vocabulary grams, chunk coordinates."""
        e = self._chunk(chunk)
        if e.grams is None:
            get = self._blocks[1].vocab.get
            e.grams = [(get(g), s, t) for g, s, t in F.chunk_grams(chunk, self._char_n) if get(g) is not None]
        return e.grams

    def _chunk_expl(self, chunk: str) -> tuple:
        """(units, has_words, vocabulary indices, units, count) of one chunk for explanations:
        its units in chunk coordinates and, per in-vocabulary gram, its index and unit (int64
        bytes, for Analysis.layout to join)."""
        e = self._chunk(chunk)
        if e.expl is None:
            info = self._chunk_info(chunk)
            get = self._blocks[1].vocab.get
            pairs = [(j, u) for j, u in zip(map(get, F.padded_grams(chunk, self._char_n)), info.gram_units)
                     if j is not None]
            e.expl = (info.units, info.has_words, array.array("q", [j for j, _ in pairs]).tobytes(),
                      array.array("q", [u for _, u in pairs]).tobytes(), len(pairs))
        return e.expl

    def _chunk_record(self, chunk: str, e: _Chunk) -> None:
        """Fills e.record (e: the chunk's cache entry), what the C path of explanations reads
        of the chunk, as int64 slots: its numbers of terms and of units, each unit's (start,
        end) in the chunk, then per term of ``e.terms`` in order the units it is credited to,
        as an int pair in chunk units (a char gram: the unit ChunkInfo gives it, -1; a unigram:
        its word, -1; a bigram: its two words)."""
        if e.info is None:
            e.info = F.ChunkInfo(chunk, self._char_n)
        info = e.info
        get = self._blocks[1].vocab.get
        codes = [(u, -1) for j, u in zip(map(get, F.padded_grams(chunk, self._char_n)), info.gram_units)
                 if j is not None]
        codes += [(k, -1) for k, j in enumerate(e.uni) if j is not None]
        words, bigrams = e.words, self._bigrams
        codes += [(k, k + 1) for k, (a, b) in enumerate(zip(words, words[1:]))
                  if bigrams.get(a, _EMPTY).get(b) is not None]
        if 8 * len(codes) != len(e.terms):  # not the order of _Chunk.terms: credit would go astray
            raise RuntimeError(f"chunk {chunk!r}: {len(codes)} codes for {len(e.terms) // 8} terms")
        head = array.array("q", [len(codes), len(info.units)] + [p for u in info.units for p in u])
        e.record = head.tobytes() + array.array("i", [p for c in codes for p in c]).tobytes()

    def _head_index(self, head: str) -> int:
        try:
            return self._index[head]
        except KeyError:
            raise KeyError(f"no head {head!r}; heads are {self.heads}") from None

    def _silenced_words(self, silenced: frozenset) -> tuple:
        """(word sequences, {key word: its sequences}): each silenced term as its folded words,
        filed under its longest word, so a post tests one set intersection with the key words
        instead of every sequence (most posts hold none)."""
        got = self._silence_cache.get(silenced)
        if got is None:
            seqs = tuple(sorted({w for w in (F.term_words(t) for t in silenced) if w}))
            by_key: dict = {}
            for seq in seqs:
                by_key.setdefault(max(seq, key=len), []).append(seq)
            got = (seqs, by_key) if seqs else ()
            if len(self._silence_cache) > 64:
                self._silence_cache.clear()
            self._silence_cache[silenced] = got
            # Only ever grows (a thread may still hold a cleared set's words): a new object,
            # so Analysis.holds_any asks again.
            self._silence_keys = self._silence_keys.union(by_key)
        return got

    def threshold(self, head: str) -> float:
        self._head_index(head)
        return self._thresholds[head]

    def analyse(self, text: str, silenced: frozenset = frozenset()) -> Analysis:
        """Features computed once per text (the last one): reused by ``score`` and
        ``explain``, and by every silenced set whose terms the post does not hold."""
        silenced = frozenset(silenced)
        last = self._last
        if last is None or last[0] != text:
            last = self._last = (text, Analysis(self, text), {})
        base, variants = last[1], last[2]
        if not silenced:
            return base
        got = variants.get(silenced)
        if got is None:
            # Rules silencing different terms share one analysis unless the post holds one
            # of their terms: most posts hold none, and then nothing is zeroed.
            words = self._silenced_words(silenced)
            zeroed = base._silenced_occurrences(words) if words and base.holds_any(self._silence_keys) else None
            got = variants[silenced] = self._zeroed_variant(text, zeroed, variants) if zeroed else base
        return got

    def _zeroed_variant(self, text: str, zeroed: dict, variants: dict) -> Analysis:
        """The text's analysis with `zeroed` taken out, one per distinct `zeroed`: the heads'
        silenced sets share most of their terms, so on a post holding one of those terms
        they zero the same occurrences and would each analyse the text alike. Filed in
        `variants` under a tuple key, which no silenced set (a frozenset) equals."""
        key = ("zeroed", frozenset(zeroed.items()))
        got = variants.get(key)
        if got is None:
            got = variants[key] = Analysis(self, text, zeroed)
        return got

    def score(self, text: str, silenced: frozenset = frozenset()) -> dict[str, float]:
        return dict(self.analyse(text, silenced).scores)

    def explain(self, text: str, head: str, k: int | None = None, silenced: frozenset = frozenset()):
        return self.analyse(text, silenced).explain(head, k)

    def applies(self, head: str, election_period: bool = False) -> bool:
        """Whether a head is in force for a post (``pre_election`` only in an election period)."""
        ctx = self.head_context.get(head) or {}
        return not ctx.get("election_period") or election_period

    def flagged(self, text: str, silenced: frozenset = frozenset(), election_period: bool = False) -> dict[str, float]:
        """Heads in force and at or above their threshold → probability."""
        s = self.analyse(text, silenced).scores
        return {h: p for h, p in s.items() if p >= self._thresholds[h] and self.applies(h, election_period)}

    def category(self, scores: dict[str, float], election_period: bool = False) -> str | None:
        """The category head furthest over (or nearest to) its threshold, by p / threshold:
        a name for a finding of the ``political`` head."""
        best, ratio = None, -1.0
        for h in self.heads:
            if h == "political" or not self.applies(h, election_period):
                continue
            r = scores[h] / max(self._thresholds[h], 1e-9)
            if r > ratio:
                best, ratio = h, r
        return best


def _unreadable(path, e: OSError) -> ValueError:
    return ValueError(f"{path}: cannot read model file: {e.strerror or e}")


def read_doc(path: str | Path) -> dict:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise _unreadable(path, e) from None
    try:
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        doc = json.loads(raw.decode("utf-8"))
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: bad model file: not (gzip'd) JSON: {e}") from None
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: bad model file: top level is not an object")
    return doc


@functools.lru_cache(maxsize=8)
def _load_cached(path: str, mtime_ns: int, size: int) -> Model:
    return Model(read_doc(path), path)


def load_model(path: str | Path) -> Model:
    """Load (once per process per file version) a model artifact."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError as e:
        raise _unreadable(p, e) from None
    return _load_cached(str(p.resolve()), st.st_mtime_ns, st.st_size)
