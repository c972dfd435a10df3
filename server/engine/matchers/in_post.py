"""`post`: another match, kept only when the whole post says something else too.

Some breaches depend on what the rest of the post establishes. "The thug who
attacked..." prejudges a trial only once someone has been arrested or charged,
and not once they have been convicted; the words that say so can be several
sentences away from the words to underline. `post` wraps any other kind of
match (its `match`) and keeps a hit only when

- `requires`: at least one of these phrases occurs anywhere in the post
  (empty or absent: no requirement), and
- `excludes`: none of these phrases occurs anywhere in the post outside the
  hit itself (a previous conviction named inside the hit, "who was jailed for
  burglary in 2019", is the breach, not a reason to cancel it), and
- `with_breach`: another finding in the post, a rule's or the model's, speaks for a breach (the
  checker keeps or drops these hits once every rule has run: `Checker.check`),
  and no finding of the hit's own category already covers its words.

Requires and excludes are phrases in the shared automaton (with {@list}
references), so the gate costs nothing when the post has none of them: with
`requires`, the rule runs only on posts where the automaton saw one.
"""

from __future__ import annotations

from .base import Matcher, RuleHits

_INNER = "inner."


class _InnerHits(RuleHits):
    """The wrapped matcher's view of the rule's hits: its own roles, unprefixed."""

    def __init__(self, outer: RuleHits):
        self._outer = outer
        self.exceptions = outer.exceptions

    def raw(self, role: str) -> list:
        return self._outer.raw(_INNER + role)


class PostMatcher(Matcher):
    kind = "post"

    def __init__(self, inner: Matcher, requires: tuple, excludes: tuple, refs: list, with_breach: bool = False):
        self.inner = inner
        self.with_breach = with_breach
        self.requires = requires
        self.excludes = excludes
        self.refs = refs
        # Without a requirement the rule runs whenever the wrapped match would.
        self.always = inner.always and not requires
        self.exceptions_after = inner.exceptions_after

    @classmethod
    def build(cls, spec, ctx, where):
        from . import KINDS  # the registry imports this module

        gate = spec["post"]
        inner_spec = gate["match"]
        kinds = [k for k in KINDS if k in inner_spec]
        if len(kinds) != 1:
            ctx.problem(f"{where} field 'match.post.match'",
                        f"needs exactly one of {', '.join(KINDS)}; found {', '.join(kinds) or 'none'}")
            kinds = ["phrases"]
            inner_spec = {"phrases": []}
        inner = KINDS[kinds[0]].build(inner_spec, ctx, f"{where} (inside 'match.post')")
        inflect = gate.get("inflect", False)
        requires = tuple(ctx.expand(gate.get("requires", []), f"{where} field 'match.post.requires'", inflect, "any"))
        excludes = tuple(ctx.expand(gate.get("excludes", []), f"{where} field 'match.post.excludes'", inflect, "any"))
        # Exceptions of the lists the wrapped match uses apply to its hits;
        # the gate's lists only say whether the post qualifies.
        return cls(inner, requires, excludes, inner.list_references(), gate.get("with_breach", False))

    def phrase_sets(self):
        sets = {_INNER + role: phrases for role, phrases in self.inner.phrase_sets().items()}
        sets["requires"] = self.requires
        sets["excludes"] = self.excludes
        return sets

    def needs(self):
        inner = tuple(_INNER + role for role in self.inner.needs())
        return ("requires",) + inner if self.requires else inner

    def list_references(self):
        return self.refs

    def regex_sources(self):
        return self.inner.regex_sources()

    def attach_prefilters(self, prefilters):
        self.inner.attach_prefilters(prefilters)

    def gate(self):
        return self.inner.gate()  # no hit of the wrapped match, nothing to keep

    def find(self, post, hits):
        if self.requires and not hits.raw("requires"):
            return []
        found = list(self.inner.find(post, _InnerHits(hits)))
        if not found:
            return []
        excluded = [post.to_original(s, e) for s, e in hits.raw("excludes")]
        if not excluded:
            return found
        return [h for h in found if all(h.start <= xs and xe <= h.end for xs, xe in excluded)]

    def describe(self):
        return {"kind": self.kind, "requires": len(self.requires), "excludes": len(self.excludes),
                "with_breach": self.with_breach, "match": self.inner.describe()}
