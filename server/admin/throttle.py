"""Failed sign-ins per client address: after a few, /admin/login answers 429 for a while.

Admin keys from `impartial keys` cannot be guessed, but IMPARTIAL_ADMIN_KEYS
may hold a weaker one. Counted per worker in memory (an instance with N
workers allows up to N times the limit); enough to make guessing slow.
"""

from __future__ import annotations

import threading
import time
from collections import deque

MAX_FAILURES = 10
WINDOW = 300.0      # seconds
MAX_ADDRESSES = 10_000


class Throttle:
    def __init__(self, max_failures: int = MAX_FAILURES, window: float = WINDOW, clock=time.monotonic):
        self.max_failures = max_failures
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque:
        q = self._failures.get(address)
        if q is None:
            return deque()
        while q and now - q[0] > self.window:
            q.popleft()
        return q

    def retry_after(self, address: str) -> int:
        """Seconds until address may try again; 0 when it may now."""
        now = self.clock()
        with self._lock:
            q = self._recent(address, now)
            if len(q) < self.max_failures:
                return 0
            return max(1, int(self.window - (now - q[0])) + 1)

    def failed(self, address: str) -> None:
        now = self.clock()
        with self._lock:
            if len(self._failures) >= MAX_ADDRESSES and address not in self._failures:
                self._failures.clear()  # bounded memory; forgetting is the safe side for officers
            q = self._failures.setdefault(address, deque())
            q.append(now)
            while len(q) > self.max_failures:
                q.popleft()
