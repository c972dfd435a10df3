"""The v1 event endpoints (registered on the v1 blueprint by server/api.py,
behind its key check): POST /v1/events and the admin's GET /v1/events/summary."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timezone

from flask import request

from ..auth import require_admin, source_label
from ..bodies import json_body
from ..db import DatabaseUnavailable
from ..problems import Problem
from ..responses import json_response
from ..runtime import runtime
from . import query
from .validate import Event, parse_events

log = logging.getLogger(__name__)

# 100 events with reasons and rule lists fit easily; a stored text can be long,
# but a batch carrying many texts should be split by the client.
EVENTS_BODY_LIMIT = 262_144
RETRY_DB = 5


def _unavailable(exc: DatabaseUnavailable) -> Problem:
    log.warning("events not stored: database unavailable (%s)", exc)
    return Problem(503, "the events could not be stored now (database unavailable); retry later with the same ids",
                   headers={"Retry-After": str(RETRY_DB)})


def post_events():
    body = json_body(max_bytes=EVENTS_BODY_LIMIT)
    batch = parse_events(body)
    store = runtime().events
    try:
        accepted, duplicates = store.record(batch, source_label())
    except DatabaseUnavailable as exc:
        raise _unavailable(exc) from None
    return json_response({"accepted": accepted, "duplicates": duplicates}, 202)


def record_feedback_event(rule_id: str, platform: str, checker) -> None:
    """A false-positive report on /v1/feedback is also a false_flag event (with an id of our own).
    Best effort: the report itself is kept as before even when the database is down."""
    store = runtime().events
    if store is None:
        return
    category = next((r.category for r in checker.rules if r.id == rule_id), None)
    event = Event(id="fb_" + secrets.token_urlsafe(18), type="false_flag", at=datetime.now(timezone.utc),
                  platform=platform, rule_ids=(rule_id,), categories=(category,) if category else (),
                  decision=None, reason=None, officer=None, severity=None, text=None)
    try:
        store.record([event], source_label())
    except DatabaseUnavailable as exc:
        # The report is already counted and written as before; failing it now would
        # only make the client send it again.
        log.warning("false-flag report not stored as an event: database unavailable (%s)", exc)


def events_summary():
    """Everything the admin page shows, as JSON; ?since=YYYY-MM-DD&until=YYYY-MM-DD."""
    require_admin()
    try:
        since = query.parse_day(request.args.get("since"))
        until = query.parse_day(request.args.get("until"))
    except ValueError:
        raise Problem(400, "query parameters 'since' and 'until' must be dates such as 2026-11-30") from None
    if since and until and since > until:
        raise Problem(400, f"'since' ({since}) is after 'until' ({until})")
    try:
        body = query.summary(query.EventQuery(runtime().db, since, until))
    except DatabaseUnavailable as exc:
        raise _unavailable(exc) from None
    return json_response(body)
