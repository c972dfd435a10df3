"""Turns a POST /v1/events body into event records, or a 400 naming the event and field.

The contract is docs/events.md; keep the two in step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ..bodies import type_name as _type_name
from ..engine.findings import CATEGORIES, SEVERITIES
from ..engine.platforms import PLATFORMS
from ..problems import Problem

MAX_EVENTS = 100
TYPES = ("presend", "false_flag", "ignored")
DECISIONS = ("posted_after_warning", "posted_with_reason", "back_to_edit", "posted_unavailable")
MAX_RULES, MAX_RULE_ID = 100, 128
MAX_CATEGORIES = 20
MAX_REASON, MAX_OFFICER, MAX_TEXT = 500, 64, 70_000
EARLIEST = datetime(2020, 1, 1, tzinfo=timezone.utc)
FUTURE_SLACK = timedelta(days=1)

_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
# ISO-8601 in UTC only: a date, a time to the second, an optional fraction, Z or +00:00.
_AT = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|\+00:00)")
_FIELDS = frozenset({"id", "type", "at", "platform", "rule_ids", "categories", "decision", "reason", "officer",
                     "severity", "text"})


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    at: datetime
    platform: str
    rule_ids: tuple[str, ...]
    categories: tuple[str, ...]
    decision: str | None
    reason: str | None
    officer: str | None
    severity: str | None
    text: str | None


class _Fields:
    """Reads one event's fields; every failure names the event's index and the field."""

    def __init__(self, index: int, raw: dict):
        self.index, self.raw = index, raw

    def fail(self, field: str, detail: str):
        raise Problem(400, f"events[{self.index}].{field} {detail}", index=self.index, field=field)

    def string(self, field: str, *, required: bool, max_len: int, min_len: int = 1) -> str | None:
        value = self.raw.get(field)
        if value is None:
            if required:
                self.fail(field, "is required" if field not in self.raw else "must not be null")
            return None
        if not isinstance(value, str):
            self.fail(field, f"must be a string, not {_type_name(value)}")
        if not min_len <= len(value) <= max_len:
            self.fail(field, f"must be {min_len} to {max_len} characters; got {len(value)}")
        return value

    def choice(self, field: str, options, *, required: bool) -> str | None:
        value = self.raw.get(field)
        if value is None and not required:
            return None
        if not isinstance(value, str) or value not in options:
            what = "is required" if field not in self.raw else f"got {value!r}"
            self.fail(field, f"must be one of {', '.join(options)}; {what}")
        return value

    def strings(self, field: str, *, max_items: int, check) -> tuple[str, ...]:
        if field not in self.raw:
            self.fail(field, "is required (an array, which may be empty)")
        value = self.raw[field]
        if not isinstance(value, list):
            self.fail(field, f"must be an array of strings, not {_type_name(value)}")
        if len(value) > max_items:
            self.fail(field, f"has {len(value)} items; the limit is {max_items}")
        for i, item in enumerate(value):
            problem = check(item)
            if problem:
                self.fail(field, f"[{i}] {problem}")
        # Order kept, repeats dropped: a rule counts once per event.
        return tuple(dict.fromkeys(value))


def _rule_id_problem(item) -> str | None:
    if not isinstance(item, str):
        return f"must be a string, not {_type_name(item)}"
    if not 1 <= len(item) <= MAX_RULE_ID:
        return f"must be 1 to {MAX_RULE_ID} characters; got {len(item)}"
    return None


def _category_problem(item) -> str | None:
    if not isinstance(item, str) or item not in CATEGORIES:
        return f"must be one of {', '.join(CATEGORIES)}; got {item!r}"
    return None


def parse_time(value: str) -> datetime | None:
    """An ISO-8601 UTC time as docs/events.md allows it, or None."""
    m = _AT.fullmatch(value)
    if not m:
        return None
    y, mo, d, h, mi, s, frac = m.groups()
    try:
        micro = int((frac or "0")[:6].ljust(6, "0"))
        return datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), micro, tzinfo=timezone.utc)
    except ValueError:
        return None


def _event(index: int, raw, now: datetime) -> Event:
    if not isinstance(raw, dict):
        raise Problem(400, f"events[{index}] must be an object, not {_type_name(raw)}", index=index)
    f = _Fields(index, raw)
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        f.fail(unknown[0], "is not a field of an event (see docs/events.md)")
    event_id = f.string("id", required=True, max_len=64, min_len=8)
    if not _ID.fullmatch(event_id):
        f.fail("id", "must be 8 to 64 characters of A-Z, a-z, 0-9, '_' and '-'")
    kind = f.choice("type", TYPES, required=True)
    at_raw = f.string("at", required=True, max_len=40)
    at = parse_time(at_raw)
    if at is None:
        f.fail("at", f"must be an ISO-8601 time in UTC such as 2026-11-30T12:34:56Z; got {at_raw!r}")
    if not EARLIEST <= at <= now + FUTURE_SLACK:
        f.fail("at", f"is out of range ({at_raw}): not before 2020 and not more than a day ahead of the service's "
                     "clock")
    platform = f.choice("platform", PLATFORMS, required=True)
    rule_ids = f.strings("rule_ids", max_items=MAX_RULES, check=_rule_id_problem)
    categories = f.strings("categories", max_items=MAX_CATEGORIES, check=_category_problem)
    if kind == "presend":
        decision = raw.get("decision")
        if decision is None:
            f.fail("decision", f"is required for a presend event: one of {', '.join(DECISIONS)}")
        if decision not in DECISIONS:
            f.fail("decision", f"must be one of {', '.join(DECISIONS)} for a presend event; got {decision!r}")
    else:
        decision = None
        if raw.get("decision") is not None:
            f.fail("decision", f"is only for presend events; leave it out of a {kind} event")
    return Event(
        id=event_id, type=kind, at=at, platform=platform, rule_ids=rule_ids, categories=categories,
        decision=decision,
        reason=f.string("reason", required=False, max_len=MAX_REASON, min_len=0),
        officer=f.string("officer", required=False, max_len=MAX_OFFICER),
        severity=f.choice("severity", SEVERITIES, required=False),
        text=f.string("text", required=False, max_len=MAX_TEXT, min_len=0),
    )


def parse_events(body: dict, now: datetime | None = None) -> list[Event]:
    """The events of a request body, all valid, or a Problem for the first fault."""
    now = now or datetime.now(timezone.utc)
    unknown = sorted(set(body) - {"events"})
    if unknown:
        raise Problem(400, f"unknown field {unknown[0]!r}: the body is {{\"events\": [...]}}", field=unknown[0])
    items = body.get("events")
    if not isinstance(items, list):
        what = "missing" if "events" not in body else f"{_type_name(items)}, not an array"
        raise Problem(400, f"field 'events' must be an array of 1 to {MAX_EVENTS} events ({what})", field="events")
    if not 1 <= len(items) <= MAX_EVENTS:
        raise Problem(400, f"field 'events' must hold 1 to {MAX_EVENTS} events; got {len(items)}", field="events",
                      limit=MAX_EVENTS)
    return [_event(i, raw, now) for i, raw in enumerate(items)]
