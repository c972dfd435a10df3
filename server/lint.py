"""`impartial lint`: what a rulebook that loads may still get wrong.

The loader refuses what cannot be served (schema, references, unsafe regexes)
and the examples test each rule alone. These checks read the whole rulebook for
the mistakes neither sees: a term kept in two places, a list nothing uses, a
phrase its own exception cancels, two rules underlining the same words, a rule
nobody explained, a list past its review date. Each check is one function,
registered in CHECKS with its kind and level; each problem names where (rule or
list, and the field) and how to fix it. An `error` fails the lint; `advice`
fails it only with --strict.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Callable, Iterable, Iterator

import regex

from .engine import Checker
from .engine.findings import CATEGORIES
from .engine.matchers.model import SKIPS_RETWEETS, marked_lists
from .engine.matchers.patterns import FRAGMENT_REF, LIST_REF
from .engine.prefilter import refusal
from .engine.rulebook import list_terms
from .engine.text import FoldedText

ERROR, ADVICE = "error", "advice"


@dataclass(frozen=True)
class LintProblem:
    kind: str
    level: str
    where: str
    message: str
    hint: str

    def __str__(self) -> str:
        return f"{self.level:<6} {self.kind}  {self.where}: {self.message}\n       fix: {self.hint}"

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Check:
    kind: str
    level: str
    about: str
    fn: Callable[["Context"], Iterable[LintProblem]]


CHECKS: dict[str, Check] = {}


def check(kind: str, level: str, about: str):
    """Register a check: a function of the Context yielding LintProblems."""
    def register(fn):
        CHECKS[kind] = Check(kind, level, about, fn)
        return fn
    return register


def fold(term: str) -> str:
    return " ".join(FoldedText(term).folded.split())


@dataclass
class Context:
    """The rulebook as data (for where things are written) and as a Checker (for what they do)."""

    data: dict
    checker: Checker
    today: dt.date
    corpus: tuple = ()  # (text, platform, election_period) posts the overlap check also runs
    origin: dict = field(default_factory=dict)  # rule id or "list:name" -> the layer that wrote it
    _terms: dict = field(default_factory=dict, repr=False)

    def problem(self, kind: str, where: str, message: str, hint: str, level: str | None = None) -> LintProblem:
        return LintProblem(kind, level or CHECKS[kind].level, where, message, hint)

    @cached_property
    def lists(self) -> dict:
        return self.data.get("lists", {})

    def terms(self, name: str) -> list[str]:
        """A list's own terms, then its lexicon's words."""
        if name not in self._terms:
            self._terms[name] = list_terms(self.data, name) if name in self.lists else []
        return self._terms[name]

    def rule_where(self, index: int, spec: dict) -> str:
        layer = self.origin.get(spec.get("id"))
        # A layered rulebook's indexes are of the composed whole: name the layer instead.
        return f"rule {spec.get('id')!r} ({'layer ' + layer if layer else f'rules[{index}]'})"

    @cached_property
    def fragments(self) -> dict:
        return self.data.get("fragments", {})

    def fragment_refs(self, value) -> list[str]:
        """The lists named inside the fragments a JSON value names ({%name} in a pattern)."""
        return [n for f in _found(FRAGMENT_REF, value) for n in _refs(self.fragments.get(f, {}).get("pattern", ""))]

    def list_where(self, name: str) -> str:
        layer = self.origin.get("list:" + name)
        return f"list {name!r}" + (f" (layer {layer})" if layer else "")

    def expand(self, entries: list, head: str, fld: str, _seen: tuple = (),
               _list: str | None = None) -> Iterator[tuple[str, str, str | None]]:
        """(where, term, the list it is in or None) for a phrase list, {@list} references followed."""
        own = len(self.lists[_list].get("terms", [])) if _list else len(entries)
        for i, entry in enumerate(entries):
            ref = LIST_REF.fullmatch(entry)
            if not ref:
                yield (f"{head} field '{fld}[{i}]'" if i < own else f"{head} field 'lexicon' (the word {entry!r})"), \
                    entry, _list
            elif ref.group(1) in self.lists and ref.group(1) not in _seen:
                name = ref.group(1)
                yield from self.expand(self.terms(name), self.list_where(name), "terms", _seen + (name,), name)

    @cached_property
    def other_readers(self) -> set[str]:
        """Lists a match reads other than as phrases to find (in a pattern, a gate, a barrier),
        directly or through other lists: there the exceptions do not cancel their terms."""
        names = {n for spec in self.data.get("rules", [])
                 for n in _non_phrase_refs(spec["match"]) + self.fragment_refs(spec["match"])}
        todo = list(names)
        while todo:
            for n in _refs(self.lists.get(todo.pop(), {}).get("terms", [])):
                if n not in names:
                    names.add(n)
                    todo.append(n)
        return names


def phrase_fields(match: dict, prefix: str = "match") -> Iterator[tuple[str, list]]:
    """(field, entries) of every phrase list a match finds words with (not its gates or barriers)."""
    if "phrases" in match:
        yield f"{prefix}.phrases", match["phrases"]
    if "near" in match:
        yield f"{prefix}.near.terms", match["near"]["terms"]
        yield f"{prefix}.near.context", match["near"]["context"]
    if "post" in match:
        yield from phrase_fields(match["post"]["match"], f"{prefix}.post.match")


def _rules(ctx: Context) -> Iterator[tuple[int, dict, str]]:
    for index, spec in enumerate(ctx.data.get("rules", [])):
        yield index, spec, ctx.rule_where(index, spec)


# -- the checks ---------------------------------------------------------------

@check("duplicate-term", ADVICE, "a term written twice: in one list, in two lists one rule reads together, "
       "or in two rules' phrases")
def duplicate_terms(ctx: Context) -> Iterator[LintProblem]:
    for name, lst in ctx.lists.items():
        # Read outside phrase fields (a pattern's {@list} is escaped, not folded), terms count as written:
        # there 'Sinn Fein' beside 'Sinn Féin' is two spellings, each needed.
        exact = lst.get("match_case") == "exact" or name in ctx.other_readers
        first: dict[str, str] = {}
        for i, term in enumerate(lst.get("terms", [])):
            key = term if exact else fold(term)
            here = f"{ctx.list_where(name)} field 'terms[{i}]'"
            if key in first:
                yield ctx.problem("duplicate-term", here, f"{term!r} is also at {first[key]}",
                                  "delete one of the two: the list finds the term once either way")
            first.setdefault(key, here)
    yield from _duplicates_in_rules(ctx)


def _duplicates_in_rules(ctx: Context) -> Iterator[LintProblem]:
    """A phrase a rule's field reaches twice (inline, or through two lists), and an
    inline phrase that another rule's phrases repeat. Lists kept apart on purpose
    (a word both an insult and a negative evaluation) are not duplicates: only
    lists that one field reads together are compared."""
    reported: set[tuple[str, str]] = set()
    by_phrase: dict[str, tuple[str, str]] = {}
    for _, spec, where in _rules(ctx):
        for fld, entries in phrase_fields(spec["match"]):
            mine: dict[str, str] = {}
            for w, term, in_list in ctx.expand(entries, where, fld):
                inline = in_list is None
                key = fold(term)  # accents and case are ignored when matching: "Sinn Fein" is "Sinn Féin"
                other = mine.setdefault(key, w)
                same_list = not inline and other.split(" field ")[0] == w.split(" field ")[0]
                if other != w and not same_list and (w, other) not in reported:
                    reported.add((w, other))
                    yield ctx.problem("duplicate-term", w, f"{term!r} is also at {other}"
                                      + ("" if inline else f" (both read by {where} field '{fld}')"),
                                      "delete one of the two: the rule finds the phrase once either way")
                if inline and fld.endswith("phrases"):
                    rid, first = by_phrase.setdefault(key, (spec["id"], w))
                    if rid != spec["id"]:
                        yield ctx.problem("duplicate-term", w, f"{term!r} is also at {first}",
                                          "one rule per phrase: keep it in the rule whose message fits, "
                                          "or move it to a shared list both refer to")


@check("id-category", ERROR, "a rule whose id starts with another category than its own")
def id_category(ctx: Context) -> Iterator[LintProblem]:
    for _, spec, where in _rules(ctx):
        prefix, category = spec["id"].split(".", 1)[0], spec["category"]
        if prefix == category or (prefix == "model" and "model" in spec["match"]):
            continue
        yield ctx.problem(
            "id-category", f"{where} field 'id'",
            f"the id says {prefix!r} but 'category' is {category!r}" if prefix in CATEGORIES else
            f"the id starts {prefix!r}, which is not a category (the category is {category!r})",
            f"use an id starting '{category}.' (ids are never reused: pick the new id before the rule ships) "
            "or correct 'category'")


@check("unused-list", ADVICE, "a list no rule refers to, directly or through another list")
def unused_lists(ctx: Context) -> Iterator[LintProblem]:
    used: set[str] = set()
    todo = [name for _, spec, _ in _rules(ctx) for name in _refs(spec) + ctx.fragment_refs(spec)]
    # the learned layer reads a list marked model_skips_retweets itself
    todo += [name for name, _ in marked_lists(ctx.lists, SKIPS_RETWEETS)]
    while todo:
        name = todo.pop()
        if name in used or name not in ctx.lists:
            continue
        used.add(name)
        todo += _refs(ctx.lists[name])
    for name in ctx.lists:
        if name not in used:
            yield ctx.problem("unused-list", ctx.list_where(name), "no rule refers to it",
                              f"refer to it as '{{@{name}}}' in a rule, or delete it")


@check("unused-fragment", ADVICE, "a fragment no pattern names")
def unused_fragments(ctx: Context) -> Iterator[LintProblem]:
    used = {name for _, spec, _ in _rules(ctx) for name in _found(FRAGMENT_REF, spec)}
    for name in ctx.fragments:
        if name not in used:
            yield ctx.problem("unused-fragment", f"fragment {name!r}", "no pattern names it",
                              f"name it as '{{%{name}}}' in a pattern, or delete it")


def _non_phrase_refs(match: dict) -> list[str]:
    """Lists a match names outside its phrase fields: patterns, term_patterns, barriers, gates."""
    skip = {"phrases"} | ({"post"} if "post" in match else set())
    out = _refs({k: v for k, v in match.items() if k not in skip and k != "near"})
    if "near" in match:
        out += _refs({k: v for k, v in match["near"].items() if k not in ("terms", "context")})
    if "post" in match:
        out += _refs({k: v for k, v in match["post"].items() if k != "match"}) + _non_phrase_refs(match["post"]["match"])
    return out


def _refs(value) -> list[str]:
    """Every {@list} named anywhere in a JSON value (phrases, patterns, exceptions, gates)."""
    return _found(LIST_REF, value)


def _found(ref, value) -> list[str]:
    """Every name `ref` ({@list} or {%fragment}) finds in the strings of a JSON value."""
    if isinstance(value, str):
        return ref.findall(value)
    if isinstance(value, dict):
        return [n for v in value.values() for n in _found(ref, v)]
    if isinstance(value, list):
        return [n for v in value for n in _found(ref, v)]
    return []


@check("exception-cancels", ERROR, "a phrase that its rule's exceptions always cancel")
def exception_cancels(ctx: Context) -> Iterator[LintProblem]:
    """An error when the phrase can never flag (written in the rule, or a list term cancelled in
    every rule that reads the list); advice when the list term still flags in other rules."""
    built = {r.id: r for r in ctx.checker.rulebook.rules}
    readers: dict[str, set] = defaultdict(set)  # where a term is written -> rules reading it
    cancels: dict[str, dict] = defaultdict(dict)  # ... -> rule id -> the exception inside it
    terms: dict[str, tuple[str, str | None]] = {}
    for _, spec, where in _rules(ctx):
        rule = built.get(spec["id"])
        finder = _whole_words({p.folded for p in rule.exceptions}) if rule and rule.exceptions else None
        for fld, entries in phrase_fields(spec["match"]):
            for w, term, in_list in ctx.expand(entries, where, fld):
                readers[w].add(spec["id"])
                terms[w] = (term, in_list)
                hit = finder.search(fold(term)) if finder else None
                if hit:
                    cancels[w][spec["id"]] = hit.group()
    for w, by_rule in cancels.items():
        term, in_list = terms[w]
        # A list a pattern or gate reads still matches the term there (in a hashtag, say).
        dead = in_list is None or (set(by_rule) >= readers[w] and in_list not in ctx.other_readers)
        named = [f"{rid!r} has the exception {exc!r}" for rid, exc in sorted(by_rule.items())]
        said = "; ".join(named[:3]) + (f"; and {len(named) - 3} more rules" if len(named) > 3 else "")
        yield ctx.problem(
            "exception-cancels", w,
            f"{term!r} can never flag ({said})" if dead else
            f"{term!r} is cancelled in {len(by_rule)} of the {len(readers[w])} rules that read it as a phrase "
            f"({said}){'; patterns or gates still read it' if in_list in ctx.other_readers else ''}",
            "remove the phrase, or narrow the exception so it no longer lies inside the phrase"
            + ("" if dead else " (a list's exceptions apply to every rule that reads the list)"),
            level=ERROR if dead else ADVICE)


def _whole_words(phrases: set[str]) -> regex.Pattern:
    """One regex finding any of the phrases as whole words, as the automaton matches them."""
    alts = []
    for p in sorted(phrases, key=len, reverse=True):
        left = r"(?<![\w])" if p[0].isalnum() or p[0] == "_" else ""
        right = r"(?![\w])" if p[-1].isalnum() or p[-1] == "_" else ""
        alts.append(left + regex.escape(p) + right)
    return regex.compile("|".join(alts))


@check("same-span", ADVICE, "two rules that underline exactly the same words (of one category, the officer sees one card)")
def same_span(ctx: Context) -> Iterator[LintProblem]:
    pairs: dict[tuple[str, str], list] = defaultdict(list)
    posts = [(ex.text, ex.platform, ex.election_period) for r in ctx.checker.rules for ex in r.flag_examples]
    for text, platform, election in posts + list(ctx.corpus):
        found = ctx.checker.check(text, platform, election, dedupe=False).findings
        spans: dict[tuple[int, int], list[str]] = defaultdict(list)
        for f in found:
            if not f.supplementary and f.rule_id not in spans[(f.start, f.end)]:
                spans[(f.start, f.end)].append(f.rule_id)
        for (s, e), ids in spans.items():
            for i, a in enumerate(sorted(ids)):
                for b in sorted(ids)[i + 1:]:
                    pairs[(a, b)].append(text[s:e])
    category = {r.id: r.category for r in ctx.checker.rules}
    for (a, b), words in sorted(pairs.items()):
        shown = ", ".join(repr(w) for w in list(dict.fromkeys(words))[:3])
        # The checker keeps one finding per span and category (checker._dedupe).
        sees = ("the officer sees only one card" if category.get(a) == category.get(b) else
                "the officer sees two cards on the same words, one per category")
        yield ctx.problem("same-span", f"rules {a!r} and {b!r}",
                          f"both underline the same words in {len(words)} place(s) of the examples"
                          f"{' and corpus' if ctx.corpus else ''}: {shown}; {sees}",
                          "narrow one rule (an exception for the other's words), or merge them into one rule")


@check("no-description", ADVICE, "a rule without a description of why it exists")
def no_description(ctx: Context) -> Iterator[LintProblem]:
    for _, spec, where in _rules(ctx):
        if not spec.get("description", "").strip():
            yield ctx.problem("no-description", f"{where} field 'description'", "missing",
                              "say why the rule exists and what it must not catch (maintainers read it; "
                              "officers never see it)")


_FLAG_AT = regex.compile(r"\(\?[a-zA-Z]+\)")


def late_flag(source: str) -> tuple[int, str] | None:
    """(position, text) of the flag group Python's parser refuses as 'not at the start', or
    None. That parser reads every pattern's prefilter and anchors (prefilter.parse): what it
    refuses is not prefiltered, whatever the `regex` module makes of it."""
    exc = refusal(source)
    pos = getattr(exc, "pos", None)
    if exc is None or pos is None or "global flags not at the start" not in str(exc):
        return None  # readable, or refused for another reason the loader reports
    # pos counts in the parser's text (\\p{..} classes stood in for): find the group in ours
    m = _FLAG_AT.match(source, pos) or next((m for m in _FLAG_AT.finditer(source) if m.start()), None)
    return (m.start(), m.group()) if m else (pos, "(?...)")


def _pattern_fields(match: dict, prefix: str = "match") -> Iterator[tuple[str, str]]:
    for i, source in enumerate(match.get("patterns", [])):
        yield f"{prefix}.patterns[{i}]", source
    for i, source in enumerate(match.get("near", {}).get("term_patterns", [])):
        yield f"{prefix}.near.term_patterns[{i}]", source
    if "post" in match:
        yield from _pattern_fields(match["post"]["match"], f"{prefix}.post.match")


def _with_fragments(ctx: "Context", source: str) -> str:
    # A flag can come from a fragment: read the pattern as the engine compiles it.
    return FRAGMENT_REF.sub(lambda m: ctx.fragments.get(m.group(1), {}).get("pattern", m.group()), source)


@check("late-inline-flag", ADVICE, "a pattern with a flag group such as (?i) after its start, which the prefilter "
       "cannot read")
def late_inline_flag(ctx: Context) -> Iterator[LintProblem]:
    for _, spec, where in _rules(ctx):
        for fld, source in _pattern_fields(spec["match"]):
            late = late_flag(_with_fragments(ctx, source))
            if late:
                at, flag = late
                yield ctx.problem("late-inline-flag", f"{where} field {fld!r}",
                                  f"{flag} at character {at} (fragments filled in): Python's parser, which reads "
                                  "the prefilters, refuses a flag group after the start, so this pattern is not "
                                  "prefiltered",
                                  f"scope the flag over the part it is for: (?{flag[2:-1]}:...) (moving it to the "
                                  "start would change what the pattern matches)")


@check("review-dates", ERROR, "a list's review dates that are not dates, or in the wrong order")
def review_dates(ctx: Context) -> Iterator[LintProblem]:
    for name, lst in ctx.lists.items():
        dates = {}
        for key in ("reviewed", "review_after"):
            if key in lst:
                try:
                    dates[key] = dt.date.fromisoformat(lst[key])
                except ValueError:
                    yield ctx.problem("review-dates", f"{ctx.list_where(name)} field {key!r}",
                                      f"{lst[key]!r} is not a date", "write it as YYYY-MM-DD")
        if len(dates) == 2 and dates["review_after"] < dates["reviewed"]:
            yield ctx.problem("review-dates", f"{ctx.list_where(name)} field 'review_after'",
                              f"{lst['review_after']} is before 'reviewed' ({lst['reviewed']})",
                              "review_after is when the list next needs checking: a date after 'reviewed'")


@check("review-due", ADVICE, "a list past its review_after date")
def review_due(ctx: Context) -> Iterator[LintProblem]:
    for name, lst in ctx.lists.items():
        try:
            due = dt.date.fromisoformat(lst.get("review_after", ""))
        except ValueError:
            continue  # absent, or reported by review-dates
        if due < ctx.today:
            yield ctx.problem("review-due", f"{ctx.list_where(name)} field 'review_after'",
                              f"due since {due.isoformat()} (last reviewed {lst.get('reviewed', 'never')})",
                              "check every term is still current (new names after an election or reshuffle, "
                              "new slogans and handles), then set 'reviewed' to today and 'review_after' ahead")


# -- running them -------------------------------------------------------------

def lint(data: dict, checker: Checker, today: dt.date | None = None, corpus: Iterable = (),
         origin: dict | None = None) -> list[LintProblem]:
    ctx = Context(data, checker, today or dt.date.today(), tuple(corpus), origin or {})
    return [p for c in CHECKS.values() for p in c.fn(ctx)]


def counts(problems: list[LintProblem]) -> Counter:
    return Counter((p.level, p.kind) for p in problems)


def summary(problems: list[LintProblem]) -> str:
    """One line per level: how many of each kind."""
    c = counts(problems)
    lines = []
    for level in (ERROR, ADVICE):
        kinds = [f"{n} {kind}" for (lv, kind), n in sorted(c.items()) if lv == level]
        lines.append(f"{sum(n for (lv, _), n in c.items() if lv == level)} {level}"
                     + (f": {', '.join(kinds)}" if kinds else ""))
    return "; ".join(lines)
