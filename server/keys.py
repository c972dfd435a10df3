"""Who is calling: API keys from the database or IMPARTIAL_API_KEYS, or an
identity vouched for by the organisation's reverse proxy.

Database keys are 256-bit random strings shown once at creation; only their
sha256 is stored, and a presented key is looked up by its hash (so no key is
ever compared character by character). Environment keys are compared with
hmac.compare_digest. Each worker caches what it learnt about a key hash for
`cache_seconds`, so a check costs one hash and one dict lookup, and a revoked
key stops working within that time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, select, update

from .db import Database, DatabaseUnavailable, api_keys, utc_iso

KEY_PREFIX = "imp_"
# When the database cannot be reached, a key verified this recently still works.
STALE_GRACE = 600.0
# Bound on cached key hashes per worker (unknown keys are cached too).
CACHE_MAX = 10_000


@dataclass(frozen=True)
class Identity:
    label: str
    admin: bool = False
    # "db" (a key from `impartial keys`), "env" (IMPARTIAL_API_KEYS / IMPARTIAL_ADMIN_KEYS),
    # "header" (the proxy's identity header) or "open" (no keys configured).
    kind: str = "db"
    # What rate limits count by: one bucket per key or identity.
    bucket: str = ""


OPEN = Identity(label="(no key)", kind="open", bucket="open")


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def presented_key(headers) -> str:
    """The key in 'Authorization: Bearer <key>' or 'X-API-Key', or ''."""
    given = headers.get("X-API-Key", "")
    auth = headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        given = auth[7:].strip()
    return given


class KeyRing:
    def __init__(self, db: Database | None, env_keys=(), env_admin_keys=(), cache_seconds: float = 5.0,
                 identity_header: str = ""):
        self.db = db
        self.env_keys = tuple(env_keys)
        self.env_admin_keys = tuple(env_admin_keys)
        self.cache_seconds = cache_seconds
        self.identity_header = identity_header
        self._cache: dict[str, tuple[float, Identity | None]] = {}
        self._lock = threading.Lock()
        # (valid until, whether the database has any key); None until first asked.
        self._db_has_keys: tuple[float, bool] | None = None

    # -- the request path ----------------------------------------------------

    def identify(self, headers) -> Identity | None:
        """The caller's identity; OPEN when no key is configured anywhere; None for a missing
        or wrong key. Raises DatabaseUnavailable when a key cannot be verified now."""
        if self.identity_header:
            vouched = headers.get(self.identity_header, "").strip()
            if vouched:
                return Identity(label=vouched[:200], kind="header", bucket="h:" + vouched[:200])
        given = presented_key(headers)
        if given:
            for i, k in enumerate(self.env_admin_keys):
                if hmac.compare_digest(given.encode(), k.encode()):
                    return Identity(label=f"IMPARTIAL_ADMIN_KEYS #{i + 1}", admin=True, kind="env",
                                    bucket=f"ea:{i}")
            for i, k in enumerate(self.env_keys):
                if hmac.compare_digest(given.encode(), k.encode()):
                    return Identity(label=f"IMPARTIAL_API_KEYS #{i + 1}", kind="env", bucket=f"e:{i}")
            found = None
            if self.db is not None and given.startswith(KEY_PREFIX) and len(given) <= 128:
                found = self._lookup(key_hash(given))
            if found is not None:
                return found
        # A key sent to a service that has none is ignored, as before keys were stored.
        return None if self.keys_required() else OPEN

    def keys_required(self) -> bool:
        """True once any key exists: in the environment, or ever created in the database.
        Raises DatabaseUnavailable when only the database can tell and it cannot be asked
        (never answering 'no keys' on a guess: that would open the service)."""
        if self.env_keys or self.env_admin_keys:
            return True
        if self.db is None:
            return False
        known = self._db_has_keys
        if known is not None and time.monotonic() < known[0]:
            return known[1]
        try:
            with self.db.begin() as conn:
                has = conn.execute(select(func.count()).select_from(api_keys)).scalar_one() > 0
        except DatabaseUnavailable:
            if known is None:
                raise
            return known[1]  # what it was a moment ago; keys are never deleted, only revoked
        self._db_has_keys = (time.monotonic() + self.cache_seconds, has)
        return has

    def _lookup(self, digest: str) -> Identity | None:
        now = time.monotonic()
        hit = self._cache.get(digest)
        if hit is not None and now < hit[0]:
            return hit[1]
        try:
            with self.db.begin() as conn:
                row = conn.execute(select(api_keys.c.id, api_keys.c.label, api_keys.c.admin)
                                   .where(api_keys.c.key_hash == digest, api_keys.c.revoked_at.is_(None))
                                   ).first()
        except DatabaseUnavailable:
            if hit is not None and hit[1] is not None and now < hit[0] - self.cache_seconds + STALE_GRACE:
                return hit[1]
            raise
        found = Identity(label=row.label, admin=bool(row.admin), kind="db", bucket=f"k:{row.id}") if row else None
        with self._lock:
            if len(self._cache) >= CACHE_MAX:
                self._cache.clear()
            self._cache[digest] = (now + self.cache_seconds, found)
        return found

    # -- administration (the `impartial keys` command) -----------------------

    def create(self, label: str, admin: bool = False) -> tuple[int, str]:
        """A new key: (its id, the key). The key is not stored and cannot be shown again."""
        key = new_key()
        with self.db.begin() as conn:
            key_id = conn.execute(api_keys.insert().values(
                key_hash=key_hash(key), prefix=key[:12], label=label, admin=admin,
                created_at=datetime.now(timezone.utc)).returning(api_keys.c.id)).scalar_one()
        return key_id, key

    def list(self) -> list[dict]:
        with self.db.begin() as conn:
            rows = conn.execute(select(api_keys).order_by(api_keys.c.id)).mappings().all()
        return [{"id": r["id"], "prefix": r["prefix"], "label": r["label"], "admin": bool(r["admin"]),
                 "created_at": utc_iso(r["created_at"]), "revoked_at": utc_iso(r["revoked_at"])} for r in rows]

    def revoke(self, key_id: int) -> bool:
        """True when the key existed and was not revoked yet."""
        with self.db.begin() as conn:
            done = conn.execute(update(api_keys).where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                                .values(revoked_at=datetime.now(timezone.utc))).rowcount
        return bool(done)

