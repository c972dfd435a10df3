"""The Flask app factory. `gunicorn 'server.app:create_app()'` serves it."""

from __future__ import annotations

import gc
import logging

from flask import Flask
from werkzeug.exceptions import HTTPException

from . import api
from .config import Settings
from .engine import readability
from .problems import Problem
from .store import RulebookStore


def create_app(settings: Settings | None = None, **overrides) -> Flask:
    settings = settings or Settings.from_env(**overrides)
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = Flask(__name__)
    app.config["IMPARTIAL_SETTINGS"] = settings
    app.config["IMPARTIAL_STORE"] = RulebookStore(settings.rules, settings.reload_interval, settings.regex_timeout)
    app.config["IMPARTIAL_STATS"] = api.make_stats()
    # A raised body-size limit of our own makes the 413 precise; Werkzeug's would be generic.
    app.config["MAX_CONTENT_LENGTH"] = None
    app.json.ensure_ascii = False
    app.register_blueprint(api.bp)

    if settings.cors_origins:
        from flask_cors import CORS

        CORS(app, resources={r"/v1/*": {"origins": list(settings.cors_origins)}},
             allow_headers=["Content-Type", "Authorization", "X-API-Key"], max_age=600)

    @app.errorhandler(Problem)
    def _problem(exc: Problem):
        return exc.response()

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        detail = exc.description or exc.name
        if exc.code == 405:
            detail = f"{exc.name}: {detail}"
        return Problem(exc.code or 500, detail, title=exc.name).response()

    @app.errorhandler(Exception)
    def _crash(exc: Exception):
        # Log the error, never the request body: it may hold a post's text.
        app.logger.exception("unhandled error")
        return Problem(500, "the check failed unexpectedly; the error has been logged").response()

    readability.warm_up()
    # Everything loaded so far (the syllable dictionary, the rulebook, Flask)
    # lives as long as the process. Without this the cyclic collector rescans
    # those ~300,000 objects again and again: a quarter of each request's time.
    gc.collect()
    gc.freeze()
    return app
