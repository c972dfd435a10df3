"""The caller's identity for this request, worked out once and kept on flask.g
(the rate limiter asks for it before the v1 blueprint's key check does)."""

from __future__ import annotations

from flask import g, request

from .db import DatabaseUnavailable
from .keys import Identity
from .problems import Problem
from .runtime import runtime

RETRY_DB = 5


def current_identity() -> Identity | None:
    return _identified()[0]


def _identified() -> tuple[Identity | None, DatabaseUnavailable | None]:
    """(the caller's identity, or why it cannot be known now), worked out once per request."""
    known = g.get("impartial_identity")
    if known is None:
        try:
            known = (runtime().keys.identify(request.headers), None)
        except DatabaseUnavailable as exc:
            known = (None, exc)
        g.impartial_identity = known
    return known


def require_key() -> None:
    """The v1 blueprint's before_request hook: who is calling, and within their rate limit?"""
    # A CORS preflight carries no credentials by design; flask-cors answers it.
    if request.method == "OPTIONS":
        return
    identity, unavailable = _identified()
    limits = runtime().limits
    bucket = limit_bucket(identity)
    if limits is not None and bucket is not None:
        limits.enforce(bucket)
    if identity is None:
        if unavailable is not None:
            raise Problem(503, "the API key cannot be verified now (the database is unreachable); retry shortly",
                          headers={"Retry-After": str(RETRY_DB)})
        raise Problem(401, "a valid API key is required: send 'Authorization: Bearer <key>'")


def limit_bucket(identity: Identity | None) -> str | None:
    """What the caller's requests count against, or None when nothing is counted.

    A service with no key at all has nothing to count by (behind a proxy every
    officer shares one address): it is not limited. A missing or wrong key
    counts against the caller's address."""
    if identity is not None and identity.kind == "open":
        return None
    return identity.bucket if identity is not None else "ip:" + (request.remote_addr or "")


def require_admin() -> Identity:
    identity = current_identity()
    if identity is None or identity.kind == "open":
        raise Problem(401, "an admin API key is required (create one with `impartial keys create --admin`)")
    if not identity.admin:
        raise Problem(403, "this needs an admin API key; the key sent is not one")
    return identity


def source_label() -> str:
    """What events record as their sender: the key's label or the proxy's identity."""
    identity = current_identity()
    return identity.label if identity is not None else "(unknown)"
