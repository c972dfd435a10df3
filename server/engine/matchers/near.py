"""`near`: a term with a context phrase within a few words, linear in the post.

Each term looks only at the context hits inside its window: context hits are
sorted by position once, and a bisect finds the few that can be near enough.
The candidates examined per term are capped, so the cost of a rule is
O(hits x log hits) whatever the post repeats.
"""

from __future__ import annotations

import bisect

from .base import Hit, Matcher, merge_overlaps, not_overlapping
from .patterns import Planned, compile_patterns, plan_matches

# Candidates examined per term at most: a window of 30 words holds far fewer
# distinct context hits in any real post.
MAX_CANDIDATES = 64


class NearMatcher(Planned, Matcher):
    kind = "near"

    def __init__(self, terms, context, within, side, span, boundary, refs, barriers=(), term_patterns=(),
                 term_sources=None):
        self.terms = terms
        self.term_patterns = term_patterns
        # the sources with plain lists, for the prefilter (patterns.compile_patterns)
        self.term_sources = term_sources if term_sources is not None else [p.pattern for p in term_patterns]
        self.plans = [(p, None) for p in term_patterns]
        self.context = context
        self.barriers = barriers
        self.within = within
        self.side = side
        self.span = span
        self.boundary = boundary  # "sentence", "clause" or None
        self.refs = refs

    @classmethod
    def build(cls, spec, ctx, where):
        near = spec["near"]
        inflect, case = spec.get("inflect", True), spec.get("match_case", "any")
        terms = tuple(ctx.expand(near["terms"], f"{where} field 'match.near.terms'", inflect, case))
        context = tuple(ctx.expand(near["context"], f"{where} field 'match.near.context'", inflect, case))
        if near.get("same_clause"):
            boundary = "clause"
        elif near.get("same_sentence", True):
            boundary = "sentence"
        else:
            boundary = None
        barriers = tuple(ctx.expand(near.get("barriers", []), f"{where} field 'match.near.barriers'", inflect, "any"))
        compiled = compile_patterns(near.get("term_patterns", []), 0, ctx, f"{where} field 'match.near.term_patterns'")
        return cls(terms, context, near.get("within", 4), near.get("side", "either"), near.get("span", "both"),
                   boundary, list(near["terms"]) + list(near["context"]), barriers, [p for _, p in compiled],
                   [s for s, _ in compiled])

    def regex_sources(self):
        return list(self.term_sources)

    def attach_prefilters(self, prefilters):
        self.plans = list(zip(self.term_patterns, prefilters))

    def pattern_terms(self, post) -> list:
        """Term spans from `term_patterns` (run on the original text), in folded coordinates."""
        out = []
        for m in plan_matches(post, self._plan_index):
            if m.end() > m.start():
                out.append(post.folded.to_folded(*m.span()))
        return out

    def phrase_sets(self):
        return {"terms": self.terms, "context": self.context, "barriers": self.barriers}

    def needs(self):
        return ("context",) if self.plans else ("context", "terms")

    def list_references(self):
        return self.refs

    def find(self, post, hits):
        context = hits.kept("context")
        if not context:
            return
        terms = hits.kept("terms")
        if self.plans:
            terms += not_overlapping(self.pattern_terms(post), hits.exceptions)
        if not terms:
            return
        barriers = sorted(s for s, _ in hits.raw("barriers"))
        spans = [self.output(t, c) for t, c in self.pairs(post, terms, context, barriers)]
        for s, e in merge_overlaps(spans):
            yield Hit(*post.to_original(s, e))

    def output(self, term, ctx):
        if self.span == "term":
            return term
        if self.span == "context":
            return ctx
        return min(term[0], ctx[0]), max(term[1], ctx[1])

    def pairs(self, post, terms, context, barriers=()):
        """(term, nearest context) for each term that has one in its window."""
        starts = post.word_starts
        bounds = (post.sentence_ends if self.boundary == "sentence"
                  else post.clause_ends if self.boundary == "clause" else [])
        # Sentence or clause ends and barrier words both separate a pair.
        walls = sorted(bounds + list(barriers)) if barriers else bounds
        by_end = sorted(context, key=lambda c: c[1])
        ends = [c[1] for c in by_end]
        by_start = sorted(context)
        begins = [c[0] for c in by_start]
        within, side = self.within, self.side
        for ts, te in set(terms):
            best = None
            w = bisect.bisect_left(starts, ts)  # words before the term
            if side != "after":
                # Context before: at most `within` word starts in [ce, ts).
                lo = bisect.bisect_right(ends, starts[w - within - 1]) if w - within - 1 >= 0 else 0
                hi = bisect.bisect_right(ends, ts)
                best = self._best(by_end[max(lo, hi - MAX_CANDIDATES):hi], ts, te, True, starts, walls, best, post)
            if side != "before":
                # Context after: at most `within` word starts in [te, cs).
                w_end = bisect.bisect_left(starts, te)
                limit = starts[w_end + within] if w_end + within < len(starts) else None
                lo = bisect.bisect_left(begins, te)
                hi = bisect.bisect_right(begins, limit) if limit is not None else len(begins)
                best = self._best(by_start[lo:min(hi, lo + MAX_CANDIDATES)], ts, te, False, starts, walls, best, post)
            if best is not None:
                yield (ts, te), best[2]

    def _best(self, candidates, ts, te, before, starts, walls, best, post):
        post.work["near_pairs"] += len(candidates)
        for cs, ce in candidates:
            if cs < te and ts < ce:
                continue  # the same words cannot be both term and context
            gap_lo, gap_hi = (ce, ts) if before else (te, cs)
            between = bisect.bisect_left(starts, gap_hi) - bisect.bisect_left(starts, gap_lo)
            if between > self.within:
                continue
            if walls and bisect.bisect_left(walls, gap_hi) != bisect.bisect_left(walls, gap_lo):
                continue  # a sentence or clause ends, or a barrier word stands, in between
            key = (between, cs - ce)
            if best is None or key < best[:2]:
                best = (between, cs - ce, (cs, ce))
        return best

    def describe(self):
        return {"kind": self.kind, "within": self.within, "side": self.side, "boundary": self.boundary}
