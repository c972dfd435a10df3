"""Rate limits per API key on the v1 endpoints, with the `limits` library.

`limits` is the counting engine of Flask-Limiter (same maintainers), used here
directly: Flask-Limiter's per-request machinery (its context, route filters,
exemption scopes) measured about 0.2 ms of CPU per check, a tenth of a check;
one `hit` per limit costs about 20 us. One allowance per key, shared by every
v1 route, checked by the v1 blueprint's key hook once the caller is known.

Counts live in IMPARTIAL_RATE_LIMIT_STORAGE: memory:// keeps them per worker
(each of N workers allows the limit, so an instance allows up to N times it);
a shared store (redis://) makes the limit exact across workers and instances.
"""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from .problems import Problem

log = logging.getLogger(__name__)


class WorkerMemoryStorage(MemoryStorage):
    """limits' memory storage without its expiry thread.

    MemoryStorage starts a new 10 ms timer thread whenever its last one has
    finished, which under steady traffic is a thread start every few requests:
    measured, a fifth of a check's time. Counters already expire when read, so
    the sweep of stale keys only bounds memory; here it runs inline at most
    every few seconds. (It overrides MemoryStorage's private hook: should limits
    rename it, the override goes unused and the library's own thread does the
    same work, only more slowly.)
    """

    STORAGE_SCHEME = ["impartial-memory"]
    SWEEP_EVERY = 5.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._next_sweep = 0.0

    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + self.SWEEP_EVERY
            self._MemoryStorage__expire_events()


class RateLimits:
    def __init__(self, spec: str, storage_uri: str = "memory://"):
        self.items: list[RateLimitItem] = parse_many(spec)
        if storage_uri.rstrip("/") == "memory:":
            storage_uri = "impartial-memory://"
        self.storage = storage_from_string(storage_uri)
        self.limiter = FixedWindowRateLimiter(self.storage)
        self.spec = spec

    def enforce(self, bucket: str) -> None:
        """Count one request against the bucket; a 429 problem when over a limit.

        A storage that fails (a shared store down) lets the request through:
        limits protect the service, they must not take it down."""
        for item in self.items:
            try:
                allowed = self.limiter.hit(item, "v1", bucket)
            except Exception as exc:
                log.warning("rate-limit storage failed (%s); request let through", type(exc).__name__)
                return
            if not allowed:
                try:
                    reset = self.limiter.get_window_stats(item, "v1", bucket).reset_time
                    wait = max(1, math.ceil(reset - time.time()))
                except Exception:
                    wait = item.get_expiry()
                raise Problem(429, f"rate limit exceeded ({item} per API key); retry after {wait} s",
                              title="Too many requests", headers={"Retry-After": str(wait)}, retry_after=wait)


def rate_limits(settings) -> RateLimits | None:
    return RateLimits(settings.rate_limit, settings.rate_limit_storage) if settings.rate_limit else None
