"""The v1 blueprint: check, rules, feedback and stats, all behind the API key.

Request validation is strict and explicit: anything a client can send gets a
precise 4xx problem, never a 500. A post's text is never logged unless the
admin sets IMPARTIAL_LOG_TEXT.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import threading
import time
from collections import Counter

from flask import Blueprint, request
from werkzeug.exceptions import RequestEntityTooLarge

from . import layers
from .engine.platforms import PLATFORMS
from .engine.text import find_lone_surrogate, utf16_len
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
    return max(check_body_limit(settings), FEEDBACK_BODY_LIMIT)


def _settings():
    return runtime().settings


def _store():
    return runtime().store


@bp.before_request
def _require_key() -> None:
    # A CORS preflight carries no credentials by design; flask-cors answers it.
    if request.method == "OPTIONS":
        return
    keys = _settings().api_keys
    if not keys:
        return
    given = request.headers.get("X-API-Key", "")
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        given = auth[7:].strip()
    if not any(hmac.compare_digest(given.encode(), k.encode()) for k in keys):
        raise Problem(401, "a valid API key is required: send 'Authorization: Bearer <key>'")


# Our bodies nest two deep ({"context": {...}}); anything much deeper is hostile.
MAX_JSON_DEPTH = 16
# Integers in our bodies are small; Python refuses to convert over 4,300 digits anyway.
MAX_INT_DIGITS = 20
_READ_CHUNK = 64 * 1024
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


class _BadNumber(ValueError):
    pass


def _read_body(max_bytes: int) -> bytes:
    """The request body, read at most max_bytes + 1 bytes, whether or not a length was sent."""
    length = request.content_length
    if length is not None and length > max_bytes:
        raise Problem(413, f"the body is {length} bytes; the limit is {max_bytes}", title="Content too large",
                      limit=max_bytes)
    # Werkzeug's own guard (request.max_content_length) stays as a backstop for
    # chunked bodies; this loop stops first, one chunk past the limit.
    request.max_content_length = max_bytes + _READ_CHUNK
    chunks, total = [], 0
    try:
        stream = request.stream
        while total <= max_bytes:
            chunk = stream.read(min(_READ_CHUNK, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except RequestEntityTooLarge:
        total = max_bytes + 1
    if total > max_bytes:
        raise Problem(413, f"the body is over {max_bytes} bytes (sent without a length; reading stopped at "
                           "the limit)", title="Content too large", limit=max_bytes)
    return b"".join(chunks)


def _nesting_over(raw: bytes, limit: int) -> bool:
    """True when arrays and objects nest deeper than limit (brackets inside strings do not count)."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth = 0
    for c in _JSON_STRING.sub(b'""', raw).translate(None, _NOT_BRACKETS):
        depth += 1 if c in (0x5B, 0x7B) else -1
        if depth > limit:
            return True
    return False


def _parse_int(digits: str) -> int:
    count = len(digits) - digits.startswith("-")
    if count > MAX_INT_DIGITS:
        raise _BadNumber(f"the body has a {count}-digit number; numbers here have at most "
                         f"{MAX_INT_DIGITS} digits")
    return int(digits)


def _parse_constant(name: str):
    raise _BadNumber(f"the body has {name}, which is not JSON")


def _json_body(max_bytes: int) -> dict:
    ctype = request.mimetype
    if ctype != "application/json":
        raise Problem(415, f"send the body as application/json (got {ctype or 'no Content-Type'})")
    raw = _read_body(max_bytes)
    too_deep = Problem(400, f"the body nests arrays and objects more than {MAX_JSON_DEPTH} deep",
                       limit=MAX_JSON_DEPTH)
    if _nesting_over(raw, MAX_JSON_DEPTH):
        raise too_deep
    try:
        # RFC 8259: JSON between systems is UTF-8; json.loads would guess UTF-16 from a BOM.
        body = json.loads(raw.decode("utf-8"), parse_int=_parse_int, parse_constant=_parse_constant)
    except UnicodeDecodeError as exc:
        raise Problem(400, f"the body is not valid UTF-8 (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise Problem(400, f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except _BadNumber as exc:
        raise Problem(400, str(exc)) from None
    except RecursionError:  # the scan above should have caught it; never a 500
        raise too_deep from None
    if not isinstance(body, dict):
        raise Problem(400, f"the body must be a JSON object, not {_type_name(body)}")
    return body


def _type_name(value) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", int: "number",
            float: "number", type(None): "null"}.get(type(value), type(value).__name__)


@bp.post("/v1/check")
def check():
    settings = _settings()
    limit = settings.max_text_length
    body = _json_body(max_bytes=check_body_limit(settings))
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
    stats = runtime().stats
    with stats["lock"]:
        stats["checks"] += 1
        stats["findings"].update(f.rule_id for f in result.findings)
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
    stats = runtime().stats
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
    s = runtime().stats
    with s["lock"]:
        rules = sorted(set(s["findings"]) | {r for r, _ in s["feedback"]})
        body = {
            "scope": "this worker since it started",
            "checks": s["checks"],
            "rules": {r: {"findings": s["findings"][r],
                          **{k: s["feedback"][(r, k)] for k in FEEDBACK_KINDS}} for r in rules},
        }
    return _json(body)


def make_stats() -> dict:
    return {"lock": threading.Lock(), "checks": 0, "findings": Counter(), "feedback": Counter()}
