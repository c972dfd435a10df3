"""The Checker: one compiled rulebook, checking one post at a time.

Compile once: every phrase of every rule (phrases, near terms and contexts,
exceptions) goes into a single Aho-Corasick automaton over folded text, so a
check is one pass over the post whatever the size of the rulebook. Each
automaton entry knows which rule slots it feeds. Regexes run only for the
rules that need them, each with a timeout. Metric rules measure the post.

Per check: fold -> one automaton pass -> word-boundary and case filters ->
exceptions -> per-rule logic (phrase, near, pattern, metric) -> findings.
"""

from __future__ import annotations

import bisect
import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field

import ahocorasick_rs
import regex

from . import metrics
from .findings import ADVISORY_CATEGORIES, SEVERITY_RANK, Finding
from .platforms import PLATFORMS, Length, measure
from .prefilter import PostScan, PrefilterIndex
from .readability import readability
from .rulebook import Rule, Rulebook
from .text import FoldedText, Utf16Offsets

log = logging.getLogger(__name__)

# Rule slots: each rule owns four phrase sets in the automaton.
PHRASES, TERMS, CONTEXT, EXCEPTIONS = range(4)

_WORD = regex.compile(r"\w+")
_SENTENCE_END = regex.compile(r"[.!?]+(?=[\s\"')\]]|$)|\n")


class _Fmt(dict):
    def __missing__(self, key):
        return "{" + key + "}"


@dataclass(slots=True)
class CheckResult:
    text: str
    platform: str
    findings: list[Finding]
    length: Length
    readability: dict
    rulebook: Rulebook
    incomplete: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        worst = max((SEVERITY_RANK[f.severity] for f in self.findings), default=0)
        return ("pass", "warn", "block")[worst]

    def flagged(self, categories_advisory: frozenset = ADVISORY_CATEGORIES) -> bool:
        """At least one warn/block finding in a non-advisory category."""
        return any(f.severity != "info" and f.category not in categories_advisory for f in self.findings)

    def to_json(self) -> dict:
        utf16 = Utf16Offsets(self.text)
        out = {
            "verdict": self.verdict,
            "findings": [f.to_json(self.text, utf16) for f in self.findings],
            "metrics": {
                "length": self.length.to_json(),
                "readability": self.readability,
            },
            "rulebook": {"version": self.rulebook.version, "rules": len(self.rulebook.rules),
                         "digest": self.rulebook.digest},
        }
        if self.incomplete:
            out["incomplete"] = self.incomplete
        return out


class Checker:
    def __init__(self, rulebook: Rulebook, regex_timeout: float = 0.05):
        self.rulebook = rulebook
        self.rules = [r for r in rulebook.rules if r.enabled]
        self.regex_timeout = regex_timeout
        self._active_cache: dict = {}
        self._compile()

    # -- compile --------------------------------------------------------------
    def _compile(self) -> None:
        keys: dict[str, int] = {}
        targets: list[list] = []
        for ri, rule in enumerate(self.rules):
            for role, phrases in ((PHRASES, rule.phrases), (TERMS, rule.near_terms),
                                  (CONTEXT, rule.near_context), (EXCEPTIONS, rule.exceptions)):
                slot = ri * 4 + role
                for p in phrases:
                    k = keys.get(p.folded)
                    if k is None:
                        k = keys[p.folded] = len(targets)
                        targets.append([])
                    entry = (slot, p.match_case, p.text)
                    if entry not in targets[k]:
                        targets[k].append(entry)
        self._keys = list(keys)
        # Word boundaries are required only where a phrase begins or ends with a
        # word character: "#votelabour" may follow anything but a letter.
        self._needs_left = [k[0].isalnum() or k[0] == "_" for k in self._keys]
        self._needs_right = [k[-1].isalnum() or k[-1] == "_" for k in self._keys]
        self._targets = [tuple(t) for t in targets]
        self._automaton = (
            ahocorasick_rs.AhoCorasick(self._keys, matchkind=ahocorasick_rs.MatchKind.Standard)
            if self._keys else None
        )
        self._always = [ri for ri, r in enumerate(self.rules) if r.kind in ("patterns", "metric")]
        # Each pattern with what it cannot match without (see prefilter.py).
        patterns = [(ri, p) for ri, r in enumerate(self.rules) if r.kind == "patterns" for p in r.patterns]
        self._prefilter_index = PrefilterIndex([p.pattern for _, p in patterns])
        plans: dict[int, list] = {}
        for (ri, p), pf in zip(patterns, self._prefilter_index.prefilters):
            plans.setdefault(ri, []).append((p, pf))
        self._pattern_plans = {ri: tuple(v) for ri, v in plans.items()}
        self.phrase_count = len(self._keys)

    def _active(self, platform: str, election_period: bool) -> frozenset:
        today = dt.date.today()
        key = (platform, election_period, today)
        got = self._active_cache.get(key)
        if got is None:
            if len(self._active_cache) > 64:
                self._active_cache.clear()
            got = frozenset(ri for ri, r in enumerate(self.rules) if r.applies(platform, election_period, today))
            self._active_cache[key] = got
        return got

    # -- check ----------------------------------------------------------------
    def check(self, text: str, platform: str = "generic", election_period: bool = False,
              dedupe: bool = True) -> CheckResult:
        """Check one post. `dedupe=False` keeps every rule's finding even where
        several rules flag the same span (the example runner needs that)."""
        if platform not in PLATFORMS:
            raise ValueError(f"unknown platform {platform!r}")
        folded = FoldedText(text)
        hits = self._phrase_hits(folded)
        active = self._active(platform, election_period)
        length = measure(text, platform)
        reading = readability(text)
        findings: list[Finding] = []
        incomplete: list[str] = []
        candidates = {slot // 4 for slot in hits} | set(self._always)
        lazy = _Lazy(folded.folded)
        chars = self._prefilter_index.scan(text)
        for ri in sorted(candidates):
            if ri not in active:
                continue
            rule = self.rules[ri]
            exc = hits.get(ri * 4 + EXCEPTIONS, ())
            kind = rule.kind
            if kind == "phrases":
                spans = _keep(hits.get(ri * 4 + PHRASES, ()), exc)
                for s, e in _merge_overlaps(spans):
                    f = self._finding(rule, *folded.to_original(s, e))
                    if rule.swap:
                        swap = rule.swap.get(folded.folded[s:e])
                        if swap is not None:
                            f.replacements = [_match_case(text[f.start:f.end], swap)]
                    findings.append(f)
            elif kind == "near":
                terms = _keep(hits.get(ri * 4 + TERMS, ()), exc)
                context = _keep(hits.get(ri * 4 + CONTEXT, ()), exc)
                if terms and context:
                    for s, e in _merge_overlaps(self._near(rule, terms, context, lazy)):
                        findings.append(self._finding(rule, *folded.to_original(s, e)))
            elif kind == "patterns":
                try:
                    spans = self._patterns(ri, rule.group, text, chars)
                except TimeoutError:
                    # Never the whole check for one slow pattern; say which rule.
                    log.warning("rule %s: regex timed out after %.3fs", rule.id, self.regex_timeout)
                    incomplete.append(rule.id)
                    continue
                if spans:
                    if exc:
                        exc_orig = [folded.to_original(s, e) for s, e in exc]
                        spans = [se for se in spans if not _overlaps_any(*se, exc_orig)]
                    for s, e in _merge_overlaps(spans):
                        findings.append(self._finding(rule, s, e))
            else:
                name = rule.metric["name"]
                for s, e, figures in metrics.measure(name, rule.metric, text, length, reading):
                    scope = "post" if name in metrics.POST_SCOPED else "span"
                    findings.append(self._finding(rule, s, e, figures, scope))
        findings = _dedupe(findings) if dedupe else sorted(findings, key=lambda f: (f.start, -f.end))
        return CheckResult(text, platform, findings, length, reading, self.rulebook, incomplete)

    def _phrase_hits(self, folded: FoldedText) -> dict[int, list[tuple[int, int]]]:
        hits: dict[int, list] = defaultdict(list)
        if self._automaton is None:
            return hits
        f = folded.folded
        n = len(f)
        original = folded.original
        needs_left, needs_right, targets = self._needs_left, self._needs_right, self._targets
        for k, s, e in self._automaton.find_matches_as_indexes(f, overlapping=True):
            if s > 0 and needs_left[k]:
                c = f[s - 1]
                if c.isalnum() or c == "_":
                    continue
            if e < n and needs_right[k]:
                c = f[e]
                if c.isalnum() or c == "_":
                    continue
            for slot, case, written in targets[k]:
                if case != "any":
                    os_, oe = folded.to_original(s, e)
                    if case == "initial":
                        if not original[os_].isupper():
                            continue
                    elif original[os_:oe] != written:
                        continue
                hits[slot].append((s, e))
        return hits

    def _near(self, rule: Rule, terms, context, lazy: "_Lazy"):
        starts, boundaries = lazy.word_starts, lazy.sentence_ends
        within, side = rule.within, rule.side
        for ts, te in terms:
            best = None
            for cs, ce in context:
                if cs < te and ts < ce:
                    continue  # the same words cannot be both term and context
                before = ce <= ts
                if (side == "before" and not before) or (side == "after" and before):
                    continue
                gap_lo, gap_hi = (ce, ts) if before else (te, cs)
                words_between = bisect.bisect_left(starts, gap_hi) - bisect.bisect_left(starts, gap_lo)
                if words_between > within:
                    continue
                if rule.same_sentence and bisect.bisect_left(boundaries, gap_hi) != bisect.bisect_left(boundaries, gap_lo):
                    continue  # a sentence ends in between
                if best is None or (words_between, cs - ce) < (best[0], best[1] - best[2]):
                    best = (words_between, cs, ce)
            if best is None:
                continue
            _, cs, ce = best
            if rule.span == "term":
                yield ts, te
            elif rule.span == "context":
                yield cs, ce
            else:
                yield min(ts, cs), max(te, ce)

    def _patterns(self, ri: int, group, text: str, chars: PostScan) -> list:
        spans = []
        timeout = self.regex_timeout
        for pat, pf in self._pattern_plans[ri]:
            if pf is not None and not pf.admits(chars):
                continue
            for m in pat.finditer(text, timeout=timeout):
                s, e = m.span(group)
                if e > s:
                    spans.append((s, e))
        return spans

    @staticmethod
    def _finding(rule: Rule, start: int, end: int, figures: dict | None = None,
                 scope: str = "span") -> Finding:
        message = rule.message.format_map(_Fmt(figures)) if figures else rule.message
        return Finding(rule.id, rule.category, rule.severity, start, end, message,
                       rule.guidance, rule.suggestions, scope)


def _match_case(original: str, replacement: str) -> str:
    """'Activist lawyers' -> 'Lawyers': keep a leading capital the officer typed."""
    if replacement and original[:1].isupper() and replacement[:1].islower():
        return replacement[0].upper() + replacement[1:]
    return replacement


class _Lazy:
    """Word and sentence positions, computed only when a near rule needs them."""

    __slots__ = ("text", "_starts", "_ends")

    def __init__(self, text: str):
        self.text = text
        self._starts = None
        self._ends = None

    @property
    def word_starts(self) -> list[int]:
        if self._starts is None:
            self._starts = [m.start() for m in _WORD.finditer(self.text)]
        return self._starts

    @property
    def sentence_ends(self) -> list[int]:
        if self._ends is None:
            self._ends = [m.start() for m in _SENTENCE_END.finditer(self.text)]
        return self._ends


def _overlaps_any(s: int, e: int, spans) -> bool:
    return any(s < xe and xs < e for xs, xe in spans)


def _keep(spans, exceptions) -> list:
    if not exceptions:
        return list(spans)
    return [(s, e) for s, e in spans if not _overlaps_any(s, e, exceptions)]


def _merge_overlaps(spans) -> list:
    """One span per run of overlapping hits of a rule: their union, so
    "the so-called" and "so-called experts" underline "the so-called experts"."""
    out: list = []
    for s, e in sorted(set(spans)):
        if out and s < out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """One finding per span (the most severe), ordered by position."""
    best: dict[tuple[int, int], Finding] = {}
    for f in findings:
        key = (f.start, f.end)
        old = best.get(key)
        if old is None or SEVERITY_RANK[f.severity] > SEVERITY_RANK[old.severity]:
            best[key] = f
    return sorted(best.values(), key=lambda f: (f.start, -f.end, -SEVERITY_RANK[f.severity]))
