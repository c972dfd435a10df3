"""`phrases`: whole-word phrases from the shared automaton, optionally with a swap."""

from __future__ import annotations

from ..inflect import compound_forms, phrase_forms
from ..text import FoldedText
from .base import Hit, Matcher, merge_overlaps


def match_case(original: str, replacement: str, sentence_start: bool = True) -> str:
    """'Activist lawyers' -> 'Lawyers' where a sentence starts: keep the capital
    the officer typed there. Elsewhere a capital belongs to the word itself
    ('rising Obamacare premiums'), as do an acronym's ('NIMBYs'): not carried."""
    if not sentence_start or original[1:2].isupper():
        return replacement
    if replacement and original[:1].isupper() and replacement[:1].islower():
        return replacement[0].upper() + replacement[1:]
    return replacement


def starts_sentence(text: str, i: int) -> bool:
    i -= 1
    while i >= 0 and text[i] in " \t\"'“‘([":
        i -= 1
    return i < 0 or text[i] in ".!?\n…:"


def inflected_swaps(key: str, replacement: str) -> dict:
    """The swap for a phrase and for its inflected forms where the replacement
    ends in the same word: "activist lawyer" -> "lawyer" gives "activist
    lawyers" -> "lawyers" too. And for the hyphenated form the automaton also
    matches (inflect.compound_forms): "ambulance-chasing" takes the swap of
    "ambulance chasing", so a maintainer writes the phrase once."""
    out = {key: replacement}
    last = key.rsplit(" ", 1)[-1]
    if replacement.lower().endswith(last):
        head = key[: len(key) - len(last)]
        for form in phrase_forms(key):
            if form.startswith(head) and " " not in form[len(head):]:
                out.setdefault(form, replacement[: len(replacement) - len(last)] + form[len(head):])
    for form, swapped in list(out.items()):
        for joined in compound_forms(form):
            out.setdefault(joined, swapped)
    return out


class PhraseMatcher(Matcher):
    kind = "phrases"

    def __init__(self, phrases: tuple, refs: list, swap: dict):
        self.phrases = phrases
        self.refs = refs
        self.swap = swap  # folded phrase -> replacement

    @classmethod
    def build(cls, spec, ctx, where):
        phrases = tuple(ctx.expand(spec["phrases"], f"{where} field 'match.phrases'", spec.get("inflect", True),
                                   spec.get("match_case", "any"), hashtags=spec.get("hashtags", False)))
        swap = {}
        for phrase, replacement in spec.get("swap", {}).items():
            key = " ".join(FoldedText(phrase).folded.split())
            if not any(p.folded == key for p in phrases):
                ctx.problem(f"{where} field 'match.swap'", f"{phrase!r} is not one of the rule's phrases")
            swap.update(inflected_swaps(key, replacement))
        return cls(phrases, list(spec["phrases"]), swap)

    def phrase_sets(self):
        return {"phrases": self.phrases}

    def needs(self):
        return ("phrases",)

    def list_references(self):
        return self.refs

    def find(self, post, hits):
        for s, e in merge_overlaps(hits.kept("phrases")):
            start, end = post.to_original(s, e)
            replacement = self.swap.get(post.lower[s:e]) if self.swap else None
            if replacement is None:
                yield Hit(start, end)
            else:
                yield Hit(start, end, replacements=(match_case(post.text[start:end], replacement,
                                                           starts_sentence(post.text, start)),))

    def describe(self):
        return {"kind": self.kind, "phrases": len(self.phrases)}
