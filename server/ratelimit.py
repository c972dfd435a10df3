"""Rate limits per API key on the v1 endpoints, with Flask-Limiter.

Counts live in IMPARTIAL_RATE_LIMIT_STORAGE: memory:// keeps them per worker
(each of N workers allows the limit, so an instance allows up to N times it);
a shared store (redis://) makes the limit exact across workers and instances.
"""

from __future__ import annotations

import math
import time

from flask import Blueprint, Flask
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded

from .auth import rate_limit_bucket, unidentified_open
from .problems import Problem


def init_rate_limits(app: Flask, settings, blueprint: Blueprint) -> Limiter | None:
    if not settings.rate_limit:
        return None
    limiter = Limiter(
        key_func=rate_limit_bucket, app=app, storage_uri=settings.rate_limit_storage,
        # Headers on every answer would cost a storage read per check; the 429 carries Retry-After.
        headers_enabled=False,
        # A shared store that fails must not stop checks: log and let the request through.
        swallow_errors=True, key_prefix="impartial",
    )
    # One allowance per key shared by every v1 route (not one per route). A
    # service with no key at all has nothing to count by: behind a proxy every
    # officer would share the proxy's address, so it is not limited.
    limiter.shared_limit(settings.rate_limit, scope="v1", key_func=rate_limit_bucket,
                         exempt_when=unidentified_open)(blueprint)

    @app.errorhandler(RateLimitExceeded)
    def _too_many(exc: RateLimitExceeded):
        wait = 1
        current = limiter.current_limit
        if current is not None:
            wait = max(1, math.ceil(current.window[0] - time.time()))
        return Problem(429, f"rate limit exceeded ({exc.description} per API key); retry after {wait} s",
                       title="Too many requests", headers={"Retry-After": str(wait)}, retry_after=wait).response()

    return limiter
