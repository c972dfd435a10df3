"""/admin in headless Chromium against the real service under gunicorn: signing in and out
from the keyboard, the session cookie as the browser keeps it, the figures from real checks
and events, the date filter, a CSV download, no CSP violation, and WCAG 2.2 AA by axe-core."""

import csv
import io
import json
import urllib.request
from datetime import datetime, timedelta, timezone

from harness import Service, free_port

from test_extension_resilience import eventually

ADMIN = "admin-e2e-key-0123456789abcdef"
OFFICER = "officer-e2e-key-0123456789abcdef"
AXE = (__import__("pathlib").Path(__file__).parent / "fixtures" / "dist" / "axe.min.js").read_text()
# The page's CSP allows no script: axe is evaluated through the DevTools protocol, which the CSP does not govern.
AXE_RUN = """async () => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.html).slice(0, 3)}));
}"""
TODAY = datetime.now(timezone.utc).date()


def axe(page):
    page.evaluate(AXE)
    return page.evaluate(AXE_RUN)


def call(service, path, body=None, key=OFFICER):
    req = urllib.request.Request(service.url + path, data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, json.loads(r.read())


def seed(service):
    for text in ("Vote Labour on Thursday", "Rules open to abuse by activist lawyers", "Bins go out on Tuesday"):
        assert call(service, "/v1/check", {"text": text})[0] == 200
    old = (TODAY - timedelta(days=45)).isoformat()
    events = [
        {"id": "e2e-admin-0001", "type": "presend", "at": f"{TODAY}T09:00:00Z", "platform": "x",
         "rule_ids": ["party_political.electoral-call"], "categories": ["party_political"], "severity": "block",
         "decision": "posted_with_reason", "reason": "The council's own notice of poll", "officer": "officer-17"},
        {"id": "e2e-admin-0002", "type": "false_flag", "at": f"{TODAY}T09:05:00Z", "platform": "facebook",
         "rule_ids": ["attack.group-epithet"], "categories": ["attack"]},
        {"id": "e2e-admin-0003", "type": "presend", "at": f"{old}T09:00:00Z", "platform": "x",
         "rule_ids": ["party_political.electoral-call"], "categories": ["party_political"], "severity": "block",
         "decision": "posted_with_reason", "reason": "An older reason", "officer": "officer-3"},
    ]
    assert call(service, "/v1/events", {"events": events}) == (202, {"accepted": 3, "duplicates": 0})
    return old


def test_admin_page_from_the_keyboard_with_figures_filters_csv_and_wcag_aa(browser_factory, tmp_path):
    service = Service(free_port(), {"DATABASE_URL": f"sqlite:///{tmp_path}/events.sqlite",
                                    "IMPARTIAL_ADMIN_KEYS": ADMIN, "IMPARTIAL_API_KEYS": OFFICER,
                                    "IMPARTIAL_COUNTS_INTERVAL": "0.2"}, log=tmp_path / "service.log").start()
    try:
        old = seed(service)
        ctx, _ = browser_factory(extension=None)
        page = ctx.new_page()
        csp_errors = []
        page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(service.url + "/admin")
        assert page.url.endswith("/admin/login")
        assert axe(page) == []

        # A wrong key: the error is announced and tied to the field.
        page.keyboard.press("Tab")  # the skip link
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "key"
        page.keyboard.type("not-the-key")
        page.keyboard.press("Enter")
        page.wait_for_selector("[role=alert]")
        assert "not valid" in page.inner_text("[role=alert]")
        assert page.get_attribute("#key", "aria-describedby") == "login-error"
        assert axe(page) == []

        page.focus("#key")
        page.keyboard.type(ADMIN)
        page.keyboard.press("Enter")
        page.wait_for_url(service.url + "/admin")
        (cookie,) = [c for c in ctx.cookies() if c["name"] == "impartial_admin"]
        assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/admin"
        assert page.evaluate("document.cookie") == ""  # page script cannot read it

        # Checks are saved every 0.2 s by the worker: reload until they show.
        def lead():
            page.reload()
            return page.inner_text("main .lead")
        assert eventually(lead, lambda t: t.startswith("3 checks")).startswith("3 checks")
        main = page.inner_text("main")
        assert "The council's own notice of poll" in main and "An older reason" not in main
        assert "attack.group-epithet" in main and "officer-17" in main
        assert page.locator("svg[role=img]").count() >= 3
        assert axe(page) == []
        page.screenshot(path=str(tmp_path / "admin.png"), full_page=True)

        # The date filter, from the keyboard.
        page.focus("#since")
        page.fill("#since", old)
        page.fill("#until", old)
        page.focus("#until")
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/admin?since={old}&until={old}")
        main = page.inner_text("main")
        assert "An older reason" in main and "The council's own notice" not in main
        assert page.inner_text("main .lead").startswith("0 checks")

        # A CSV of what is shown.
        with page.expect_download() as download:
            page.click("a[href^='/admin/export/after-warning.csv']")
        rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
        assert [r["reason"] for r in rows] == ["An older reason"] and rows[0]["officer"] == "officer-3"

        # Sign out from the keyboard: the page is closed again.
        page.focus(".signout button")
        page.keyboard.press("Enter")
        page.wait_for_url("**/admin/login")
        page.goto(service.url + "/admin")
        assert page.url.endswith("/admin/login")
        assert csp_errors == []
    finally:
        service.stop()
