"""One database per app: the engine (one per process), upgrades, and dialect-neutral helpers."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any constant shared by every instance: the PostgreSQL advisory lock that
# lets only one process at a time run migrations.
_MIGRATION_LOCK = 0x1A7A_0001


# URLs this process has already brought to head (test suites create many apps).
_AT_HEAD: set[str] = set()


class DatabaseUnavailable(Exception):
    """The database could not be reached or refused the work; the caller answers 503."""


def default_url() -> str:
    """SQLite in IMPARTIAL_INSTANCE_PATH, or else the Flask instance folder of server.app (created if missing)."""
    from flask import Flask

    folder = Path(os.environ.get("IMPARTIAL_INSTANCE_PATH") or Flask("server.app").instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'impartial.db'}"


def utc_iso(t: datetime | None) -> str | None:
    """A stored time as ISO-8601 UTC to the second (SQLite returns it without its zone)."""
    if t is None:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _normalise(url: str) -> str:
    # "postgresql://" and "postgres://" (Heroku-style) mean psycopg 3 here, not psycopg2.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Database:
    def __init__(self, url: str | None = None):
        self.url = _normalise(url or default_url())
        self.dialect = make_url(self.url).get_backend_name()
        self._engine: Engine | None = None
        self._pid = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        # A pooled connection must never cross a fork (gunicorn preloads the
        # app, then forks workers): each process makes its own engine.
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    self._engine = self._make_engine()
                    self._pid = os.getpid()
        return self._engine

    def _make_engine(self) -> Engine:
        if self.dialect == "sqlite":
            engine = create_engine(self.url, connect_args={"timeout": 15})

            @event.listens_for(engine, "connect")
            def _pragmas(dbapi_conn, _record):
                cur = dbapi_conn.cursor()
                # WAL: readers do not block the writer; workers of one instance share the file.
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.close()

            return engine
        return create_engine(self.url, pool_size=5, max_overflow=5, pool_pre_ping=True, pool_recycle=1800,
                             connect_args={"connect_timeout": 5})

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    def insert(self, table):
        """An INSERT that knows ON CONFLICT, for this database."""
        if self.is_postgres:
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(table)

    @contextmanager
    def begin(self):
        """A transaction; connection failures become DatabaseUnavailable."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except (OperationalError, DBAPIError) as exc:
            if isinstance(exc, DBAPIError) and not isinstance(exc, OperationalError) and \
                    not exc.connection_invalidated:
                raise
            raise DatabaseUnavailable(type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__) \
                from exc

    def dispose(self) -> None:
        if self._engine is not None and self._pid == os.getpid():
            self._engine.dispose()
        self._engine, self._pid = None, None

    def describe(self) -> str:
        """The URL without its password, for logs."""
        return make_url(self.url).render_as_string(hide_password=True)

    # -- migrations ---------------------------------------------------------

    def upgrade(self, revision: str = "head") -> None:
        """Bring the schema to `revision`. Safe when many processes start at once:
        one migrates while the others wait, then find nothing to do."""
        from alembic import command
        from alembic.config import Config

        if revision == "head" and self.url in _AT_HEAD:
            return
        # Alembic narrates every step at INFO; the service logs the outcome once.
        logging.getLogger("alembic").setLevel(logging.WARNING)
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self._migration_lock() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
                conn.commit()
        except OperationalError as exc:
            raise DatabaseUnavailable(str(exc.orig or exc).splitlines()[0]) from exc
        if revision == "head":
            _AT_HEAD.add(self.url)
        log.info("database %s at schema revision %s", self.describe(), self.current_revision())

    def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    @contextmanager
    def _migration_lock(self):
        if self.is_postgres:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK})
                conn.commit()
                try:
                    yield conn
                finally:
                    conn.rollback()
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK})
                    conn.commit()
            return
        path = make_url(self.url).database
        lock_path = (path + ".migrate-lock") if path and path != ":memory:" else None
        fh = open(lock_path, "a") if lock_path else None
        try:
            if fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
            with self.engine.connect() as conn:
                yield conn
        finally:
            if fh:
                fcntl.flock(fh, fcntl.LOCK_UN)
                fh.close()
