"""Service settings, read from IMPARTIAL_* environment variables.

Every setting has a safe default, so `make run` needs no configuration.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

DEFAULT_RULES = Path(__file__).resolve().parent.parent / "rules.json"


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
        values.update(overrides)
        return cls(**values)
