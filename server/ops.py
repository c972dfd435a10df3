"""The operations blueprint: liveness, readiness, metrics and the OpenAPI document.

Open without a key (load balancers and probes call it), so it shows nothing
a key would protect.
"""

from __future__ import annotations

from flask import Blueprint, current_app

from . import layers, observability
from .openapi import openapi_document
from .responses import iso as _iso
from .responses import json_response as _json
from .runtime import runtime

bp = Blueprint("ops", __name__)


def _store():
    return runtime().store


@bp.get("/healthz")
def healthz():
    return _json({"status": "ok"})


@bp.get("/readyz")
def readyz():
    store = _store()
    store.nudge()  # look at the file again soon (a stale refusal clears); never waits for it
    state = store.state
    current, refused = state.current, state.refused
    body = {"status": "ready" if current else "not ready"}
    if current:
        book = current.checker.rulebook
        body["rulebook"] = {"version": book.version, "digest": book.digest, "rules": len(book.rules),
                            "layers": layers.public(book, full=False)}
    if refused:
        # Open to anyone, so only a count: the reasons are on /v1/rules (behind the key).
        body["refused"] = {"problems": len(refused.error.problems), "since": _iso(refused.at),
                           "details": "/v1/rules"}
    return _json(body, 200 if current else 503)


@bp.get("/metrics")
def metrics():
    # Counts and versions only, never a post; for Prometheus (restrict it at the proxy if need be).
    return observability.metrics_response(current_app)


@bp.get("/openapi.json")
def openapi():
    return _json(openapi_document())
