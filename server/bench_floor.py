"""HTTP floors for `make bench` and `make load`, served by the same gunicorn settings as the real app.

create_app(): parses the same JSON as /v1/check and returns {}: what Flask and
gunicorn cost before any checking.
create_engine_app(): a minimal Flask endpoint around the same engine (parse,
check, answer the same JSON), without keys, limits, counters or validation:
what the full service's /v1/check is measured against.
"""

import gc
import json
import os

from flask import Flask, Response, request


def create_app() -> Flask:
    app = Flask(__name__)

    @app.post("/v1/check")
    def check():
        json.loads(request.get_data().decode("utf-8"))
        return Response("{}", mimetype="application/json")

    return app


def create_engine_app() -> Flask:
    from .config import DEFAULT_RULES
    from .engine import Checker, load_rulebook
    from .engine.readability import warm_up

    checker = Checker(load_rulebook(os.environ.get("IMPARTIAL_RULES") or DEFAULT_RULES))
    warm_up()
    app = Flask(__name__)

    @app.post("/v1/check")
    def check():
        body = json.loads(request.get_data().decode("utf-8"))
        result = checker.check(body["text"], body.get("platform", "generic"))
        return Response(json.dumps(result.to_json(), ensure_ascii=False, separators=(",", ":")),
                        mimetype="application/json")

    # As the service does (server/app.py): long-lived objects leave the collector's scans.
    gc.collect()
    gc.freeze()
    return app
