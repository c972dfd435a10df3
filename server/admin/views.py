"""GET /admin: what the checks found and what officers did, for a head of communications.

Signed in with an admin key (the sign-in form, or `Authorization: Bearer` for
the CSV export from a script). Server-rendered HTML and inline SVG under a
strict Content-Security-Policy: no script at all, styles from this service
only, forms posting only here.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from flask import Blueprint, Response, current_app, redirect, render_template, request

from ..auth import current_identity
from ..db import DatabaseUnavailable
from ..events import query
from ..keys import Identity
from ..problems import Problem
from ..runtime import runtime
from . import charts
from .export import TABLES, to_csv
from .session import Sessions
from .throttle import Throttle

bp = Blueprint("admin", __name__, template_folder="templates", static_folder="static",
               static_url_path="/admin/static")

CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'")
DEFAULT_DAYS = 30
MAX_DAYS = 366
# Rows of the posts-after-a-warning CSV (the page shows the newest 500): a bound on one response.
EXPORT_LIMIT = 100_000
DECISIONS = {
    "posted_with_reason": "Posted past a must-fix finding, with a reason",
    "posted_after_warning": "Posted past a finding, no reason asked",
    "posted_unavailable": "Posted while checks were unavailable",
    "back_to_edit": "Went back to edit",
}
EXTENSION = "impartial.admin"


def init_app(app) -> None:
    settings = runtime(app).settings
    app.extensions[EXTENSION] = Sessions(settings.secret_key, settings.admin_session_hours)
    app.extensions[EXTENSION + ".throttle"] = Throttle()
    app.register_blueprint(bp)


def _sessions() -> Sessions:
    return current_app.extensions[EXTENSION]


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    # same-origin, not no-referrer: with no-referrer the browser sends "Origin: null" on the page's own
    # forms, and the sign-in's origin check could not tell them from a sandboxed page elsewhere.
    response.headers["Referrer-Policy"] = "same-origin"
    return response


# -- who is asking ---------------------------------------------------------------

def _admin_from_session():
    """(identity, session) for a signed-in admin whose key still works, else (None, None)."""
    session = _sessions().read()
    if session is None:
        return None, None
    try:
        identity = runtime().keys.identify_hash(session.digest)
    except DatabaseUnavailable:
        raise Problem(503, "the sign-in cannot be checked now (the database is unreachable); try again shortly",
                      headers={"Retry-After": "5"}) from None
    if identity is None or not identity.admin:
        return None, None
    return identity, session


def _admin_from_header() -> Identity | None:
    identity = current_identity()
    return identity if identity is not None and identity.admin else None


# -- sign in and out ----------------------------------------------------------------

@bp.get("/admin/login")
def login_form():
    return _login_page()


def _login_page(error: str = "", status: int = 200, headers=None) -> Response:
    response = Response(status=status, mimetype="text/html", headers=headers)
    token = _sessions().login_token(response)
    response.set_data(render_template("admin/login.html", csrf=token, error=error))
    return response


@bp.post("/admin/login")
def login():
    sessions = _sessions()
    if not sessions.login_token_ok():
        return _login_page("The sign-in form had expired or came from another site. Try again.", 400)
    throttle: Throttle = current_app.extensions[EXTENSION + ".throttle"]
    address = request.remote_addr or ""
    wait = throttle.retry_after(address)
    if wait:
        return _login_page(f"Too many wrong keys from this address. Try again in {wait} seconds.", 429,
                           headers={"Retry-After": str(wait)})
    key = request.form.get("key", "").strip()
    if not key or len(key) > 200:
        return _login_page("Enter your admin key.", 400)
    try:
        identity = runtime().keys.identify({"Authorization": f"Bearer {key}"})
    except DatabaseUnavailable:
        return _login_page("The key cannot be checked now (the database is unreachable). Try again shortly.", 503)
    if identity is None or identity.kind == "open":
        throttle.failed(address)
        return _login_page("That key is not valid.", 401)
    if not identity.admin:
        return _login_page("That key is valid but is not an admin key.", 403)
    response = redirect("/admin", code=303)
    sessions.start(response, key)
    return response


@bp.post("/admin/logout")
def logout():
    _, session = _admin_from_session()
    if session is not None and not _sessions().token_ok(session):
        raise Problem(400, "the sign-out form came from another site or has expired")
    response = redirect("/admin/login", code=303)
    _sessions().end(response)
    return response


# -- the page and its CSV -------------------------------------------------------------

def _range() -> tuple[date, date]:
    """The since/until query parameters (UTC days, inclusive): the last 30 days by default."""
    today = datetime.now(timezone.utc).date()
    try:
        until = query.parse_day(request.args.get("until")) or today
        since = query.parse_day(request.args.get("since")) or until - timedelta(days=DEFAULT_DAYS - 1)
    except ValueError:
        raise Problem(400, "'since' and 'until' must be dates written YYYY-MM-DD, such as 2026-11-30") from None
    if since > until:
        raise Problem(400, f"'since' ({since}) is after 'until' ({until})")
    if (until - since).days + 1 > MAX_DAYS:
        raise Problem(400, f"choose at most {MAX_DAYS} days (asked for {(until - since).days + 1})",
                      limit=MAX_DAYS)
    return since, until


def _summary(since: date, until: date, all_posts: bool = False) -> dict:
    """What the page shows; all_posts: every post sent after a warning (the CSV), not the newest 500."""
    try:
        q = query.EventQuery(runtime().db, since, until)
        s = query.summary(q)
        if all_posts:
            s["presend_after_warning"] = query.presend_after_warning(q, limit=EXPORT_LIMIT)
        return s
    except DatabaseUnavailable:
        raise Problem(503, "the figures cannot be read now (the database is unreachable); try again shortly",
                      headers={"Retry-After": "5"}) from None


@bp.get("/admin")
def page():
    identity, session = _admin_from_session()
    if identity is None:
        return redirect("/admin/login", code=303)
    try:
        since, until = _range()
    except Problem as problem:
        # A person typed the dates: show the form again with what was wrong.
        return _page(identity, session, None, None, error=problem.detail, status=400)
    return _page(identity, session, since, until)


def _page(identity, session, since, until, error: str = "", status: int = 200) -> Response:
    if since is None:
        since, until = _default_range()
    s = _summary(since, until)
    per_day = charts.every_day(since, until, {r["day"]: r["checks"] for r in s["checks_per_day"]})
    html = render_template(
        "admin/page.html", s=s, since=since.isoformat(), until=until.isoformat(), error=error,
        who=identity.label, csrf=session.csrf,
        total_checks=sum(v for _, v in per_day),
        checks_chart=charts.columns(per_day),
        category_chart=charts.horizontal([(r["name"], r["count"]) for r in s["findings_per_category"]]),
        rule_chart=charts.horizontal([(r["name"], r["count"]) for r in s["findings_per_rule"]]),
        flags_chart=charts.horizontal([(r["rule_id"], r["count"]) for r in s["false_flags_per_rule"]]),
        decision_names=DECISIONS, query=f"since={since.isoformat()}&until={until.isoformat()}")
    return Response(html, status=status, mimetype="text/html")


def _default_range() -> tuple[date, date]:
    today = datetime.now(timezone.utc).date()
    return today - timedelta(days=DEFAULT_DAYS - 1), today


@bp.get("/admin/export/<table>.csv")
def export(table: str):
    identity, _ = _admin_from_session()
    if identity is None and _admin_from_header() is None:
        raise Problem(401, "sign in at /admin/login, or send an admin key as 'Authorization: Bearer <key>'")
    if table not in TABLES:
        raise Problem(404, f"no table {table!r}; the tables are {', '.join(TABLES)}")
    since, until = _range()
    body = to_csv(table, _summary(since, until, all_posts=table == "after-warning"))
    name = f"impartial-{table}-{since.isoformat()}-to-{until.isoformat()}.csv"
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})
