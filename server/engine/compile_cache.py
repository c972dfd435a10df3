"""A disk cache of what a rulebook's load computes from each pattern alone.

A cold load of the shipped rulebook spends nearly all its time parsing regular
expressions: the `regex` module compiling them (its parser is Python), the safety
check reading them, the prefilters and anchors walking Python's parse tree. Each is
a pure function of the pattern's text, so a gunicorn worker, a CLI run or a test's
server can take the answers of the last load from disk and parse only what changed.

`regex` pickles a pattern as its compiled code (its `_regex.compile` rebuilds it
without parsing), so unpickling 550 patterns takes a fifth of a second where
compiling them takes many seconds. The file is read with an unpickler that builds
nothing but those patterns and plain values, and is written atomically; one that is
missing, stale, unreadable or foreign is ignored and rewritten.

Where: $IMPARTIAL_COMPILE_CACHE (a folder; "off" turns the cache off), else
$XDG_CACHE_HOME/impartial, else ~/.cache/impartial. Only patterns are stored, never
a post.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import pickle
import sys
import tempfile
import threading
from pathlib import Path

import regex

log = logging.getLogger(__name__)

FORMAT = 1
# Entries kept per kind: a reload with edits adds the edited patterns, and patterns
# no load has asked for since the process started are dropped past this size.
MAX_ENTRIES = 20_000
# Files of other fingerprints (an upgrade, an engine edit) kept beside this one, newest first:
# two versions of the service may share the folder for a while.
KEEP_OTHERS = 2
_MISSING = object()
# What the cached values may be built from: a compiled pattern and plain values.
_ALLOWED = {("regex._regex", "compile"), ("_regex", "compile"), ("builtins", "frozenset"), ("builtins", "set")}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not a value the compile cache stores")


def _fingerprint() -> str:
    """The cache answers for these versions of `regex`, Python (its Unicode tables) and
    the engine's code: any change to one starts a new file. The whole engine, not the few
    modules whose functions it remembers, so that no helper they call can go stale."""
    h = hashlib.sha256(f"{FORMAT}|{regex.__version__}|{sys.version}".encode())
    engine = Path(__file__).parent
    for path in sorted(engine.rglob("*.py")):
        h.update(path.relative_to(engine).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def _folder() -> Path | None:
    chosen = os.environ.get("IMPARTIAL_COMPILE_CACHE", "")
    if chosen.lower() == "off":
        return None
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "impartial"


class CompileCache:
    """kind -> {pattern text -> value}, read from disk on first use, written by save()."""

    def __init__(self, path: Path | None):
        self.path = path
        self._lock = threading.Lock()
        self._values: dict[str, dict] | None = None
        self._used: dict[str, set] = {}
        self._dirty = False
        self.hits = self.misses = 0  # for the tests and the load's log line

    def get(self, kind: str, source: str, compute):
        """The value of compute() for `source`, from the cache when it is there.
        compute() raising (an invalid pattern) stores nothing."""
        value = self._load().get(kind, {}).get(source, _MISSING)
        if value is _MISSING:
            value = compute()
            with self._lock:
                self._values.setdefault(kind, {})[source] = value
                self._dirty = True
                self.misses += 1
        else:
            self.hits += 1
        self._used.setdefault(kind, set()).add(source)
        return value

    def save(self) -> None:
        """Write what this process added, if anything; a cache that cannot be written
        only costs the next process its parse."""
        if not self._dirty or self.path is None:
            return
        with self._lock:
            # trimmed in memory too: a long-lived worker reloading edited rulebooks keeps no more
            values = self._values = {kind: self._trimmed(kind, v) for kind, v in self._values.items()}
            self._dirty = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".compile-", suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                pickle.dump(values, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
            self._drop_old()
        except OSError as exc:
            log.info("compile cache not written to %s: %s", self.path, exc)

    def _drop_old(self) -> None:
        others = [p for p in self.path.parent.glob("compile-*.pickle") if p != self.path]
        others.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        for old in others[KEEP_OTHERS:]:
            old.unlink(missing_ok=True)

    def _trimmed(self, kind: str, values: dict) -> dict:
        if len(values) <= MAX_ENTRIES:
            return dict(values)
        used = self._used.get(kind, set())
        return {k: v for k, v in values.items() if k in used}

    def _load(self) -> dict:
        if self._values is None:
            with self._lock:
                if self._values is None:
                    self._values = self._read()
        return self._values

    def _read(self) -> dict:
        if self.path is None or not self.path.is_file():
            return {}
        try:
            data = _Unpickler(io.BytesIO(self.path.read_bytes())).load()
        except Exception as exc:  # noqa: BLE001 - any unreadable file is only a cold load
            log.info("compile cache %s ignored: %s", self.path, exc)
            return {}
        if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
            return {}
        return data


def _default() -> CompileCache:
    folder = _folder()
    return CompileCache(folder / f"compile-{_fingerprint()}.pickle" if folder else None)


CACHE = _default()
