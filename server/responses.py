"""JSON responses shared by the blueprints."""

from __future__ import annotations

import json
import time

from flask import Response


def json_response(body, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), status=status,
                    mimetype="application/json")


def iso(t: float) -> str:
    """A Unix time as ISO-8601 UTC to the second."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
