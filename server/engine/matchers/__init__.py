"""Every kind of match, by the name a rule's `match` uses for it."""

from .base import BuildContext, Hit, Matcher, RuleHits, merge_overlaps
from .metric import MetricMatcher
from .in_post import PostMatcher
from .model import ModelMatcher
from .near import NearMatcher
from .patterns import PatternMatcher
from .phrases import PhraseMatcher
from .phone import PhoneMatcher
from .identifiers import IdentifierMatcher

KINDS: dict[str, type[Matcher]] = {
    cls.kind: cls for cls in (PhraseMatcher, NearMatcher, PatternMatcher, MetricMatcher, PostMatcher,
                               PhoneMatcher, IdentifierMatcher, ModelMatcher)
}

__all__ = ["KINDS", "BuildContext", "Hit", "Matcher", "RuleHits", "merge_overlaps"]
