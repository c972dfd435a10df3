"""The HTTP floor for `make bench`: parses the same JSON as /v1/check and returns {}.

Served by the same gunicorn settings as the real app, it shows what Flask and
gunicorn cost before any checking.
"""

import json

from flask import Flask, Response, request


def create_app() -> Flask:
    app = Flask(__name__)

    @app.post("/v1/check")
    def check():
        json.loads(request.get_data().decode("utf-8"))
        return Response("{}", mimetype="application/json")

    return app
