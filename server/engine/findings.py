"""What the engine reports."""

from __future__ import annotations

from dataclasses import dataclass, field

SEVERITIES = ("info", "warn", "block")
SEVERITY_RANK = {"info": 0, "warn": 1, "block": 2}

CATEGORIES = (
    "party_political",
    "attack",
    "loaded_language",
    "personal_data",
    "sub_judice",
    "partisan_amplification",
    "tone",
    "pre_election",
    "accessibility",
    "platform_limit",
)

# Categories that give advice about form rather than political risk.
ADVISORY_CATEGORIES = frozenset({"accessibility", "platform_limit"})


def speaks(f) -> bool:
    """A finding that counts for a breach: not an info hint, not an advisory category."""
    return f.severity != "info" and f.category not in ADVISORY_CATEGORIES


def flags(f) -> bool:
    """A finding that flags the post: it speaks for a breach and is not a conditional card
    (match.model.beside_flag), which only names what a post flagged otherwise also reads as."""
    return speaks(f) and not f.conditional


def beside_a_flag(findings: list) -> list:
    """The findings less the conditional ones (match.model.beside_flag) where nothing else
    flags the post: such a head only says what a flagged post also reads as."""
    if not any(f.conditional for f in findings):
        return findings
    if any(map(flags, findings)):
        return findings
    return [f for f in findings if not f.conditional]


@dataclass(slots=True)
class Finding:
    """One risky span. Offsets are code points of the original text."""

    rule_id: str
    category: str
    severity: str
    start: int
    end: int
    message: str
    guidance: dict
    suggestions: list[str] = field(default_factory=list)
    scope: str = "span"  # "post" when the finding is about the whole post
    replacements: list[str] = field(default_factory=list)  # text that can replace the span as it is
    # From the learned layer: shown only for a category no rule names; on a rule's
    # words, a card about the post, not an underline (CheckResult.shown()).
    supplementary: bool = False
    # ... and of those, the generic head's: underlined only where nothing else speaks;
    # beside others, a card about the post for a category nothing else names.
    generic: bool = False
    # ... and less sure than its rule's bar for underlining beside a rule's finding
    # (match.model.beside_rules): there, a card about the post, not an underline.
    tentative: bool = False
    # ... and under its head's threshold, over its `beside_flag` bar (match.model.beside_flag):
    # kept only where another finding flags the post, as a card about the post naming its
    # category (the post is political already; this says what kind of breach it also reads as).
    conditional: bool = False
    # ... and found where a rule already names its category (Matcher.find_unshown): shown()
    # drops it, so its words were not chosen; its span is the whole post and claims nothing.
    unshown: bool = False
    # From a rule that runs only beside another finding's flag (match.post.with_breach): where
    # that flag is the model's alone, the rules alone would not have flagged the post.
    beside_breach: bool = False

    def to_json(self, text: str, utf16) -> dict:
        return {
            "rule_id": self.rule_id,
            "category": self.category,
            "severity": self.severity,
            "start": utf16(self.start),
            "end": utf16(self.end),
            "match": text[self.start:self.end],
            "message": self.message,
            "guidance": self.guidance,
            "suggestions": self.suggestions,
            "scope": self.scope,
            "replacements": self.replacements,
        }
