"""The objects one app instance lives with, kept on app.extensions["impartial"].

Routes reach them through runtime(); nothing mutable is kept in app.config,
which Flask treats as configuration, not state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from .config import Settings
from .store import RulebookStore

EXTENSION = "impartial"


@dataclass
class Runtime:
    settings: Settings
    store: RulebookStore
    # This worker's counters since it started (see api.make_stats).
    stats: dict
    # The database-backed parts; None until the app factory opens the database.
    db: Any = None
    events: Any = None
    keys: Any = None
    checks: Any = None
    # Rate limits per key (server/ratelimit.py); None when turned off.
    limits: Any = None
    extra: dict = field(default_factory=dict)


def runtime(app=None) -> Runtime:
    return (app or current_app).extensions[EXTENSION]
