"""The interface every kind of match implements.

A rule's `match` names one kind ("phrases", "near", "patterns", "metric",
...). Each kind is a class here: `build` turns the rule's spec into a matcher
(reporting problems through the build context), `phrase_sets` hands the
checker the phrases to put into the one shared automaton, and `find` reads
an analysed `Post` plus the automaton's hits for this rule and yields `Hit`s
in code points of the original text. Adding a kind is adding a class and its
schema; the checker and the rulebook loader do not change.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import ClassVar, Iterable, Protocol

from ..post import Post


@dataclass(slots=True)
class Hit:
    """One span a matcher found, in code points of the original text."""

    start: int
    end: int
    figures: dict | None = None  # values for {placeholders} in the message
    replacements: tuple[str, ...] = ()
    scope: str = "span"  # "post" when it is about the whole post
    why: str | None = None  # what matched, for `explain` and model findings
    category: str | None = None  # overrides the rule's category (a model head naming one)
    tentative: bool = False  # a model hit under its rule's bar for underlining beside a rule
    # a model hit under its head's threshold but over its `beside_flag` bar: it names its
    # category only beside another finding that flags the post (Checker._run)
    conditional: bool = False
    # a model hit found where a rule already names its category (Matcher.find_unshown): not
    # shown, so about the post with no words chosen; it claims no span from a hint (_dedupe)
    unshown: bool = False


class BuildContext(Protocol):
    """What the rulebook loader offers a matcher while it is built."""

    def problem(self, where: str, msg: str) -> None: ...
    def expand(self, entries, where: str, inflect: bool, match_case: str, hashtags: bool = False) -> list: ...
    def list_regex(self, name: str, fast: bool = False) -> str | None: ...
    def list_terms(self, name: str) -> list[str] | None: ...
    base_dir: str  # folder of the rulebook file: relative paths in a rule start there


class RuleHits:
    """The automaton's hits for one rule, by role, in folded coordinates."""

    __slots__ = ("_hits", "_slots", "exceptions")

    def __init__(self, hits: dict, slots: dict):
        self._hits = hits
        self._slots = slots
        self.exceptions = hits.get(slots.get("exceptions"), ()) if "exceptions" in slots else ()

    def raw(self, role: str) -> list:
        slot = self._slots.get(role)
        return self._hits.get(slot, []) if slot is not None else []

    def kept(self, role: str) -> list:
        """Hits of `role` that no exception of the rule overlaps."""
        return not_overlapping(self.raw(role), self.exceptions)


class Matcher:
    kind: ClassVar[str]
    # Runs on every post, not only when the automaton saw one of its phrases.
    always: ClassVar[bool] = False
    # Exceptions cancel the spans found (phrase kinds drop cancelled hits earlier instead).
    exceptions_after: ClassVar[bool] = False
    # Its findings back the rules up: the response names their category only where no rule
    # does, and lists them about the post where a rule already underlines their words.
    supplementary: ClassVar[bool] = False
    # A supplementary finding that only guesses its category (the model's generic head):
    # underlined only where nothing more specific speaks for a breach.
    generic: bool = False
    # Its findings stand only beside another finding that speaks for a breach, a rule's or the
    # model's (match.post.with_breach):
    # capitals alone are a police appeal's emphasis; in a post that attacks, they raise the voice.
    with_breach: bool = False

    @classmethod
    def build(cls, spec: dict, ctx: BuildContext, where: str) -> "Matcher":
        raise NotImplementedError

    def phrase_sets(self) -> dict[str, tuple]:
        """role -> phrases this matcher needs the automaton to find."""
        return {}

    def list_references(self) -> list[str]:
        """Entries that may be {@list} references (their list exceptions apply)."""
        return []

    def regex_sources(self) -> list[str]:
        """Regexes whose prefilters the checker should compute (see prefilter.py)."""
        return []

    def attach_prefilters(self, prefilters: list) -> None:
        pass

    def needs(self) -> tuple:
        """Roles (phrase_sets keys) each of which must have an automaton hit for `find` to
        return anything: the checker does not call it on a post missing one."""
        return ()

    def gate(self) -> tuple | None:
        """Ids of prefilters one of which must admit a post for `find` to return anything
        (None: no such gate). The checker then calls `find` only on posts that pass."""
        return None

    def screen(self) -> type | None:
        """A class whose instance, built once over every rule whose matcher names it (as
        cls([(rule index, matcher), ...])), answers per post `quiet(post, among)`: the rule
        indexes of `among` whose `find` would return nothing. The checker then calls `find`
        only for the others: one call for a family of rules that share their work on a post
        (the model's heads), instead of one per rule. None: no screen."""
        return None

    def find(self, post: Post, hits: RuleHits) -> Iterable[Hit]:
        raise NotImplementedError

    # find_unshown(post, hits), where a supplementary matcher has one: what `find` finds where a
    # rule already names the rule's category, so the response will not show it: the same
    # verdict, about the post, without the work of choosing words no one will see.
    find_unshown = None

    def describe(self) -> dict:
        """What GET /v1/rules and `explain` may show about the match."""
        return {"kind": self.kind}


def not_overlapping(spans, exceptions, key=None) -> list:
    """The spans (or items, with `key` giving their span) that overlap no
    exception, in O((n + m) log m): a post repeating a phrase and its
    exception thousands of times stays linear."""
    if not exceptions or not spans:
        return list(spans)
    exc = sorted(exceptions)
    starts = [xs for xs, _ in exc]
    reach, furthest = [], -1
    for _, xe in exc:
        furthest = max(furthest, xe)
        reach.append(furthest)
    out = []
    for item in spans:
        s, e = key(item) if key else item
        i = bisect.bisect_left(starts, e)  # exceptions starting before the span ends
        if i == 0 or reach[i - 1] <= s:
            out.append(item)
    return out


def merge_overlaps(spans) -> list:
    """One span per run of overlapping hits: "the so-called" and "so-called
    experts" underline "the so-called experts"."""
    out: list = []
    for s, e in sorted(set(spans)):
        if out and s < out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out
