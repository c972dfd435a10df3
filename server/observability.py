"""What each request leaves behind: Prometheus metrics, a request id and an access log line.

Metrics are counted with prometheus_client. Under gunicorn (gunicorn.conf.py)
PROMETHEUS_MULTIPROC_DIR is set before the app is loaded, so every worker
writes its counts to its own memory-mapped file in that directory and
`GET /metrics` (served by any one worker) adds up the files of all of them;
`child_exit` removes a dead worker's gauges. Without the variable (tests, the
Flask dev server) each app counts in memory in a registry of its own.

On the check path this costs a few dictionary look-ups and memory writes: the
labelled children are cached, and findings are counted per category and per
rule once per check, not once per finding.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess

from .logs import REQUEST_ID_HEADER, current_request_id

EXTENSION = "impartial.observability"
access_log = logging.getLogger("server.access")

# Seconds. A check takes about a millisecond; a slow client or a 70,000-character post far longer.
# Any other method a client invents is counted as "other": label values must stay few.
METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class Metrics:
    """The service's metrics, in a registry of their own (one per app)."""

    def __init__(self):
        self.registry = CollectorRegistry(auto_describe=True)
        self.multiprocess = multiprocess_dir() is not None
        r = self.registry
        self.requests = Counter("impartial_http_requests", "HTTP requests answered, by endpoint, method and status.",
                                ("endpoint", "method", "status"), registry=r)
        self.latency = Histogram("impartial_http_request_duration_seconds",
                                 "Time from the request's arrival at Flask to its response, by endpoint.",
                                 ("endpoint",), buckets=LATENCY_BUCKETS, registry=r)
        self.checks = Counter("impartial_checks", "Posts checked, by platform and verdict.",
                              ("platform", "verdict"), registry=r)
        # Every finding of a check, as the daily counters behind /admin count them (a model finding the
        # response leaves out because a rule underlines the same words included).
        self.findings = Counter("impartial_findings", "Findings of the checks, by category and severity.",
                                ("category", "severity"), registry=r)
        self.rule_findings = Counter("impartial_rule_findings", "Findings of the checks, by rule.",
                                     ("rule_id",), registry=r)
        self.feedback = Counter("impartial_feedback", "False-flag and other reports from officers, by rule and kind.",
                                ("rule_id", "kind"), registry=r)
        self.events = Counter("impartial_events", "Events received on POST /v1/events: recorded, or already there "
                              "(a retry).", ("outcome",), registry=r)
        # livemax: 1 while any live worker serves that version; a dead worker's file is removed by child_exit.
        self.rulebook = Gauge("impartial_rulebook_info", "The rulebook served (1) or no longer served (0), "
                              "by version and digest (the first 12 characters of /readyz's rulebook.digest).", ("version", "digest"), multiprocess_mode="livemax",
                              registry=r)
        self.refused = Gauge("impartial_rulebook_refused", "1 while the newest rulebook file is refused and an "
                             "older one (or none) is served.", multiprocess_mode="livemax", registry=r)
        self.reload_failures = Counter("impartial_rulebook_reload_failures",
                                       "Rulebook files refused (each new set of reasons counts once).", registry=r)
        self._children: dict = {}
        self._served: tuple | None = None
        self._lock = threading.Lock()
        # Under gunicorn the app is loaded in the master before it forks: only a
        # worker (worker_started) reports the rulebook it serves, or the master's
        # file would claim its start-up version for as long as it lives.
        self.reporting_rulebook = not self.multiprocess

    # -- per request --------------------------------------------------------------

    def _child(self, metric, *labels):
        key = (id(metric), labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def observe_request(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        self._child(self.requests, endpoint, method, str(status)).inc()
        self._child(self.latency, endpoint).observe(seconds)

    def observe_check(self, platform: str, verdict: str, findings) -> None:
        self._child(self.checks, platform, verdict).inc()
        if not findings:
            return
        # Plain dicts: two Counters cost more than the rest of this tally for a check's few findings.
        categories, rules = {}, {}
        for f in findings:
            labels = (f.category, f.severity)
            categories[labels] = categories.get(labels, 0) + 1
            rules[f.rule_id] = rules.get(f.rule_id, 0) + 1
        for labels, n in categories.items():
            self._child(self.findings, *labels).inc(n)
        for rule_id, n in rules.items():
            self._child(self.rule_findings, rule_id).inc(n)

    def observe_feedback(self, rule_id: str, kind: str) -> None:
        self._child(self.feedback, rule_id, kind).inc()

    def observe_events(self, accepted: int, duplicates: int) -> None:
        if accepted:
            self._child(self.events, "accepted").inc(accepted)
        if duplicates:
            self._child(self.events, "duplicate").inc(duplicates)

    # -- the rulebook ---------------------------------------------------------------

    def rulebook_changed(self, state, new_refusal: bool = False) -> None:
        """The store installed a rulebook or refused a file (called from its watcher thread)."""
        if new_refusal:
            self.reload_failures.inc()
        if not self.reporting_rulebook:
            return
        with self._lock:
            current = state.current
            book = current.checker.rulebook if current else None
            served = (book.version, book.digest[:12]) if book else None
            if served != self._served:
                if self._served is not None:
                    self.rulebook.labels(*self._served).set(0)
                if served is not None:
                    self.rulebook.labels(*served).set(1)
                self._served = served
            self.refused.set(1 if state.refused is not None else 0)

    def start_reporting_rulebook(self, state) -> None:
        """This process serves requests (a gunicorn worker): from now on it reports its rulebook."""
        self.reporting_rulebook = True
        self._served = None
        self.rulebook_changed(state)

    # -- reading ------------------------------------------------------------------

    def collecting_registry(self) -> CollectorRegistry:
        """Every worker's figures (multiprocess mode), else this app's."""
        if not self.multiprocess:
            return self.registry
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry

    def exposition(self) -> bytes:
        return generate_latest(self.collecting_registry())

    def totals(self, *names: str) -> dict[str, list[tuple[dict, float]]]:
        """The samples of the named counters ('impartial_checks' → its _total samples), across workers."""
        wanted = {n + "_total": n for n in names}
        out: dict[str, list] = {n: [] for n in names}
        for family in self.collecting_registry().collect():
            for sample in family.samples:
                if sample.name in wanted:
                    out[wanted[sample.name]].append((sample.labels, sample.value))
        return out


def metrics(app: Flask) -> Metrics:
    return app.extensions[EXTENSION]


def init_app(app: Flask, store, access_log_on: bool = False) -> Metrics:
    """Count and log every request of app, and follow store's rulebook."""
    m = Metrics()
    app.extensions[EXTENSION] = m
    store.add_listener(m.rulebook_changed)
    m.rulebook_changed(store.state)

    def started():
        g.request_started = time.perf_counter()
        current_request_id()  # made here, first of all, from the client's header when sane

    def finished(response):
        now = time.perf_counter()
        seconds = now - g.get("request_started", now)
        rule = request.url_rule
        endpoint = rule.rule if rule is not None else "unmatched"  # never the raw path: bounded labels
        method = request.method
        if method not in METHODS:
            method = "other"
        m.observe_request(endpoint, method, response.status_code, seconds)
        response.headers[REQUEST_ID_HEADER] = current_request_id()
        if access_log_on:
            # No query string and no body: the path and figures only.
            access_log.info("%s %s %d", method, endpoint, response.status_code,
                            extra={"method": method, "endpoint": endpoint, "status": response.status_code,
                                   "duration_ms": round(seconds * 1000, 3), "bytes": response.content_length})
        return response

    # First of all hooks, so a request refused by another hook (a missing key) is timed and logged too.
    app.before_request_funcs.setdefault(None, []).insert(0, started)
    app.after_request(finished)
    return m


def metrics_response(app: Flask) -> Response:
    return Response(metrics(app).exposition(), mimetype=CONTENT_TYPE_LATEST.split(";")[0],
                    headers={"Content-Type": CONTENT_TYPE_LATEST})


def worker_started(app: Flask, store) -> None:
    """A gunicorn worker is about to serve: it reports the rulebook it serves from now on."""
    m = app.extensions.get(EXTENSION)
    if m is not None:
        m.start_reporting_rulebook(store.state)
