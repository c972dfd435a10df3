"""Reading a JSON request body safely: bounded size, bounded nesting, bounded
numbers, UTF-8 only; every fault is a precise 4xx problem."""

from __future__ import annotations

import json

from flask import request
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge

from . import safejson
from .problems import Problem

# Our bodies nest two deep ({"context": {...}}); anything much deeper is hostile.
MAX_JSON_DEPTH = 16
_READ_CHUNK = 64 * 1024


def _read_body(max_bytes: int) -> bytes:
    """The request body, read at most max_bytes + 1 bytes, whether or not a length was sent."""
    length = request.content_length
    if length is not None and length > max_bytes:
        raise Problem(413, f"the body is {length} bytes; the limit is {max_bytes}", title="Content too large",
                      limit=max_bytes)
    # Werkzeug's own guard (request.max_content_length) stays as a backstop for
    # chunked bodies; this loop stops first, one chunk past the limit.
    request.max_content_length = max_bytes + _READ_CHUNK
    # With a length, no more is read than it says (gunicorn and werkzeug end the stream there, as
    # PEP 3333 asks): ask for exactly that, in one read up to a chunk. Each read allocates the size
    # asked for, and one more read after the last byte costs as much again.
    want = max_bytes + 1 if length is None else length
    chunks, total, broken = [], 0, False
    try:
        stream = request.stream
        while total < want:
            chunk = stream.read(min(_READ_CHUNK, want - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except RequestEntityTooLarge:
        total = max_bytes + 1
    except ClientDisconnected:  # werkzeug's stream ended before its Content-Length, or a read failed
        broken = True
    if total > max_bytes:
        raise Problem(413, f"the body is over {max_bytes} bytes (sent without a length; reading stopped at "
                           "the limit)", title="Content too large", limit=max_bytes)
    # gunicorn's stream just stops early: a body cut short must not be read as the whole of it
    # (the part sent may itself be valid JSON).
    if length is not None and total < length:
        raise Problem(400, f"the body ended after {total} of the {length} bytes its Content-Length gives")
    if broken:
        raise Problem(400, f"the body ended after {total} bytes, before its end: the client stopped sending it")
    return b"".join(chunks)


def json_body(max_bytes: int) -> dict:
    ctype = request.mimetype
    if ctype != "application/json":
        raise Problem(415, f"send the body as application/json (got {ctype or 'no Content-Type'})")
    raw = _read_body(max_bytes)
    if safejson.nesting_over(raw, MAX_JSON_DEPTH):
        raise _too_deep()
    try:
        # RFC 8259: JSON between systems is UTF-8; json.loads would guess UTF-16 from a BOM.
        body = safejson.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise Problem(400, f"the body is not valid UTF-8 (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise Problem(400, f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except safejson.BadNumber as exc:
        raise Problem(400, str(exc)) from None
    except RecursionError:  # the scan above should have caught it; never a 500
        raise _too_deep() from None
    if not isinstance(body, dict):
        raise Problem(400, f"the body must be a JSON object, not {type_name(body)}")
    return body


def _too_deep() -> Problem:
    return Problem(400, f"the body nests arrays and objects more than {MAX_JSON_DEPTH} deep", limit=MAX_JSON_DEPTH)


def type_name(value) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", int: "number",
            float: "number", type(None): "null"}.get(type(value), type(value).__name__)
