"""Structured logs: one JSON object per line, with the request id of the request being served.

Log collectors (journald, Loki, CloudWatch, Elastic) read one JSON object per
line without parsing rules. The formatter is also the last guard of the
privacy rule that a post's text is never logged: an exception is written as
its type and code lines, never its message (which could quote the post).
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import sys
import time
import traceback

from flask import has_request_context, request

# An incoming X-Request-Id is kept when it is a plain token (what proxies and
# load balancers send: UUIDs, hex, base64); anything else is replaced, so a
# client cannot write arbitrary text (or a fake log line) into the logs.
REQUEST_ID_HEADER = "X-Request-Id"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+/=-]{0,127}")

# Attributes every LogRecord has; anything else was passed with extra={...}.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()) | {"message", "asctime"}


def request_id_from(incoming: str | None) -> str:
    """The client's request id when it is sane, else a new one."""
    if incoming and _SANE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return new_request_id()


def new_request_id() -> str:
    """What uuid.uuid4().hex gives, from a generator of our own (reseeded in each forked worker)
    instead of os.urandom: an id must be unique, not secret (a client may choose its own). uuid4() cost
    six times as much, and its system call lets go of the GIL, so under load the request may then
    wait for it behind other threads' checks."""
    return f"{_IDS.getrandbits(128) & _UUID4_KEEP | _UUID4_SET:032x}"


# Not the module's shared generator: whatever seeds that (a test, a library) would make ids repeat.
_IDS = random.Random()
os.register_at_fork(after_in_child=_IDS.seed)


# The version (4) and variant (RFC 4122) bits of a UUID.
_UUID4_KEEP = ~(0xF000 << 64 | 0xC000 << 48)
_UUID4_SET = 0x4000 << 64 | 0x8000 << 48


_ENVIRON_KEY = "impartial.request_id"


def current_request_id() -> str | None:
    """The id of the request being served (None outside one), made on first use: observability's
    first hook, or a line logged or a response sent for a request that failed before that hook ran,
    so the response header and every line logged for the request carry the same id."""
    if not has_request_context():
        return None
    # On the request's environ, not on g: g belongs to the app context, which Flask reuses for
    # every request served inside one already pushed (a test, an embedding app).
    environ = request.environ
    rid = environ.get(_ENVIRON_KEY)
    if not rid:
        rid = environ[_ENVIRON_KEY] = request_id_from(request.headers.get(REQUEST_ID_HEADER))
    return rid


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON: time, level, logger, message, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "pid": record.process,  # which gunicorn worker
        }
        rid = getattr(record, "request_id", None) or current_request_id()
        if rid:
            out["request_id"] = rid
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in out and not key.startswith("_"):
                out[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            out["exception"] = _exception_without_message(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def _exception_without_message(exc_info) -> dict:
    """The exception's type chain and where it was raised; never str(exc)."""
    exc_type, exc, tb = exc_info
    chain, seen = [], exc
    while seen is not None and len(chain) < 5:
        chain.append(type(seen).__name__)
        seen = seen.__cause__ or seen.__context__
    return {"types": chain or [exc_type.__name__], "where": "".join(traceback.format_tb(tb))}


class TextFormatter(logging.Formatter):
    """The human-readable form (IMPARTIAL_LOG_FORMAT=text), with the request id, and the same privacy rule."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        exc_info, record.exc_info, record.exc_text = record.exc_info, None, None
        try:
            line = super().format(record)
        finally:
            record.exc_info = exc_info
        rid = getattr(record, "request_id", None) or current_request_id()
        if rid:
            line += f" [request_id={rid}]"
        if exc_info and exc_info[0] is not None:
            info = _exception_without_message(exc_info)
            line += f"\n{' <- '.join(info['types'])} (message withheld)\n{info['where']}"
        return line


def formatter(kind: str) -> logging.Formatter:
    return TextFormatter() if kind == "text" else JsonFormatter()


def configure(level: str, kind: str = "json") -> None:
    """One stderr handler on the root logger in the chosen format (replacing one set here before)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_impartial", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._impartial = True
    handler.setFormatter(formatter(kind))
    root.addHandler(handler)
    root.setLevel(level.upper())


def gunicorn_logconfig(kind: str, level: str) -> dict:
    """gunicorn's own loggers (start-up, worker deaths, access) in the same format (gunicorn.conf.py)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"impartial": {"()": f"{__name__}.formatter", "kind": kind}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "impartial",
                                "stream": "ext://sys.stderr"}},
        # The app puts its own handler on the root logger (configure()).
        "root": {"handlers": [], "level": level.upper()},
        "loggers": {
            "gunicorn.error": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "gunicorn.access": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        },
    }
