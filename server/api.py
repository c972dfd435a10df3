"""The v1 blueprint: check, rules, feedback and stats, all behind the API key.

Request validation is strict and explicit: anything a client can send gets a
precise 4xx problem, never a 500. A post's text is never logged unless the
admin sets IMPARTIAL_LOG_TEXT.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import Counter

from flask import Blueprint, current_app

from . import layers, observability
from .auth import require_key
from .bodies import json_body as _json_body
from .bodies import type_name as _type_name
from .engine.platforms import PLATFORMS
from .engine.text import find_lone_surrogate, utf16_len
from .db import DatabaseUnavailable
from .events import http as events_http
from .events import query
from .events.http import record_feedback_event
from .problems import Problem
from .responses import iso as _iso
from .responses import json_response as _json
from .runtime import runtime

log = logging.getLogger("server.api")
bp = Blueprint("v1", __name__)

FEEDBACK_KINDS = ("false_positive", "missed", "helpful")
FEEDBACK_BODY_LIMIT = 16_384


def check_body_limit(settings) -> int:
    """Bytes a /v1/check body may have: a \\uXXXX escape per code unit of the longest text, plus room."""
    return settings.max_text_length * 6 + 4096


def largest_body(settings) -> int:
    return max(check_body_limit(settings), FEEDBACK_BODY_LIMIT, events_http.EVENTS_BODY_LIMIT)


def _settings():
    return runtime().settings


def _store():
    return runtime().store


# One key check for every v1 route (server/auth.py): database keys,
# IMPARTIAL_API_KEYS, or the proxy's identity header when trusted.
bp.before_request(require_key)
bp.add_url_rule("/v1/events", view_func=events_http.post_events, methods=["POST"])
bp.add_url_rule("/v1/events/summary", view_func=events_http.events_summary, methods=["GET"])


def check_request(body: dict, settings) -> tuple[str, str, bool]:
    """(text, platform, election period) from a check body, or a precise 400/413 problem.
    /v1/check and the playground's candidate check read the same fields."""
    limit = settings.max_text_length
    if "text" not in body:
        raise Problem(400, "missing field 'text' (the draft post, a string)")
    text = body["text"]
    if not isinstance(text, str):
        raise Problem(400, f"field 'text' must be a string, not {_type_name(text)}")
    bad = find_lone_surrogate(text)
    if bad is not None:
        at = utf16_len(text[:bad])
        raise Problem(400, f"field 'text' has a lone UTF-16 surrogate at offset {at} (code unit "
                           f"U+{ord(text[bad]):04X}); send well-formed text", offset=at)
    units = utf16_len(text)
    if units > limit:
        raise Problem(413, f"field 'text' is {units} UTF-16 code units; the limit is {limit}",
                      limit=limit, length=units)
    platform = body.get("platform", "generic")
    if not isinstance(platform, str) or platform not in PLATFORMS:
        raise Problem(400, f"field 'platform' must be one of {', '.join(PLATFORMS)}; got {platform!r}")
    context = body.get("context", {})
    if context is None:
        context = {}
    if not isinstance(context, dict):
        raise Problem(400, f"field 'context' must be an object, not {_type_name(context)}")
    election = context.get("election_period", False)
    if not isinstance(election, bool):
        raise Problem(400, f"field 'context.election_period' must be true or false, not {_type_name(election)}")
    return text, platform, election or settings.election_period


@bp.post("/v1/check")
def check():
    rt = runtime()
    settings = rt.settings
    body = _json_body(max_bytes=check_body_limit(settings))
    text, platform, election = check_request(body, settings)
    checker = rt.store.checker()
    if checker is None:
        raise Problem(503, "no valid rulebook is loaded; see /readyz")
    result = checker.check(text, platform, election)
    if settings.log_text:
        log.debug("check platform=%s text=%r verdict=%s", platform, text, result.verdict)
    observability.metrics(current_app).observe_check(platform, result.verdict, result.findings)
    if rt.checks is not None:
        rt.checks.add(result)
    return _json(result.to_json())


@bp.get("/v1/rules")
def rules():
    state = _store().state
    current, refused = state.current, state.refused
    if current is None:
        raise Problem(503, "no valid rulebook is loaded", errors=refused.error.problems if refused else [])
    book = current.checker.rulebook
    body = {
        "version": book.version,
        "digest": book.digest,
        "description": book.description,
        "loaded_at": _iso(current.loaded_at),
        "rules": [r.public() for r in book.rules],
        "layers": layers.public(book),
    }
    if refused:
        body["refused"] = _refused(refused)
    return _json(body)


def _refused(refused) -> dict:
    # The file's name, not its path: where the service keeps its files is not the client's business.
    return {"source": os.path.basename(refused.error.source), "problems": refused.error.problems,
            "since": _iso(refused.at), **({"layers": layers.refused_layers(refused)} if refused.layers else {})}


@bp.post("/v1/feedback")
def feedback():
    body = _json_body(max_bytes=FEEDBACK_BODY_LIMIT)
    rule_id = body.get("rule_id")
    if not isinstance(rule_id, str) or not rule_id:
        raise Problem(400, "field 'rule_id' must be a non-empty string")
    kind = body.get("kind", "false_positive")
    if kind not in FEEDBACK_KINDS:
        raise Problem(400, f"field 'kind' must be one of {', '.join(FEEDBACK_KINDS)}; got {kind!r}")
    platform = body.get("platform", "generic")
    if not isinstance(platform, str) or platform not in PLATFORMS:
        raise Problem(400, f"field 'platform' must be one of {', '.join(PLATFORMS)}; got {platform!r}")
    checker = _store().checker()
    known = checker is not None and any(r.id == rule_id for r in checker.rules)
    if not known:
        raise Problem(400, f"unknown rule {rule_id!r}")
    # The post and the matched words are not kept: rule, kind, platform and time only.
    record = {"rule_id": rule_id, "kind": kind, "platform": platform,
              "rulebook": checker.rulebook.version, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    observability.metrics(current_app).observe_feedback(rule_id, kind)
    path = _settings().feedback_path
    if path:
        with _feedback_file_lock, open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")
    if kind == "false_positive":
        record_feedback_event(rule_id, platform, checker)
    log.info("feedback %s on %s (%s)", kind, rule_id, platform)
    return _json({"status": "recorded", **record}, 202)


@bp.get("/v1/stats")
def stats():
    rt = runtime()
    try:
        flags = query.false_flags_per_rule(query.EventQuery(rt.db)) if rt.db is not None else None
    except DatabaseUnavailable:
        raise Problem(503, "the false-flag counts cannot be read now (database unavailable); retry shortly",
                      headers={"Retry-After": "5"}) from None
    return _json(stats_body(observability.metrics(current_app), flags))


def stats_body(metrics, false_flags: list[dict] | None = None) -> dict:
    """Checks and findings per rule added up over every worker since the service started (the metrics);
    false-flag reports per rule from the event store when there is one (every report ever, from
    /v1/feedback and /v1/events alike), else from the metrics."""
    got = metrics.totals("impartial_checks", "impartial_rule_findings", "impartial_feedback")
    findings, feedback = Counter(), Counter()
    for labels, value in got["impartial_rule_findings"]:
        findings[labels["rule_id"]] += int(value)
    for labels, value in got["impartial_feedback"]:
        if false_flags is None or labels["kind"] != "false_positive":
            feedback[(labels["rule_id"], labels["kind"])] += int(value)
    for row in false_flags or ():
        feedback[(row["rule_id"], "false_positive")] += row["count"]
    rules = sorted(set(findings) | {r for r, _ in feedback})
    return {
        "scope": "checks and findings: every worker since the service started; false_positive: every report stored",
        "checks": int(sum(v for _, v in got["impartial_checks"])),
        "rules": {r: {"findings": findings[r], **{k: feedback[(r, k)] for k in FEEDBACK_KINDS}} for r in rules},
    }


# Two threads appending at once could interleave their lines.
_feedback_file_lock = threading.Lock()
