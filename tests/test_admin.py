"""/admin over HTTP against the real app and a real (SQLite) event store: sign-in, session
cookie, CSRF, figures, CSV export and bad input. The page in Chromium (axe, keyboard) is
tests/e2e/test_admin_page.py."""

import csv
import io
import re
from datetime import datetime, timedelta, timezone

import pytest

from server.runtime import runtime

ADMIN = "admin-key-0123456789abcdef"
OFFICER = "officer-key-0123456789abcdef"
HTTPS = "https://impartial.test"  # the cookie is Secure: the test client sends it over https only
TODAY = datetime.now(timezone.utc).date()


@pytest.fixture
def app(rules_copy, tmp_path):
    from server.app import create_app
    from server.config import Settings

    return create_app(Settings(rules=str(rules_copy), reload_interval=0.0, api_keys=(OFFICER,), admin_keys=(ADMIN,),
                               database_url=f"sqlite:///{tmp_path}/events.sqlite", key_cache_seconds=0.0))


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def sign_in(client, key=ADMIN):
    form = client.get("/admin/login", base_url=HTTPS)
    return client.post("/admin/login", base_url=HTTPS, data={"key": key, "csrf": csrf_of(form.get_data(as_text=True))})


def event(i, **kw):
    e = {"id": f"evt-{i:06d}", "type": "presend", "at": f"{TODAY}T10:00:{i % 60:02d}Z", "platform": "x",
         "rule_ids": ["party_political.electoral-call"], "categories": ["party_political"], "severity": "block",
         "decision": "posted_with_reason", "reason": "Quoting the council's own notice", "officer": "officer-7"}
    e.update(kw)
    return e


def record(client, *events):
    r = client.post("/v1/events", json={"events": list(events)}, headers={"Authorization": f"Bearer {OFFICER}"})
    assert r.status_code == 202, r.get_json()


def test_the_page_needs_a_signed_in_admin(client):
    r = client.get("/admin", base_url=HTTPS)
    assert r.status_code == 303 and r.headers["Location"].endswith("/admin/login")
    form = client.get("/admin/login", base_url=HTTPS)
    assert form.status_code == 200 and form.mimetype == "text/html"
    assert 'for="key"' in form.get_data(as_text=True)


def test_sign_in_sets_a_strict_session_cookie_and_shows_the_page(client):
    r = sign_in(client)
    assert r.status_code == 303 and r.headers["Location"] == "/admin"
    (cookie,) = [c for c in r.headers.getlist("Set-Cookie") if c.startswith("impartial_admin=")]
    attrs = {a.strip().split("=")[0].lower(): a.strip() for a in cookie.split(";")}
    assert "secure" in attrs and "httponly" in attrs
    assert attrs["samesite"] == "SameSite=Strict" and attrs["path"] == "Path=/admin"
    assert ADMIN not in cookie  # the key's hash is signed in, never the key
    page = client.get("/admin", base_url=HTTPS)
    assert page.status_code == 200 and "Checks and decisions" in page.get_data(as_text=True)
    assert "IMPARTIAL_ADMIN_KEYS #1" in page.get_data(as_text=True)


@pytest.mark.parametrize("key, status, says", [
    ("", 400, "Enter your admin key"),
    ("wrong-key", 401, "not valid"),
    (OFFICER, 403, "not an admin key"),
])
def test_a_wrong_key_is_refused_with_a_reason(client, key, status, says):
    r = sign_in(client, key)
    assert r.status_code == status and says in r.get_data(as_text=True)
    assert not any(c.startswith("impartial_admin=") for c in r.headers.getlist("Set-Cookie"))


def test_sign_in_without_the_form_token_or_from_another_site_is_refused(client):
    r = client.post("/admin/login", base_url=HTTPS, data={"key": ADMIN, "csrf": "made-up"})
    assert r.status_code == 400 and "another site" in r.get_data(as_text=True)
    form = client.get("/admin/login", base_url=HTTPS)
    token = csrf_of(form.get_data(as_text=True))
    r = client.post("/admin/login", base_url=HTTPS, data={"key": ADMIN, "csrf": token},
                    headers={"Origin": "https://evil.example"})
    assert r.status_code == 400
    r = client.post("/admin/login", base_url=HTTPS, data={"key": ADMIN, "csrf": token},
                    headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 400
    r = client.post("/admin/login", base_url=HTTPS, data={"key": ADMIN, "csrf": token},
                    headers={"Origin": "null"})  # a sandboxed frame or data: page
    assert r.status_code == 400
    # The page's own forms send their Origin: the admin pages keep a same-origin referrer policy.
    assert form.headers["Referrer-Policy"] == "same-origin"


def test_repeated_wrong_keys_are_throttled_then_allowed_again(client, app):
    from server.admin import throttle

    clock = [1000.0]
    app.extensions["impartial.admin.throttle"] = throttle.Throttle(clock=lambda: clock[0])
    for _ in range(throttle.MAX_FAILURES):
        assert sign_in(client, "guess").status_code == 401
    r = sign_in(client, ADMIN)  # even the right key waits: the address is guessing
    assert r.status_code == 429 and "Try again in" in r.get_data(as_text=True)
    assert 0 < int(r.headers["Retry-After"]) <= throttle.WINDOW + 1
    clock[0] += throttle.WINDOW + 1
    assert sign_in(client, ADMIN).status_code == 303


def test_sign_out_needs_its_token_and_ends_the_session(client):
    sign_in(client)
    page = client.get("/admin", base_url=HTTPS).get_data(as_text=True)
    assert client.post("/admin/logout", base_url=HTTPS, data={"csrf": "nope"}).status_code == 400
    assert client.get("/admin", base_url=HTTPS).status_code == 200  # still signed in
    r = client.post("/admin/logout", base_url=HTTPS, data={"csrf": csrf_of(page)})
    assert r.status_code == 303
    assert client.get("/admin", base_url=HTTPS).status_code == 303


def test_a_tampered_cookie_is_no_session(client):
    client.set_cookie("impartial_admin", "eyJrIjoiMDAwIiwiYyI6IngifQ.AAAA.BBBB", domain="impartial.test", path="/admin")
    assert client.get("/admin", base_url=HTTPS).status_code == 303


def test_revoking_the_key_ends_its_sessions(client, app):
    keys = runtime(app).keys
    key_id, key = keys.create("Head of comms", admin=True)
    assert sign_in(client, key).status_code == 303
    assert "Head of comms" in client.get("/admin", base_url=HTTPS).get_data(as_text=True)
    assert keys.revoke(key_id)
    assert client.get("/admin", base_url=HTTPS).status_code == 303


def test_a_database_outage_is_a_503_not_a_crash(client, app, monkeypatch):
    from server.db import DatabaseUnavailable

    sign_in(client)

    def down(*a, **k):
        raise DatabaseUnavailable("connection refused")

    monkeypatch.setattr(runtime(app).keys, "identify_hash", down)
    r = client.get("/admin", base_url=HTTPS)
    assert r.status_code == 503 and r.mimetype == "application/problem+json" and r.headers["Retry-After"] == "5"
    monkeypatch.undo()
    from server.events import query

    monkeypatch.setattr(query, "summary", down)
    r = client.get("/admin/export/checks.csv", base_url=HTTPS)
    assert r.status_code == 503 and r.mimetype == "application/problem+json"


def test_the_page_shows_checks_findings_decisions_and_false_flags(client, app):
    for text in ("Vote Labour on Thursday", "Vote Labour on Thursday", "Bins are collected on Tuesday"):
        assert client.post("/v1/check", json={"text": text}, headers={"Authorization": f"Bearer {OFFICER}"}).status_code == 200
    runtime(app).checks.flush()
    record(client, event(1), event(2, decision="back_to_edit", reason=None),
           event(3, type="false_flag", decision=None, severity=None, reason=None,
                 rule_ids=["attack.group-epithet"], categories=["attack"]),
           event(4, decision="posted_unavailable", reason=None, rule_ids=[], categories=[], severity=None))
    sign_in(client)
    r = client.get("/admin", base_url=HTTPS)
    html = r.get_data(as_text=True)
    assert "3 checks from" in html
    assert re.search(r"<td>party_political</td><td class=\"num\">2</td>", html)
    assert "Quoting the council&#39;s own notice" in html  # escaped, as every value from the store
    assert "Posted while checks were unavailable" in html and "Went back to edit" in html
    assert re.search(r"<code>attack.group-epithet</code></td><td class=\"num\">1</td>", html)
    # Charts are inline SVG with names; no script and no inline style anywhere (the CSP allows neither).
    assert html.count('role="img"') >= 3 and "<title id=" in html
    assert "<script" not in html and "style=" not in html
    csp = r.headers["Content-Security-Policy"]
    assert "script-src" not in csp and "default-src 'none'" in csp and "style-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp and "form-action 'self'" in csp
    css = client.get("/admin/static/admin.css", base_url=HTTPS)
    assert css.status_code == 200 and css.mimetype == "text/css"


def test_the_date_filter_narrows_every_figure(client, app):
    old = (TODAY - timedelta(days=40)).isoformat()
    record(client, event(1), event(2, at=f"{old}T09:00:00Z", reason="An old reason"))
    sign_in(client)
    html = client.get("/admin", base_url=HTTPS).get_data(as_text=True)  # the last 30 days
    assert "Quoting the council" in html and "An old reason" not in html
    html = client.get(f"/admin?since={old}&until={old}", base_url=HTTPS).get_data(as_text=True)
    assert "An old reason" in html and "Quoting the council" not in html
    assert f'value="{old}"' in html


def test_csv_export_with_the_session_or_an_admin_key_and_formulas_defused(client):
    record(client, event(1, reason="=HYPERLINK(\"http://evil.example\")"), event(2))
    sign_in(client)
    r = client.get("/admin/export/after-warning.csv", base_url=HTTPS)
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.headers["Content-Disposition"].startswith('attachment; filename="impartial-after-warning-')
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert sorted(row["reason"] for row in rows) == ["'=HYPERLINK(\"http://evil.example\")",
                                                     "Quoting the council's own notice"]
    assert {row["rule_ids"] for row in rows} == {"party_political.electoral-call"}
    fresh = client.application.test_client()
    by_key = fresh.get("/admin/export/decisions.csv", headers={"Authorization": f"Bearer {ADMIN}"})
    assert by_key.status_code == 200
    assert list(csv.reader(io.StringIO(by_key.get_data(as_text=True)))) == [["decision", "count"],
                                                                          ["posted_with_reason", "2"]]
    for table in ("checks", "categories", "rules", "false-flags"):
        assert fresh.get(f"/admin/export/{table}.csv", headers={"Authorization": f"Bearer {ADMIN}"}).status_code == 200


@pytest.mark.parametrize("headers", [{}, {"Authorization": f"Bearer {OFFICER}"}, {"Authorization": "Bearer nope"}])
def test_csv_export_without_an_admin_is_401(app, headers):
    r = app.test_client().get("/admin/export/checks.csv", headers=headers)
    assert r.status_code == 401 and r.mimetype == "application/problem+json"


@pytest.mark.parametrize("query, says", [
    ("since=yesterday", "YYYY-MM-DD"),
    ("until=2026-13-01", "YYYY-MM-DD"),
    ("since=2026-11-30&until=2026-11-01", "is after"),
    ("since=2020-01-01&until=2026-01-01", "at most 366 days"),
])
def test_bad_dates_are_a_precise_400(client, query, says):
    sign_in(client)
    page = client.get(f"/admin?{query}", base_url=HTTPS)
    assert page.status_code == 400 and says in page.get_data(as_text=True)
    assert 'role="alert"' in page.get_data(as_text=True)
    export = client.get(f"/admin/export/checks.csv?{query}", base_url=HTTPS)
    assert export.status_code == 400 and export.mimetype == "application/problem+json"
    assert says in export.get_json()["detail"]


def test_the_csv_has_every_post_sent_after_a_warning_the_page_the_newest_500(client):
    for start in range(0, 520, 100):
        record(client, *[event(i) for i in range(start, min(start + 100, 520))])
    sign_in(client)
    html = client.get("/admin", base_url=HTTPS).get_data(as_text=True)
    # 500 rows, and the decision's own line in the decisions table.
    assert html.count("<td>Posted past a must-fix finding, with a reason</td>") == 500 + 1
    assert "the CSV has every one" in html
    rows = list(csv.DictReader(io.StringIO(client.get("/admin/export/after-warning.csv", base_url=HTTPS)
                                           .get_data(as_text=True))))
    assert len(rows) == 520 and len({r["id"] for r in rows}) == 520


def test_an_unknown_table_is_404(client):
    sign_in(client)
    r = client.get("/admin/export/passwords.csv", base_url=HTTPS)
    assert r.status_code == 404 and "the tables are" in r.get_json()["detail"]
