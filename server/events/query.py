"""Reading events and daily counts back: the stable interface for /admin and `impartial feedback`.

Every function takes an EventQuery and returns plain lists of dicts (JSON-ready:
days and times as ISO strings). Dates are UTC days, `since` and `until` inclusive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import desc, func, select

from ..db import Database, daily_counts, event_categories, event_rules, events, utc_iso

AFTER_WARNING = ("posted_after_warning", "posted_with_reason", "posted_unavailable")


@dataclass(frozen=True)
class EventQuery:
    db: Database
    since: date | None = None
    until: date | None = None

    def days(self, column):
        """The date filter on a `day` column."""
        conds = []
        if self.since is not None:
            conds.append(column >= self.since)
        if self.until is not None:
            conds.append(column <= self.until)
        return conds

    def rows(self, stmt) -> list:
        with self.db.begin() as conn:
            return list(conn.execute(stmt))


def parse_day(value: str | None) -> date | None:
    """'2026-11-30' -> a date; None or '' -> None; anything else -> ValueError."""
    if not value:
        return None
    return date.fromisoformat(value)


def _day(d) -> str:
    return d.isoformat() if isinstance(d, date) else str(d)


def per_day(q: EventQuery, type: str | None = None) -> list[dict]:
    n = func.count().label("n")
    stmt = select(events.c.day, events.c.type, n).where(*q.days(events.c.day))
    if type:
        stmt = stmt.where(events.c.type == type)
    stmt = stmt.group_by(events.c.day, events.c.type).order_by(events.c.day, events.c.type)
    return [{"day": _day(d), "type": t, "count": c} for d, t, c in q.rows(stmt)]


def _per(q: EventQuery, table, column, key: str, type: str | None) -> list[dict]:
    n = func.count().label("n")
    stmt = select(column, n).where(*q.days(table.c.day))
    if type:
        stmt = stmt.where(table.c.type == type)
    stmt = stmt.group_by(column).order_by(desc(n), column)
    return [{key: v, "count": c} for v, c in q.rows(stmt)]


def per_category(q: EventQuery, type: str | None = None) -> list[dict]:
    return _per(q, event_categories, event_categories.c.category, "category", type)


def per_rule(q: EventQuery, type: str | None = None) -> list[dict]:
    return _per(q, event_rules, event_rules.c.rule_id, "rule_id", type)


def false_flags_per_rule(q: EventQuery) -> list[dict]:
    n = func.count().label("n")
    stmt = (select(event_rules.c.rule_id, n, func.max(events.c.at))
            .join(events, events.c.id == event_rules.c.event_id)
            .where(event_rules.c.type == "false_flag", *q.days(event_rules.c.day))
            .group_by(event_rules.c.rule_id).order_by(desc(n), event_rules.c.rule_id))
    return [{"rule_id": r, "count": c, "last": utc_iso(last)} for r, c, last in q.rows(stmt)]


def presend_after_warning(q: EventQuery, limit: int = 500) -> list[dict]:
    stmt = (select(events.c.id, events.c.at, events.c.platform, events.c.decision, events.c.severity,
                   events.c.rule_ids, events.c.categories, events.c.reason, events.c.officer, events.c.source)
            .where(events.c.type == "presend", events.c.decision.in_(AFTER_WARNING), *q.days(events.c.day))
            .order_by(desc(events.c.at), events.c.id).limit(limit))
    return [{"id": r.id, "at": utc_iso(r.at), "platform": r.platform, "decision": r.decision,
             "severity": r.severity, "rule_ids": list(r.rule_ids or ()), "categories": list(r.categories or ()),
             "reason": r.reason, "officer": r.officer, "source": r.source} for r in q.rows(stmt)]


def decisions(q: EventQuery) -> list[dict]:
    n = func.count().label("n")
    stmt = (select(events.c.decision, n).where(events.c.type == "presend", *q.days(events.c.day))
            .group_by(events.c.decision).order_by(desc(n), events.c.decision))
    return [{"decision": d, "count": c} for d, c in q.rows(stmt)]


def _counts(q: EventQuery, metric: str):
    return (select(daily_counts.c.day, daily_counts.c.name, daily_counts.c.count)
            .where(daily_counts.c.metric == metric, *q.days(daily_counts.c.day)))


def checks_per_day(q: EventQuery) -> list[dict]:
    stmt = _counts(q, "checks").order_by(daily_counts.c.day)
    return [{"day": _day(d), "checks": c} for d, _, c in q.rows(stmt)]


def findings_per(q: EventQuery, metric: str) -> list[dict]:
    """What the checks found over the range, from the service's own counters:
    metric 'rule', 'category' or 'verdict'. [{"name", "count"}] most first."""
    if metric not in ("rule", "category", "verdict"):
        raise ValueError(f"unknown metric {metric!r}")
    total = func.sum(daily_counts.c.count).label("n")
    stmt = (select(daily_counts.c.name, total)
            .where(daily_counts.c.metric == metric, *q.days(daily_counts.c.day))
            .group_by(daily_counts.c.name).order_by(desc(total), daily_counts.c.name))
    return [{"name": name, "count": int(c)} for name, c in q.rows(stmt)]


def summary(q: EventQuery) -> dict:
    """Everything the admin page shows, in one dict."""
    return {
        "since": q.since.isoformat() if q.since else None,
        "until": q.until.isoformat() if q.until else None,
        "checks_per_day": checks_per_day(q),
        "findings_per_category": findings_per(q, "category"),
        "findings_per_rule": findings_per(q, "rule"),
        "events_per_day": per_day(q),
        "decisions": decisions(q),
        "presend_after_warning": presend_after_warning(q),
        "false_flags_per_rule": false_flags_per_rule(q),
    }
