"""The rulebook currently served, reloaded when rules.json changes.

Each gunicorn worker holds its own store and notices a changed file on its
next request (at most every `reload_interval` seconds, one stat call). A
rulebook that fails to load is refused with its reasons; the last good one
keeps serving.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass

from .engine import Checker, RulebookError, load_rulebook

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Loaded:
    checker: Checker
    loaded_at: float
    signature: tuple


class RulebookStore:
    def __init__(self, path: str, reload_interval: float = 1.0, regex_timeout: float = 0.05):
        self.path = path
        self.reload_interval = reload_interval
        self.regex_timeout = regex_timeout
        self.current: Loaded | None = None
        self.error: RulebookError | None = None  # why the newest file was refused
        self._error_signature: tuple | None = None
        self._next_check = 0.0
        self._lock = threading.Lock()
        self.reload(force=True)

    def _signature(self) -> tuple | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def reload(self, force: bool = False) -> bool:
        """Load the file if it changed. True when a new rulebook is now served."""
        with self._lock:
            sig = self._signature()
            if not force:
                if self.current is not None and sig == self.current.signature:
                    return False
                if sig is not None and sig == self._error_signature:
                    return False  # already refused this exact file
            try:
                book = load_rulebook(self.path)
                checker = Checker(book, regex_timeout=self.regex_timeout)
            except RulebookError as exc:
                self.error = exc
                self._error_signature = sig
                log.error("rulebook refused, still serving %s: %s",
                          self.current.checker.rulebook.version if self.current else "nothing", exc)
                return False
            self.current = Loaded(checker, time.time(), sig)
            self.error = None
            self._error_signature = None
            log.info("rulebook %s loaded: %d rules, %d phrases", book.version, len(book.rules), checker.phrase_count)
            return True

    def checker(self) -> Checker | None:
        if self.reload_interval > 0:
            now = time.monotonic()
            if now >= self._next_check:
                self._next_check = now + self.reload_interval
                self.reload()
        return self.current.checker if self.current else None
