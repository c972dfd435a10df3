"""The rulebook currently served, reloaded in the background when its files change.

The rules setting names one file or several layers (server/layers.py): every
file below is read the same way, and a folder's listing is read again on each
look, so an added or removed layer file is noticed. A broken core refuses the
whole set; a broken layer is refused alone (its last good content, if any,
keeps serving with the others).

Requests only ever read `store.state`, one immutable snapshot swapped in by a
single assignment: they never open the file, never wait on a lock and never
wait for a reload. Each process (each gunicorn worker) runs one watcher thread,
started before it serves (gunicorn.conf.py's post_worker_init) or by its first
request, that every `reload_interval` seconds:

- stats the file; anything but a regular file (a FIFO, a device, a directory)
  or a file over `max_bytes` is refused without being read;
- reads and parses it when its stat signature changed, or while the newest
  file is refused (then the content digest tells whether it really changed:
  a broken file replaced by a good one of the same size and time is noticed);
- stats and reads in a reader thread it waits for at most `load_timeout`
  seconds: a read that hangs (a network mount) is reported as a refusal and
  no other read starts until it returns.

A rulebook that fails to load is refused with its reasons; the last good one
keeps serving. The first load, at start-up, runs the same way.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import threading
import time
import weakref
from dataclasses import dataclass, field, replace

from .engine import Checker, RulebookError
from .engine.compile_cache import CACHE
from .layers import Source, combine, compose, expand

log = logging.getLogger(__name__)

# The watcher never spins faster than this, whatever the setting.
MIN_INTERVAL = 0.05


@dataclass(frozen=True)
class Refusal:
    error: RulebookError  # every reason; for several layers each problem starts with the layer's name
    signature: tuple | None
    sha256: str | None
    at: float
    layers: tuple = ()  # one RulebookError per layer left out of the set that serves


@dataclass(frozen=True)
class Loaded:
    checker: Checker
    loaded_at: float
    signature: tuple
    sha256: str
    used: dict = field(default_factory=dict)  # layer path -> the bytes it was built from (its last good)
    refused: Refusal | None = None  # layers whose newest content this set was built without


@dataclass(frozen=True)
class State:
    current: Loaded | None = None
    refused: Refusal | None = None


class _Unchanged(Exception):
    pass


class RulebookStore:
    def __init__(self, path: str, reload_interval: float = 1.0, regex_timeout: float = 0.05,
                 max_bytes: int = 4_000_000, load_timeout: float = 10.0):
        self.path = str(path)
        self.reload_interval = reload_interval
        self.regex_timeout = regex_timeout
        self.max_bytes = max_bytes
        self.load_timeout = load_timeout
        self.state = State()
        self.attempts = 0  # reads started (the tests count them)
        self._wake = threading.Event()
        self._hung: threading.Thread | None = None
        self._watcher_pid: int | None = None
        self._start_lock = threading.Lock()  # taken once per process, never by a request after that
        self.closed = False
        self._listeners: list = []  # told of every new state (metrics); see add_listener
        self.reload(force=True)

    # -- what requests read ---------------------------------------------------------

    @property
    def current(self) -> Loaded | None:
        return self.state.current

    @property
    def error(self) -> RulebookError | None:
        refused = self.state.refused
        return refused.error if refused else None

    def checker(self) -> Checker | None:
        self.ensure_watching()
        current = self.state.current
        return current.checker if current else None

    def nudge(self) -> None:
        """Ask the watcher to look at the file now (without waiting for it)."""
        self.ensure_watching()
        self._wake.set()

    def add_listener(self, listener) -> None:
        """listener(state, new_refusal=bool) is called after each change of state (a rulebook installed,
        a refusal cleared, a file refused), from the thread that made it. It must be quick and not raise."""
        self._listeners.append(listener)

    def _changed(self, new_refusal: bool = False) -> None:
        for listener in self._listeners:
            try:
                listener(self.state, new_refusal=new_refusal)
            except Exception as exc:  # a listener's bug must not stop the watcher
                log.error("rulebook listener failed: %s", type(exc).__name__)

    def close(self) -> None:
        """Stop this process's watcher (tests; a worker just exits)."""
        self.closed = True
        self._wake.set()

    # -- the watcher ----------------------------------------------------------------

    def ensure_watching(self) -> None:
        """Start this process's watcher thread if it has none (after a fork, say)."""
        if self.reload_interval <= 0 or self.closed or self._watcher_pid == os.getpid():
            return
        with self._start_lock:
            if self._watcher_pid == os.getpid():
                return
            self._watcher_pid = os.getpid()
            self._hung = None  # a thread of the parent process: not ours
            interval = max(self.reload_interval, MIN_INTERVAL)
            thread = threading.Thread(target=_watch, args=(weakref.ref(self), self._wake, interval),
                                      name="rulebook-watcher", daemon=True)
            thread.start()

    def reload(self, force: bool = False) -> bool:
        """Look at the file once. True when a new rulebook is now served.

        The file is stat'ed and read in a loader thread waited for at most
        load_timeout seconds; parsing (CPU work on at most max_bytes) follows here.
        """
        hung = self._hung
        if hung is not None and hung.is_alive():
            return False  # the last read has not come back: do not start another one
        self._hung = None
        state = self.state
        outcome: list = []

        def read():
            try:
                outcome.append(self._read(state, force))
            except (_Unchanged, RulebookError) as exc:
                outcome.append(exc)

        self.attempts += 1
        loader = threading.Thread(target=read, name="rulebook-reader", daemon=True)
        loader.start()
        loader.join(self.load_timeout)
        if loader.is_alive():
            self._hung = loader
            self._refuse(RulebookError([f"reading the file took over {self.load_timeout:g} s and was abandoned "
                                        "(a hung network mount?)"], self.path), None, None)
            return False
        if not outcome or isinstance(outcome[0], _Unchanged):
            return False
        if isinstance(outcome[0], RulebookError):
            self._refuse(outcome[0], None, None)
            return False
        sig, read = outcome[0]
        return self._install(state, sig, read)

    def _install(self, state: State, sig: tuple, read: list) -> bool:
        """Build and serve what was read: read is [(path, bytes or the RulebookError reading it)]."""
        digest = hashlib.sha256("\n".join(
            f"{p} {hashlib.sha256(r).hexdigest() if isinstance(r, bytes) else r}" for p, r in read).encode()).hexdigest()
        current = state.current
        if current is not None and digest == current.sha256:
            # The same content (touched, or copied back): keep it, and only the refusals it was built with.
            if state.refused is not None and current.refused is None:
                log.info("rulebook file is back to the one served (%s)", current.checker.rulebook.version)
            self.state = State(replace(current, signature=sig), current.refused)
            if state.refused is not current.refused:
                self._changed()  # a refusal cleared
            return False
        if state.refused is not None and digest == state.refused.sha256:
            return False  # already refused exactly this content
        used = current.used if current else {}
        unreadable = [r for _, r in read if not isinstance(r, bytes)]
        # An unreadable layer keeps its last good content, as a broken one does.
        sources = [Source(p, r if isinstance(r, bytes) else used[p]) for p, r in read
                   if isinstance(r, bytes) or p in used]
        parsed_before = CACHE.misses
        try:
            composed = compose(sources, last_good=used)
            checker = Checker(composed.rulebook, regex_timeout=self.regex_timeout)
        except RulebookError as exc:
            self._refuse(exc, sig, digest)
            return False
        except Exception as exc:  # a bug in loading must not kill the watcher or the service
            log.error("rulebook load failed: %s", type(exc).__name__)
            self._refuse(RulebookError([f"loading failed: {type(exc).__name__}"], self.path), sig, digest)
            return False
        book = composed.rulebook
        refusal = None
        if unreadable or composed.refused:
            refusal = self._refusal(unreadable + composed.refused, sig, digest)
            log.error("rulebook layer refused, serving the others: %s", refusal.error)
        self.state = State(Loaded(checker, time.time(), sig, digest, composed.used, refusal), refusal)
        self._changed(new_refusal=refusal is not None)
        # how many pattern analyses this load computed (the rest came from the compile cache)
        log.info("rulebook %s loaded: %d rules, %d phrases, %d pattern analyses parsed", book.version,
                 len(book.rules), checker.phrase_count, CACHE.misses - parsed_before)
        return True

    def _read(self, state: State, force: bool) -> tuple[tuple, list]:
        """Every file's signature and bytes (or why it could not be read); _Unchanged when
        nothing needs reading. A core that cannot be read refuses the whole set."""
        paths = expand(self.path)
        if not paths:
            raise RulebookError(["no rulebook files: the folder has no *.json files"], self.path)
        sigs: dict = {}
        for i, path in enumerate(paths):
            try:
                sigs[path] = self._stat(path)
            except RulebookError as exc:
                if i == 0:
                    raise
                sigs[path] = exc
        sig = tuple((p, s if isinstance(s, tuple) else None) for p, s in sigs.items())
        # While a refusal stands, read again every time: the content digest tells
        # whether a file with the same signature now holds something else.
        if not force and state.refused is None and state.current is not None and sig == state.current.signature:
            raise _Unchanged
        read = []
        for i, path in enumerate(paths):
            try:
                if isinstance(sigs[path], RulebookError):
                    raise sigs[path]
                read.append((path, self._read_file(path)))
            except RulebookError as exc:
                if i == 0:
                    raise
                read.append((path, exc))
        return sig, read

    def _stat(self, path: str) -> tuple:
        try:
            st = os.stat(path)
        except OSError as exc:
            raise RulebookError([f"cannot read the file: {exc.strerror or exc}"], path) from None
        if not stat.S_ISREG(st.st_mode):
            raise RulebookError([f"not a regular file ({_kind(st.st_mode)}); it was not opened"], path)
        if st.st_size > self.max_bytes:
            raise RulebookError([f"the file is {st.st_size} bytes; the limit is {self.max_bytes} "
                                 "(IMPARTIAL_RULES_MAX_BYTES); it was not read"], path)
        return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)

    def _read_file(self, path: str) -> bytes:
        # O_NONBLOCK: if the path became a FIFO since the stat, open does not wait for a writer.
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            raise RulebookError([f"cannot read the file: {exc.strerror or exc}"], path) from None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise RulebookError([f"not a regular file ({_kind(st.st_mode)})"], path)
            with os.fdopen(fd, "rb", closefd=False) as fh:
                raw = fh.read(self.max_bytes + 1)
        except OSError as exc:
            raise RulebookError([f"cannot read the file: {exc.strerror or exc}"], path) from None
        finally:
            os.close(fd)
        if len(raw) > self.max_bytes:
            raise RulebookError([f"the file is over {self.max_bytes} bytes (IMPARTIAL_RULES_MAX_BYTES)"], path)
        return raw

    def _refusal(self, errors: list, sig: tuple | None, digest: str | None, layers: bool = True) -> Refusal:
        """A Refusal of these errors (of single layers, or of the whole set), dated from when
        the same reasons were first given."""
        error = combine(errors)
        old = self.state.refused
        again = old is not None and old.error.problems == error.problems
        return Refusal(error, sig, digest, old.at if again else time.time(), tuple(errors) if layers else ())

    def _refuse(self, error: RulebookError, sig: tuple | None, digest: str | None) -> None:
        state = self.state
        again = state.refused is not None and state.refused.error.problems == error.problems
        self.state = State(state.current, self._refusal([error], sig, digest, layers=False))
        if again:
            return  # the same reasons again: no new log line every interval
        self._changed(new_refusal=True)
        log.error("rulebook refused, still serving %s: %s",
                  state.current.checker.rulebook.version if state.current else "nothing", error)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def _watch(ref: "weakref.ref[RulebookStore]", wake: threading.Event, interval: float) -> None:
    """The watcher loop; it ends when its store is garbage-collected."""
    while True:
        if wake.wait(interval):
            # Woken by /readyz (open to anyone): at most one look per MIN_INTERVAL however often it is called.
            time.sleep(MIN_INTERVAL)
        wake.clear()
        store = ref()
        if store is None or store.closed:
            return
        try:
            store.reload()
        except Exception as exc:  # never let the watcher die
            log.error("rulebook watcher: %s", type(exc).__name__)
        del store
