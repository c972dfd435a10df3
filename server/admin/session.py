"""The /admin sign-in: a signed session cookie and CSRF tokens.

The cookie holds the admin key's hash (never the key), a CSRF token and when
it was issued, signed with the service's secret (itsdangerous, which Flask
ships). Every request checks the hash against the key ring again, so a revoked
key signs its sessions out within the key cache's few seconds.

The cookie is Secure, HttpOnly, SameSite=Strict and scoped to /admin: another
site cannot send it, page script cannot read it. Every form that changes
something (sign in, sign out) also carries a token the server checks, and
requests that name another Origin are refused.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Response, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..keys import key_hash

COOKIE = "impartial_admin"
LOGIN_CSRF_COOKIE = "impartial_admin_login"
PATH = "/admin"


@dataclass(frozen=True)
class Session:
    digest: str  # key_hash of the admin key that signed in
    csrf: str


class Sessions:
    def __init__(self, secret: str, hours: float):
        # An unset secret: random per start, shared by the gunicorn workers that fork from this process.
        self._signer = URLSafeTimedSerializer(secret or secrets.token_urlsafe(32), salt="impartial-admin")
        self.max_age = int(hours * 3600)

    # -- the session cookie ----------------------------------------------------

    def read(self) -> Session | None:
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            data = self._signer.loads(raw, max_age=self.max_age)
        except (SignatureExpired, BadSignature):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("k"), str) or not isinstance(data.get("c"), str):
            return None
        return Session(digest=data["k"], csrf=data["c"])

    def start(self, response: Response, key: str) -> None:
        token = self._signer.dumps({"k": key_hash(key), "c": secrets.token_urlsafe(24)})
        _set(response, COOKIE, token, self.max_age)
        response.delete_cookie(LOGIN_CSRF_COOKIE, path=PATH, secure=True, httponly=True, samesite="Strict")

    def end(self, response: Response) -> None:
        response.delete_cookie(COOKIE, path=PATH, secure=True, httponly=True, samesite="Strict")

    # -- CSRF ------------------------------------------------------------------

    def login_token(self, response: Response) -> str:
        """A token for the sign-in form, also set as a cookie (double submit): a page on another
        site can post the form but cannot read or set the cookie."""
        token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
        _set(response, LOGIN_CSRF_COOKIE, token, 3600)
        return token

    def login_token_ok(self) -> bool:
        return same_origin() and _equal(request.cookies.get(LOGIN_CSRF_COOKIE), request.form.get("csrf"))

    def token_ok(self, session: Session) -> bool:
        return same_origin() and _equal(session.csrf, request.form.get("csrf"))


def same_origin() -> bool:
    """False when the browser says the request came from another origin (Origin or Sec-Fetch-Site)."""
    origin = request.headers.get("Origin")
    # The host only: behind a TLS proxy the service sees http while the browser says https.
    if origin and urlsplit(origin).netloc != request.host:
        return False
    return request.headers.get("Sec-Fetch-Site", "same-origin") in ("same-origin", "none")


def _equal(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


def _set(response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path=PATH, secure=True, httponly=True, samesite="Strict")
