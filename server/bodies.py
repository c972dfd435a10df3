"""Reading a JSON request body safely: bounded size, bounded nesting, bounded
numbers, UTF-8 only; every fault is a precise 4xx problem."""

from __future__ import annotations

import functools
import json
import re

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
    chunks = _read_chunks(want, length is None, max_bytes)
    total = sum(map(len, chunks))
    if total > max_bytes:
        raise _too_large(max_bytes)
    # gunicorn's stream just stops early: a body cut short must not be read as the whole of it
    # (the part sent may itself be valid JSON).
    if length is not None and total < length:
        raise Problem(400, f"the body ended after {total} of the {length} bytes its Content-Length gives")
    return b"".join(chunks)


def _read_chunks(want: int, chunked: bool, max_bytes: int) -> list[bytes]:
    """The body's bytes up to want; a read that fails on a chunked body is a precise problem."""
    chunks, total = [], 0
    try:
        stream = request.stream
        while total < want:
            chunk = stream.read(min(_READ_CHUNK, want - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except RequestEntityTooLarge:
        raise _too_large(max_bytes) from None
    except ClientDisconnected as exc:  # werkzeug's stream ended before its Content-Length, or a read failed
        if chunked:  # with a length, the caller says how much of it came
            raise _chunked_cut_short(exc) from None
    except _server_parse_errors() as exc:
        raise _chunked_malformed(exc) from None
    return chunks


def _too_large(max_bytes: int) -> Problem:
    return Problem(413, f"the body is over {max_bytes} bytes (sent without a length; reading stopped at "
                        "the limit)", title="Content too large", limit=max_bytes)


@functools.cache
def _server_parse_errors() -> tuple[type[Exception], ...]:
    """gunicorn's error for a chunked body it cannot parse; none where gunicorn is not installed.
    Looked up only once a read fails past werkzeug's own errors: gunicorn is a server, not this module's need."""
    try:
        from gunicorn.http.errors import ParseException
    except ImportError:
        return ()
    return (ParseException,)


def _chunked_cut_short(exc: ClientDisconnected) -> Problem:
    # Werkzeug's dev server raises a bare OSError (no errno: not the socket's) both for a bad chunk
    # line and for a body that stops between chunks, so it cannot say which.
    why = exc.__context__
    if type(why) is OSError and why.errno is None and str(why):
        reason = str(why)
        return Problem(400, "the chunked body is malformed or ended before its last chunk: "
                            + reason[:1].lower() + reason[1:])
    return _ended_before_last_chunk()


def _ended_before_last_chunk() -> Problem:
    # No byte count: a server buffers what it has parsed (gunicorn does), so the bytes read here
    # say nothing of how many the client sent.
    return Problem(400, "the chunked body ended before its last chunk: the client stopped sending it")


def _chunked_malformed(exc: Exception) -> Problem:
    from gunicorn.http import errors  # exc is one of them: gunicorn is there

    if isinstance(exc, errors.ChunkMissingTerminator) and len(exc.term) < 2:  # the input ended where CRLF was due
        return _ended_before_last_chunk()
    return Problem(400, f"the chunked body is malformed: {_chunk_fault(exc, errors)}")


def _chunk_fault(exc: Exception, errors) -> str:
    if isinstance(exc, errors.InvalidChunkSize):
        return _bad_chunk_size(bytes(exc.data))
    if isinstance(exc, errors.ChunkMissingTerminator):  # its bytes are the post's: not quoted
        return "a chunk does not end where its size says (no CRLF after its data)"
    if isinstance(exc, errors.InvalidChunkExtension):
        reason = str(exc.reason)
        return reason if "chunk extension" in reason else f"invalid chunk extension ({reason})"
    # The header errors, read from a body, are about the trailer fields after the last chunk.
    if isinstance(exc, errors.LimitRequestHeaders):
        return "its trailer section is over the server's limits"
    if isinstance(exc, (errors.InvalidHeader, errors.InvalidHeaderName, errors.ObsoleteFolding)):
        return "its trailer section is not valid header fields"
    return f"the server could not parse it ({type(exc).__name__})"


def _bad_chunk_size(data: bytes) -> str:
    endless = re.fullmatch(rb"line over (\d+) bytes with no terminator", data)  # gunicorn's words, not the client's
    if endless:
        return f"a chunk-size line runs over {int(endless[1])} bytes without a CRLF"
    # A size is a few hex digits: a longer line is more likely the post itself, sent unframed.
    return f"invalid chunk size {ascii(data[:16].decode('latin-1'))}"


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
