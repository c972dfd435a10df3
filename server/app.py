"""The Flask app factory. `gunicorn 'server.app:create_app()'` serves it."""

from __future__ import annotations

import gc
import logging
import traceback

from flask import Flask, request
from werkzeug.exceptions import HTTPException

from . import admin, api, logs, observability, ops, playground
from .config import Settings
from .engine import readability
from .problems import Problem
from .counters import CheckCounter
from .db import Database, DatabaseUnavailable
from .events import EventStore
from .keys import KeyRing
from .ratelimit import rate_limits
from .runtime import EXTENSION, Runtime
from .store import RulebookStore

log = logging.getLogger("server.app")

# On every response, errors included. The API answers JSON that may echo a
# post's words: no caching anywhere, no sniffing, no framing, no referrer.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
OWN_POLICY_ALLOWED = ("Content-Security-Policy", "Referrer-Policy")
# Per lower-cased name: (name, value, whether a page may state its own).
_SECURITY_HEADERS_BY_LOWER = {n.lower(): (n, v, n in OWN_POLICY_ALLOWED) for n, v in SECURITY_HEADERS.items()}


def create_app(settings: Settings | None = None, **overrides) -> Flask:
    settings = (settings or Settings.from_env(**overrides)).validate()
    logs.configure(settings.log_level, settings.log_format)
    app = Flask(__name__)
    store = RulebookStore(settings.rules, settings.reload_interval, settings.regex_timeout,
                          max_bytes=settings.rules_max_bytes, load_timeout=settings.reload_timeout)
    db = open_database(settings)
    events = EventStore(db, settings.store_text_days)
    app.extensions[EXTENSION] = Runtime(
        settings=settings, store=store, db=db, events=events,
        keys=KeyRing(db, settings.api_keys, settings.admin_keys, settings.key_cache_seconds,
                     settings.trust_identity_header),
        checks=CheckCounter(db, settings.counts_interval, on_flush=events.maybe_purge),
        limits=rate_limits(settings))
    observability.init_app(app, store, access_log_on=settings.access_log)
    # Werkzeug's backstop for any body read; each JSON endpoint reads at most
    # its own limit first and answers a precise 413.
    app.config["MAX_CONTENT_LENGTH"] = api.largest_body(settings)
    app.json.ensure_ascii = False
    app.register_blueprint(api.bp)
    app.register_blueprint(ops.bp)
    admin.init_app(app)
    playground.init_app(app, settings)

    try:
        open_service = not app.extensions[EXTENSION].keys.keys_required()
    except DatabaseUnavailable:
        open_service = False
        log.warning("the database cannot be reached: database keys cannot be verified until it can")
    if open_service:
        log.warning("IMPARTIAL_API_KEYS is not set and no key was created with `impartial keys create`: /v1/* "
                    "answers anyone who can reach this service. Create keys unless only trusted machines can "
                    "connect.")
    if settings.cors_origins:
        from flask_cors import CORS

        # Settings.validate() admits exact origins only, none of which flask-cors reads as a pattern.
        CORS(app, resources={r"/v1/*": {"origins": list(settings.cors_origins)}},
             allow_headers=["Content-Type", "Authorization", "X-API-Key"], max_age=600)

    @app.before_request
    def _watch_rulebook():
        store.ensure_watching()

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        # One look at the names the response has: each `name in headers` and each replacing
        # assignment would lower-case every header name again.
        present = {name.lower() for name in headers.keys()}
        for lower, (name, value, own_allowed) in _SECURITY_HEADERS_BY_LOWER.items():
            if lower not in present:
                headers.add(name, value)
            # Pages state their own policies: the playground runs its own scripts, the admin pages load
            # their stylesheet and keep a same-origin referrer (their forms' Origin is checked).
            elif not own_allowed:
                headers[name] = value
        return response

    @app.errorhandler(Problem)
    def _problem(exc: Problem):
        return exc.response()

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        detail = exc.description or exc.name
        headers = {}
        if exc.code == 405:
            detail = f"{exc.name}: {detail}"
            headers["Allow"] = ", ".join(exc.valid_methods or ())
        return Problem(exc.code or 500, detail, title=exc.name, headers=headers).response()

    @app.errorhandler(Exception)
    def _crash(exc: Exception):
        # Log where it failed, never what: an exception's message or a local
        # variable may quote the post, so only types and code lines are logged.
        chain, seen = [], exc
        while seen is not None and len(chain) < 5:
            chain.append(type(seen).__name__)
            seen = seen.__cause__ or seen.__context__
        where = "".join(traceback.format_tb(exc.__traceback__))
        log.error("unhandled %s in %s %s (message withheld: it may quote the post)\n%s",
                  " <- ".join(chain), request.method, request.path, where)
        return Problem(500, "the request failed unexpectedly; the error has been logged").response()

    readability.warm_up()
    # Everything loaded so far (the syllable dictionary, the rulebook, Flask)
    # lives as long as the process. Without this the cyclic collector rescans
    # those ~300,000 objects again and again: a quarter of each request's time.
    gc.collect()
    gc.freeze()
    return app


def open_database(settings: Settings) -> Database:
    """The database, its schema brought up to date unless the admin migrates by hand."""
    db = Database(settings.database_url or None)
    if settings.db_auto_upgrade:
        try:
            db.upgrade()
        except DatabaseUnavailable as exc:
            raise SystemExit(f"cannot reach the database {db.describe()} to apply migrations: {exc}") from None
        # gunicorn forks workers from this process next: no connection may cross the fork.
        db.dispose()
    return db


def worker_stopping(app) -> None:
    """A server process is about to exit: save its last check counts."""
    rt = getattr(app, "extensions", {}).get(EXTENSION)
    if rt is not None and rt.checks is not None:
        rt.checks.close()


def worker_started(app) -> None:
    """A new server process (a gunicorn worker) is about to serve: bring its
    rulebook up to date before the first request, then watch the file."""
    rt = getattr(app, "extensions", {}).get(EXTENSION)
    if rt is None:
        return
    store = rt.store
    store.reload()
    observability.worker_started(app, store)
    store.ensure_watching()
