"""HTTP routes: the v1 check contract, rules, feedback, health and the OpenAPI document.

Request validation is strict and explicit: anything a client can send gets a
precise 4xx problem, never a 500. A post's text is never logged unless the
admin sets IMPARTIAL_LOG_TEXT.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
import time
from collections import Counter

from flask import Blueprint, Response, current_app, request

from .engine.platforms import PLATFORMS
from .engine.text import find_lone_surrogate, utf16_len
from .openapi import openapi_document
from .problems import Problem

log = logging.getLogger("server.api")
bp = Blueprint("api", __name__)

FEEDBACK_KINDS = ("false_positive", "missed", "helpful")


def _json(body, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), status=status,
                    mimetype="application/json")


def _settings():
    return current_app.config["IMPARTIAL_SETTINGS"]


def _store():
    return current_app.config["IMPARTIAL_STORE"]


def _require_key() -> None:
    keys = _settings().api_keys
    if not keys:
        return
    given = request.headers.get("X-API-Key", "")
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        given = auth[7:].strip()
    if not any(hmac.compare_digest(given.encode(), k.encode()) for k in keys):
        raise Problem(401, "a valid API key is required: send 'Authorization: Bearer <key>'")


def _json_body(max_bytes: int) -> dict:
    ctype = request.mimetype
    if ctype != "application/json":
        raise Problem(415, f"send the body as application/json (got {ctype or 'no Content-Type'})")
    length = request.content_length
    if length is not None and length > max_bytes:
        raise Problem(413, f"the body is {length} bytes; the limit is {max_bytes}")
    raw = request.get_data(cache=False)
    if len(raw) > max_bytes:
        raise Problem(413, f"the body is over {max_bytes} bytes")
    try:
        # RFC 8259: JSON between systems is UTF-8; json.loads would guess UTF-16 from a BOM.
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise Problem(400, f"the body is not valid UTF-8 (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise Problem(400, f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if not isinstance(body, dict):
        raise Problem(400, f"the body must be a JSON object, not {_type_name(body)}")
    return body


def _type_name(value) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", int: "number",
            float: "number", type(None): "null"}.get(type(value), type(value).__name__)


@bp.post("/v1/check")
def check():
    _require_key()
    settings = _settings()
    limit = settings.max_text_length
    body = _json_body(max_bytes=limit * 6 + 4096)  # a \uXXXX escape per code unit, plus room
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
    checker = _store().checker()
    if checker is None:
        raise Problem(503, "no valid rulebook is loaded; see /readyz")
    result = checker.check(text, platform, election or settings.election_period)
    if settings.log_text:
        log.debug("check platform=%s text=%r verdict=%s", platform, text, result.verdict)
    stats = current_app.config["IMPARTIAL_STATS"]
    with stats["lock"]:
        stats["checks"] += 1
        stats["findings"].update(f.rule_id for f in result.findings)
    return _json(result.to_json())


@bp.get("/v1/rules")
def rules():
    _require_key()
    store = _store()
    current = store.current
    if current is None:
        raise Problem(503, "no valid rulebook is loaded", errors=store.error.problems if store.error else [])
    book = current.checker.rulebook
    body = {
        "version": book.version,
        "digest": book.digest,
        "description": book.description,
        "loaded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(current.loaded_at)),
        "rules": [r.public() for r in book.rules],
    }
    if store.error:
        body["refused"] = {"source": store.error.source, "problems": store.error.problems}
    return _json(body)


@bp.post("/v1/feedback")
def feedback():
    _require_key()
    body = _json_body(max_bytes=16_384)
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
    stats = current_app.config["IMPARTIAL_STATS"]
    with stats["lock"]:
        stats["feedback"][(rule_id, kind)] += 1
        path = _settings().feedback_path
        if path:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(record) + "\n")
    log.info("feedback %s on %s (%s)", kind, rule_id, platform)
    return _json({"status": "recorded", **record}, 202)


@bp.get("/v1/stats")
def stats():
    _require_key()
    s = current_app.config["IMPARTIAL_STATS"]
    with s["lock"]:
        rules = sorted(set(s["findings"]) | {r for r, _ in s["feedback"]})
        body = {
            "scope": "this worker since it started",
            "checks": s["checks"],
            "rules": {r: {"findings": s["findings"][r],
                          **{k: s["feedback"][(r, k)] for k in FEEDBACK_KINDS}} for r in rules},
        }
    return _json(body)


@bp.get("/healthz")
def healthz():
    return _json({"status": "ok"})


@bp.get("/readyz")
def readyz():
    store = _store()
    store.checker()  # notice a changed file here too
    current = store.current
    body = {"status": "ready" if current else "not ready"}
    if current:
        book = current.checker.rulebook
        body["rulebook"] = {"version": book.version, "digest": book.digest, "rules": len(book.rules)}
    if store.error:
        body["refused"] = {"source": store.error.source, "problems": store.error.problems}
    return _json(body, 200 if current else 503)


@bp.get("/openapi.json")
def openapi():
    return _json(openapi_document())


def make_stats() -> dict:
    return {"lock": threading.Lock(), "checks": 0, "findings": Counter(), "feedback": Counter()}
