"""Writes events: one short transaction per request, a retried id never stored twice."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, update

from ..db import Database, event_categories, event_rules, events
from .validate import Event

log = logging.getLogger(__name__)

# The service clears old texts by itself at most this often (per process);
# `impartial events purge` does it on demand.
PURGE_EVERY = 3600.0


class EventStore:
    def __init__(self, db: Database, store_text_days: int = 0):
        self.db = db
        self.store_text_days = max(0, int(store_text_days))
        self._last_purge = 0.0
        self._purge_lock = threading.Lock()

    def record(self, batch: list[Event], source: str, now: datetime | None = None) -> tuple[int, int]:
        """Store the events whose ids are new. Returns (accepted, duplicates).

        INSERT ... ON CONFLICT DO NOTHING RETURNING id tells which ids were new,
        in the same statement, so two instances storing the same retried event
        at the same moment still store it once.
        """
        now = now or datetime.now(timezone.utc)
        unique: dict[str, Event] = {}
        for e in batch:
            unique.setdefault(e.id, e)
        keep_text = self.store_text_days > 0
        rows = [{
            "id": e.id, "type": e.type, "at": e.at, "day": e.at.date(), "received_at": now,
            "platform": e.platform, "decision": e.decision, "severity": e.severity, "reason": e.reason,
            "officer": e.officer, "source": source[:200], "rule_ids": list(e.rule_ids),
            "categories": list(e.categories), "text": e.text if keep_text else None,
        } for e in unique.values()]
        with self.db.begin() as conn:
            stmt = self.db.insert(events).values(rows).on_conflict_do_nothing(index_elements=["id"]) \
                .returning(events.c.id)
            new = set(conn.execute(stmt).scalars())
            fresh = [unique[i] for i in unique if i in new]
            rule_rows = [{"event_id": e.id, "rule_id": r, "day": e.at.date(), "type": e.type}
                         for e in fresh for r in e.rule_ids]
            cat_rows = [{"event_id": e.id, "category": c, "day": e.at.date(), "type": e.type}
                        for e in fresh for c in e.categories]
            if rule_rows:
                conn.execute(event_rules.insert(), rule_rows)
            if cat_rows:
                conn.execute(event_categories.insert(), cat_rows)
        return len(new), len(batch) - len(new)

    def purge_text(self, now: datetime | None = None) -> int:
        """Clear the text of every event received more than store_text_days ago
        (all texts when storing is off: turning it off must not leave old ones)."""
        now = now or datetime.now(timezone.utc)
        cutoff = now - timedelta(days=self.store_text_days)
        with self.db.begin() as conn:
            result = conn.execute(update(events).where(and_(events.c.text.is_not(None),
                                                            events.c.received_at <= cutoff))
                                  .values(text=None))
        self._last_purge = time.monotonic()
        return result.rowcount or 0

    def maybe_purge(self) -> None:
        """Purge at most once per PURGE_EVERY in this process; never raises."""
        if time.monotonic() - self._last_purge < PURGE_EVERY and self._last_purge:
            return
        if not self._purge_lock.acquire(blocking=False):
            return
        try:
            cleared = self.purge_text()
            if cleared:
                log.info("cleared the text of %d events older than %d days", cleared, self.store_text_days)
        except Exception as exc:  # the next round tries again
            log.warning("could not purge old event texts: %s", type(exc).__name__)
        finally:
            self._purge_lock.release()
