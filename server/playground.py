"""The playground: a page the service serves where anyone can check a post as the
extension would, and a rule maintainer can compare a candidate rulebook with the
live one.

The page draws with the extension's own scripts (extension/src, served as they
are from /playground/extension/): the same underlines, cards, badge and list.
The page's bridge (static/playground/bridge.js) plays the extension's service
worker and sends checks to /v1/check (the live rulebook) or /playground/check
(a candidate compiled by POST /playground/rulebooks, server/candidates.py).

Protection: the page and its scripts are open (they hold no data); the two
POST endpoints need the same API key as /v1/* when IMPARTIAL_API_KEYS is set,
and the page then asks for it and keeps it in memory only. Nothing typed (a
post, a candidate rulebook, a key) is stored or logged, here or in the page.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from flask import Blueprint, Response, render_template, request, send_from_directory

from . import api
from .auth import current_identity, limit_bucket, require_key
from .bodies import _read_body as read_body
from .bodies import json_body
from .candidates import CandidateRefused, Candidates, structured
from .layers import Source
from .problems import Problem
from .ratelimit import RateLimits
from .responses import json_response
from .runtime import runtime

bp = Blueprint("playground", __name__, template_folder="templates", static_folder="static/playground",
               static_url_path="/playground/static")

# The content scripts the page loads, in the manifest's order; nothing else of extension/ is served.
EXTENSION_SRC = Path(__file__).resolve().parent.parent / "extension" / "src"
EXTENSION_SCRIPTS = ("textmodel.js", "settings.js", "adapters.js", "ui.js", "content.js")
_DIGEST = re.compile(r"[0-9a-f]{64}")


# Compiling is CPU work for seconds: each key (or address) gets this many a minute,
# beside the v1 allowance both POST endpoints count against, wherever rate
# limits are on (IMPARTIAL_RATE_LIMIT, server/ratelimit.py).
COMPILE_LIMIT = "12/minute"


def init_app(app, settings) -> None:
    """Register the page and its endpoints, with this process's candidate cache."""
    extra = runtime(app).extra
    extra["candidates"] = Candidates(regex_timeout=settings.regex_timeout)
    extra["compile_limits"] = RateLimits(COMPILE_LIMIT, settings.rate_limit_storage) if settings.rate_limit else None
    app.register_blueprint(bp)


def candidates(app=None) -> Candidates:
    return runtime(app).extra["candidates"]


def page_csp(nonce: str) -> str:
    """Scripts only from this service (no inline script); the extension's drawing
    code adds <style> elements, which carry this response's nonce."""
    return ("default-src 'none'; script-src 'self'; "
            f"style-src 'self' 'nonce-{nonce}'; connect-src 'self'; img-src 'self'; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


@bp.get("/playground")
def page():
    nonce = secrets.token_urlsafe(18)
    html = render_template("playground.html", nonce=nonce, scripts=EXTENSION_SCRIPTS,
                           max_bytes=candidates().max_bytes,
                           keys_required=runtime().keys.keys_required())
    resp = Response(html, mimetype="text/html")
    resp.headers["Content-Security-Policy"] = page_csp(nonce)
    return resp


@bp.get("/playground/extension/<name>")
def extension_script(name: str):
    if name not in EXTENSION_SCRIPTS:
        raise Problem(404, f"no script {name!r}; the playground serves {', '.join(EXTENSION_SCRIPTS)}")
    if not (EXTENSION_SRC / name).is_file():  # an installed package without the extension folder
        raise Problem(404, f"the extension's {name} is not installed beside this service")
    return send_from_directory(EXTENSION_SRC, name, mimetype="text/javascript")


@bp.post("/playground/rulebooks")
def compile_rulebook():
    """Body: a rulebook exactly as rules.json would hold it, or with ?as=layer a layer
    file to lay on the live set (core and layers). 200: its summary and digest;
    422: every problem, in lint's words and split by rule and field."""
    require_key()  # the key, and the v1 allowance
    limits, bucket = runtime().extra["compile_limits"], limit_bucket(current_identity())
    if limits is not None and bucket is not None:
        limits.enforce(bucket)
    if request.mimetype != "application/json":
        raise Problem(415, f"send the rulebook as application/json (got {request.mimetype or 'no Content-Type'})")
    mode = request.args.get("as", "rulebook")
    if mode not in ("rulebook", "layer"):
        raise Problem(400, f"query parameter 'as' must be rulebook or layer; got {mode!r}")
    base = _live_files() if mode == "layer" else None
    cands = candidates()
    raw = read_body(cands.max_bytes)
    try:
        candidate = cands.compile(raw, base)
    except CandidateRefused as exc:
        raise _problem(exc) from None
    return json_response(candidate.summary())


def _live_files() -> list[Source]:
    """The files of the rulebook served now, core first: what a candidate layer lies on."""
    current = runtime().store.state.current
    if current is None or not current.used:
        raise Problem(503, "no valid rulebook is loaded to lay the candidate on; see /readyz")
    return [Source(path, raw) for path, raw in current.used.items()]


def _problem(exc: CandidateRefused) -> Problem:
    extra = dict(exc.extra)
    headers = {}
    if "retry_after" in extra:
        headers["Retry-After"] = str(extra.pop("retry_after"))
    if exc.status == 413:
        return Problem(413, exc.detail, title="Rulebook too large", **extra)
    if exc.status == 422:
        return Problem(422, exc.detail, title="Invalid rulebook", problems=exc.problems,
                       errors=[structured(p) for p in exc.problems], **extra)
    return Problem(exc.status, exc.detail, headers=headers, **extra)


@bp.post("/playground/check")
def check_candidate():
    """/v1/check's body plus "rulebook": a candidate's digest. 404 when this
    worker does not hold it (evicted, or compiled by another worker): the page
    sends the rulebook again and retries."""
    require_key()
    settings = runtime().settings
    body = json_body(max_bytes=api.check_body_limit(settings) + 256)
    digest = body.get("rulebook")
    if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
        raise Problem(400, "field 'rulebook' must be a candidate's digest (64 lowercase hex digits, "
                           "from POST /playground/rulebooks)")
    text, platform, election = api.check_request(body, settings)
    candidate = candidates().get(digest)
    if candidate is None:
        raise Problem(404, f"no candidate rulebook {digest[:12]}… on this worker; send it to "
                           "POST /playground/rulebooks again", title="Unknown candidate", rulebook=digest)
    return json_response(candidate.checker.check(text, platform, election).to_json())
