"""`patterns`: regular expressions on the original text, each under a timeout.

Patterns are refused at load when they can backtrack catastrophically (see
regex_safety.py). The checker computes a prefilter per pattern (what a match
cannot do without, prefilter.py) so most posts skip most patterns.
"""

from __future__ import annotations

import re

import regex

from ..alternation import in_lookbehind
from ..anchors import anchored_finditer
from ..compile_cache import CACHE
from ..regex_safety import check_pattern, timed_finditer
from .base import Hit, Matcher, merge_overlaps

LIST_REF = re.compile(r"\{@([a-z][a-z0-9_]*)\}")
# {%name}: a shared piece of pattern from the rulebook's `fragments` (an actor, a clause
# edge), written once and expanded where patterns name it, before their lists.
FRAGMENT_REF = re.compile(r"\{%([a-z][a-z0-9_]*)\}")

# Compiled patterns and their safety verdicts come from the compile cache (compile_cache.py):
# a reload, a test's edited copy of the rulebook or a new worker compiles only the patterns
# that changed. Parsing is most of a cold load (seconds for the shipped rulebook), and
# regex's own cache holds 500 patterns and misses on a second load. A failed compile is not
# kept, so its problem is reported on every load.
def _compiled(source: str):
    return CACHE.get("regex", source, lambda: regex.compile(source, regex.V0))


def _verdict(source: str, compiled) -> str | None:
    # keyed by both: the probes run the compiled (factored) form, the parse reads the source
    key = source + "\0" + compiled.pattern
    return CACHE.get("verdict", key, lambda: check_pattern(source, compiled))


def compile_patterns(sources, group, ctx, where: str) -> list:
    """[(source, compiled)]: the source with its lists written plainly (what the prefilter
    and the safety check read) and the pattern compiled with them factored (the same
    matches, faster: alternation.py; inside a lookbehind on their last characters)."""
    compiled = []
    for i, source in enumerate(sources):
        field_where = f"{where} field 'match.patterns[{i}]'"
        if "{%" in source:
            source = FRAGMENT_REF.sub(lambda mo: _fragment(mo.group(1), ctx, field_where), source)

        def sub(mo, field_where=field_where, fast=False, source=source):
            behind = fast and in_lookbehind(source, mo.start())
            expansion = ctx.list_regex(mo.group(1), fast, behind)
            if expansion is None:
                ctx.problem(field_where, f"unknown list '@{mo.group(1)}'")
                return "(?!)"
            return expansion

        expanded = LIST_REF.sub(sub, source)
        fast = LIST_REF.sub(lambda mo: sub(mo, fast=True), source) if LIST_REF.search(source) else expanded
        try:
            try:
                pat = _compiled(fast)  # only non-capturing groups added: the same groups
            except (regex.error, ValueError):
                pat = _compiled(expanded)  # its error, placed in the source as written
        # ValueError: what the module raises for flags it cannot combine, as (?V1) with our V0
        except (regex.error, ValueError) as exc:
            pos = f" at position {exc.pos}" if getattr(exc, "pos", None) is not None else ""
            ctx.problem(field_where, f"invalid regular expression{pos}: {getattr(exc, 'msg', exc)}")
            continue
        danger = _verdict(expanded, pat)
        if danger:
            ctx.problem(field_where, danger)
            continue
        if isinstance(group, int) and group > pat.groups:
            ctx.problem(f"{where} field 'match.group'", f"the pattern has only {pat.groups} groups")
            continue
        if isinstance(group, str) and group not in pat.groupindex:
            ctx.problem(f"{where} field 'match.group'", f"the pattern has no group named {group!r}")
            continue
        compiled.append((expanded, pat))
    return compiled


def _fragment(name: str, ctx, where: str) -> str:
    got = ctx.fragments.get(name)
    if got is None:
        ctx.problem(where, f"unknown fragment '%{name}'")
        return "(?!)"
    # Grouped, so an alternation inside never swallows the pattern around it.
    return "(?:" + got["pattern"] + ")"


class PlanIndex:
    """A matcher's (pattern, prefilter) plans filed by prefilter id, so a post reaches the few
    plans its prefilters admit by one set intersection: a typical post runs a dozen pattern
    rules of ~8 patterns each, and testing every plan cost more than some of the scans."""

    __slots__ = ("plans", "_ids", "_at", "_open", "shared")

    def __init__(self, plans: list):
        self.plans = plans
        # ids of its patterns that another rule runs too (share_scans): their matches are kept
        # on the post, so the second rule reads the first one's scan
        self.shared = frozenset()
        self._at = {pf.id: i for i, (_, pf) in enumerate(plans) if pf is not None}
        self._ids = frozenset(self._at)
        self._open = [i for i, (_, pf) in enumerate(plans) if pf is None]  # run on every post

    @staticmethod
    def of(matcher) -> "PlanIndex":
        """The matcher's index (Planned files it whenever `plans` is set)."""
        return matcher._plan_index

    def admitted(self, admitted) -> list:
        """The plans to run, in their order in `plans`."""
        got = self._ids.intersection(admitted)
        if not got:
            return [self.plans[i] for i in self._open]
        at, plans = self._at, self.plans
        if len(got) == 1 and not self._open:
            for i in got:
                return [plans[at[i]]]
        return [plans[i] for i in sorted([at[i] for i in got] + self._open)]


class Planned:
    """A matcher that runs (pattern, prefilter) plans: setting `plans` (at build, when the
    checker attaches the prefilters, or in a test) files them in a PlanIndex once, so the
    per-post path reads the index as it is."""

    @property
    def plans(self) -> list:
        return self._plan_index.plans

    @plans.setter
    def plans(self, plans: list) -> None:
        self._plan_index = PlanIndex(plans)


def plan_matches(post, index: PlanIndex) -> list:
    """The matches of each pattern of `index` that the post's prefilters admit, pattern by
    pattern; an anchored one is tried only where its leading literals start (anchors.py).
    A list, not a generator: most posts run a dozen pattern rules, and generators per rule
    cost more than the scans of the patterns most admit.
    A pattern more than one rule runs (index.shared: the capitals patterns of tone.shouting
    and tone.raised-voice, which scan the longest posts) is scanned once per post, its matches
    filed on the post's memo by the pattern's id (the memo lives for one check, the matchers
    holding the pattern for longer); a scan that times out files nothing."""
    shared, memo = index.shared, post.memo
    out = []
    for pat, pf in index.admitted(post.scan.runnable):
        if shared and id(pat) in shared:
            key = ("matches", id(pat))
            got = memo.get(key)
            if got is None:
                got = memo[key] = list(_scan(post, pat, pf))
            out += got
        else:
            out += _scan(post, pat, pf)
    return out


def _scan(post, pat, pf):
    """The pattern's matches in the post: from where its anchor's literals start, if it has one."""
    starts = post.scan.starts(pf.anchor) if pf is not None and pf.anchor is not None else None
    if starts is None:
        return timed_finditer(pat, post.text, post.regex_timeout)
    return anchored_finditer(pat, post.text, starts, post.regex_timeout) if starts else ()


def share_scans(indexes) -> None:
    """Mark in each PlanIndex the patterns (by object: the compile cache gives one per source)
    that another index runs too: plan_matches then scans each once per post."""
    indexes = list(indexes)
    seen: dict[int, int] = {}
    for index in indexes:
        for pid in {id(pat) for pat, _ in index.plans}:
            seen[pid] = seen.get(pid, 0) + 1
    for index in indexes:
        index.shared = frozenset(id(pat) for pat, _ in index.plans if seen[id(pat)] > 1)


class PatternMatcher(Planned, Matcher):
    kind = "patterns"
    always = True
    exceptions_after = True

    def __init__(self, patterns: list, group, sources: list | None = None):
        self.patterns = patterns
        self.sources = sources if sources is not None else [p.pattern for p in patterns]
        self.group = group
        self.plans = [(p, None) for p in patterns]

    @classmethod
    def build(cls, spec, ctx, where):
        group = spec.get("group", 0)
        compiled = compile_patterns(spec["patterns"], group, ctx, where)
        return cls([p for _, p in compiled], group, [s for s, _ in compiled])

    def regex_sources(self):
        return list(self.sources)

    def attach_prefilters(self, prefilters):
        self.plans = list(zip(self.patterns, prefilters))

    def gate(self):
        # Only a pattern with a prefilter can be ruled out before it runs.
        if any(pf is None for _, pf in self.plans):
            return None
        return tuple(pf.id for _, pf in self.plans)

    def find(self, post, hits):
        spans = []
        group = self.group
        for m in plan_matches(post, self._plan_index):
            s, e = m.span(group)
            if e > s:
                spans.append((s, e))
        if not spans:
            return []
        return [Hit(s, e) for s, e in merge_overlaps(spans)]

    def describe(self):
        return {"kind": self.kind, "patterns": len(self.patterns)}
