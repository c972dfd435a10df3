"""Errors as RFC 9457 problem details (application/problem+json)."""

from __future__ import annotations

import json

from flask import Response

_TITLES = {
    400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
    413: "Text too long", 415: "Unsupported media type", 429: "Too many requests", 500: "Internal server error",
    503: "Service unavailable",
}


class Problem(Exception):
    def __init__(self, status: int, detail: str, title: str | None = None, headers=None, **extra):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title or _TITLES.get(status, "Error")
        self.headers = dict(headers or {})
        self.extra = extra

    def response(self) -> Response:
        body = {"type": "about:blank", "title": self.title, "status": self.status, "detail": self.detail}
        body.update(self.extra)
        headers = dict(self.headers)
        if self.status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return Response(json.dumps(body, ensure_ascii=False), status=self.status,
                        mimetype="application/problem+json", headers=headers)
