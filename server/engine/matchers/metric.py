"""`metric`: a measured property of the post over a maximum (see metrics.py)."""

from __future__ import annotations

from .. import metrics
from .base import Hit, Matcher


class MetricMatcher(Matcher):
    kind = "metric"
    always = True

    def __init__(self, spec: dict):
        self.spec = spec
        self.metric = metrics.METRICS[spec["name"]]

    @classmethod
    def build(cls, spec, ctx, where):
        return cls(dict(spec["metric"]))

    def find(self, post, hits):
        # A list, not a generator: the checker tests it for being empty before doing more.
        scope = self.metric.scope
        return [Hit(s, e, figures=figures, scope=scope) for s, e, figures in self.metric.measure(self.spec, post)]

    def describe(self):
        return {"kind": self.kind, "metric": self.spec["name"], "max": self.spec["max"]}
