"""Checks and findings per UTC day, counted in memory by each worker and added
to the database in one upsert every few seconds: the check path never writes.

A worker killed without warning loses at most its last interval of counts.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from collections import Counter
from datetime import datetime, timezone

from .db import Database, daily_counts

log = logging.getLogger(__name__)


def _utc_day():
    return datetime.now(timezone.utc).date()


class CheckCounter:
    def __init__(self, db: Database, interval: float = 5.0, on_flush=None):
        self.db = db
        self.interval = interval
        # Work the flusher thread also does every round (e.g. purging old texts).
        self.on_flush = on_flush
        self._counts: Counter = Counter()
        self._lock = threading.Lock()
        # Held for a whole flush, swap to commit: a worker's last flush on its way
        # out must wait for the flusher thread's write in flight, or the counts
        # that thread has taken die with it (it is a daemon).
        self._flushing = threading.Lock()
        self._pid = None
        self._wake = threading.Event()
        self._day, self._day_until = None, 0.0

    def _today(self):
        # The date changes once a day; asking the clock for it on every check costs more than this.
        now = time.time()
        if now >= self._day_until:
            self._day = _utc_day()
            self._day_until = now - now % 60 + 60
        return self._day

    def add(self, result) -> None:
        """Count one check (a CheckResult)."""
        day = self._today()
        with self._lock:
            counts = self._counts
            counts[(day, "checks", "")] += 1
            counts[(day, "verdict", result.verdict)] += 1
            # what the response carried: a learned-layer finding hidden behind a rule's is not counted
            for f in result.shown():
                counts[(day, "rule", f.rule_id)] += 1
                counts[(day, "category", f.category)] += 1
        if self._pid != os.getpid():
            self._start()

    def flush(self) -> int:
        """Add the counts so far to the database; on failure keep them for the next round."""
        with self._flushing:
            return self._flush()

    def _flush(self) -> int:
        with self._lock:
            counts, self._counts = self._counts, Counter()
        if not counts:
            return 0
        rows = [{"day": d, "metric": m, "name": n[:128], "count": c} for (d, m, n), c in counts.items()]
        stmt = self.db.insert(daily_counts)
        stmt = stmt.on_conflict_do_update(index_elements=["day", "metric", "name"],
                                          set_={"count": daily_counts.c.count + stmt.excluded["count"]})
        try:
            with self.db.begin() as conn:
                conn.execute(stmt, rows)
        except Exception as exc:
            with self._lock:
                self._counts.update(counts)
            log.warning("could not save check counts (kept for the next try): %s", type(exc).__name__)
            return 0
        return len(rows)

    def _start(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
        thread = threading.Thread(target=_run, args=(weakref.ref(self), self._wake, self.interval),
                                  name="count-flusher", daemon=True)
        thread.start()
        atexit.register(self.flush)

    def close(self) -> None:
        """Stop the flusher and save what is left (an app being discarded, as in tests)."""
        self._wake.set()
        atexit.unregister(self.flush)
        self.flush()


def _run(ref, wake: threading.Event, interval: float) -> None:
    while not wake.wait(interval):
        counter = ref()
        if counter is None:
            return
        counter.flush()
        if counter.on_flush is not None:
            counter.on_flush()
        del counter
