"""Service settings, read from IMPARTIAL_* environment variables.

Every setting has a safe default, so `make run` needs no configuration.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path

DEFAULT_RULES = Path(__file__).resolve().parent.parent / "rules.json"

# An exact origin: scheme://host[:port], nothing else. No wildcard, no path, and
# none of the characters flask-cors would take as a regular expression.
_ORIGIN = re.compile(r"[a-z][a-z0-9+.-]*://[a-z0-9-]+(\.[a-z0-9-]+)*(:[0-9]{1,5})?", re.I)


class ConfigError(ValueError):
    """A setting the service refuses to start with."""


def _bool(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def _list(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


@dataclass(frozen=True)
class Settings:
    # Path of the rulebook; edits take effect without a restart.
    rules: str = str(DEFAULT_RULES)
    # Longest accepted post, in UTF-16 code units (Facebook allows 63,206).
    max_text_length: int = 70_000
    # Origins allowed to call the API from a browser (e.g. chrome-extension://<id>).
    # None by default: the extension calls from its service worker, which needs no CORS.
    cors_origins: tuple[str, ...] = ()
    log_level: str = "INFO"
    # API keys accepted in "Authorization: Bearer <key>" or "X-API-Key". Empty: no key needed.
    api_keys: tuple[str, ...] = field(default=(), repr=False)
    # Seconds between checks of the rulebook file for changes (0: never reload).
    reload_interval: float = 1.0
    # Seconds one rule's regex may run on one post before it is skipped.
    regex_timeout: float = 0.05
    # Treat every request as in a pre-election period (admins switch this on for purdah).
    election_period: bool = False
    # Log post text in debug logs. Off: a post's text is never stored or logged.
    log_text: bool = False
    # Append false-flag reports (rule id, platform, time; never the post) to this file.
    feedback_path: str = ""
    # A rulebook file larger than this is refused without being read.
    rules_max_bytes: int = 4_000_000
    # Seconds one (background) load of the rulebook may take before it is reported as hung.
    reload_timeout: float = 10.0
    # The database: SQLite in the instance folder when empty; DATABASE_URL also sets it.
    database_url: str = field(default="", repr=False)
    # Apply the database migrations when the service starts (off: run `impartial db upgrade` yourself).
    db_auto_upgrade: bool = True
    # Admin keys from the environment (the database's admin keys come from `impartial keys create --admin`).
    admin_keys: tuple[str, ...] = field(default=(), repr=False)
    # Seconds each worker trusts what it learnt about a key: a revoked key stops working within this.
    key_cache_seconds: float = 5.0
    # A request header set by the organisation's reverse proxy naming the signed-in user
    # (e.g. X-Forwarded-User). Empty: no header is trusted.
    trust_identity_header: str = ""
    # Requests per key (the limits library's syntax, ";" between limits); empty: no limit. A team of
    # officers shares a key, each checking about once a second while typing.
    rate_limit: str = "3000/minute;100/second"
    # Where rate-limit counts live: memory:// (per worker), or redis://host:port for exact
    # limits across workers and instances.
    rate_limit_storage: str = "memory://"
    # Keep an event's text this many days (0: never keep it).
    store_text_days: int = 0
    # Seconds between each worker's saves of its check counts.
    counts_interval: float = 5.0

    def validate(self) -> "Settings":
        """Refuse settings that would make the service unsafe; the message says what to do."""
        for origin in self.cors_origins:
            if "*" in origin:
                raise ConfigError(
                    f"IMPARTIAL_CORS_ORIGINS: {origin!r} is a wildcard; only exact origins are allowed "
                    "(scheme://host[:port], e.g. chrome-extension://<extension id>). A wildcard lets any web "
                    "page matching it call the API from an officer's browser. Firefox extensions need no "
                    "CORS entry: grant the service's host permission instead (docs/extension/README.md).")
            if not _ORIGIN.fullmatch(origin):
                raise ConfigError(
                    f"IMPARTIAL_CORS_ORIGINS: {origin!r} is not an exact origin; write scheme://host[:port] "
                    "with no path, no trailing slash and no pattern, e.g. chrome-extension://<extension id>")
        if self.max_text_length < 1:
            raise ConfigError("IMPARTIAL_MAX_TEXT_LENGTH must be at least 1")
        if self.rules_max_bytes < 1 or self.reload_timeout <= 0:
            raise ConfigError("IMPARTIAL_RULES_MAX_BYTES and IMPARTIAL_RELOAD_TIMEOUT must be positive")
        if self.store_text_days < 0 or self.key_cache_seconds < 0 or self.counts_interval <= 0:
            raise ConfigError("IMPARTIAL_STORE_TEXT_DAYS and IMPARTIAL_KEY_CACHE_SECONDS must be 0 or more, "
                              "IMPARTIAL_COUNTS_INTERVAL above 0")
        if self.rate_limit:
            from limits import parse_many

            try:
                parse_many(self.rate_limit)
            except ValueError:
                raise ConfigError(f"IMPARTIAL_RATE_LIMIT: {self.rate_limit!r} is not a rate limit; write e.g. "
                                  "'1200/minute;50/second'") from None
        return self

    @classmethod
    def from_env(cls, environ=None, **overrides) -> "Settings":
        env = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = env.get("IMPARTIAL_" + f.name.upper())
            if raw is None:
                continue
            if f.type in ("int",):
                values[f.name] = int(raw)
            elif f.type in ("float",):
                values[f.name] = float(raw)
            elif f.type in ("bool",):
                values[f.name] = _bool(raw)
            elif f.type.startswith("tuple"):
                values[f.name] = _list(raw)
            else:
                values[f.name] = raw
        if "database_url" not in values and env.get("DATABASE_URL"):
            values["database_url"] = env["DATABASE_URL"]
        values.update(overrides)
        return cls(**values)
