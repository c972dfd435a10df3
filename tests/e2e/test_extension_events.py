"""The extension's records reach the real service's event store (POST /v1/events):
a pre-send decision and a false-flag report arrive with the officer's pseudonymous id
and the key's label; made during an outage they wait in storage.local and go once
the service is back; an answer lost on the way is retried with the same id and
stored once."""

import http.client
import json
import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from gate_dialog import Gate
from harness import Service, configure, free_port, open_composer
from test_admin_page import axe
from test_extension_behaviour import audit_log, click_post, type_post
from test_extension_gate import EXT_ID, MUST_FIX, WARN_ONLY, open_card
from test_extension_resilience import QUEUE_JS as OUTBOX_JS
from test_extension_resilience import eventually
from test_extension_underlines import wait_for_marks

OFFICER_KEY = "officer-e2e-key-0123456789abcdef"
OFFICER_JS = "async () => (await chrome.storage.local.get('officerId')).officerId"
REASON = "Quoting the council's own election notice"


def service_with_store(tmp_path, port=None):
    db = tmp_path / "events.sqlite"
    env = {"DATABASE_URL": f"sqlite:///{db}", "IMPARTIAL_API_KEYS": OFFICER_KEY}
    return Service(port or free_port(), env, log=tmp_path / "service.log").start(), db


def stored(db) -> list[dict]:
    """The events table as the service wrote it."""
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        try:
            rows = conn.execute("SELECT id, type, decision, severity, reason, officer, source, platform, rule_ids, "
                                "categories FROM events ORDER BY at").fetchall()
        except sqlite3.OperationalError:  # not migrated yet
            return []
    return [dict(r, rule_ids=json.loads(r["rule_ids"]), categories=json.loads(r["categories"])) for r in rows]


def post_anyway(ctx, fixture_server, host, reason=REASON):
    page = open_composer(ctx, fixture_server, host)
    type_post(page, host, MUST_FIX)
    marks = wait_for_marks(page, "m => m.some(x => x.severity === 'block')")
    click_post(page)
    gate = Gate(page).wait()
    gate.fill_reason(reason)
    gate.click("post-anyway")
    page.wait_for_function("window.__posted.length === 1")
    return page, {m["rule"] for m in marks if m["severity"] == "block"}


def test_decisions_and_reports_reach_the_service_and_wait_out_an_outage(browser_factory, fixture_server, tmp_path):
    service, db = service_with_store(tmp_path)
    try:
        ctx, sw = browser_factory()
        configure(sw, serverUrl=service.url, apiKey=OFFICER_KEY)
        _, must_fix = post_anyway(ctx, fixture_server, "www.facebook.com")
        (event,) = eventually(lambda: stored(db), len)
        officer = sw.evaluate(OFFICER_JS)
        assert len(officer) == 36  # a random UUID for this installation
        assert event["type"] == "presend" and event["decision"] == "posted_with_reason"
        assert event["reason"] == REASON and event["severity"] == "block" and event["platform"] == "facebook"
        assert event["officer"] == officer and event["source"] == "IMPARTIAL_API_KEYS #1"
        assert must_fix <= set(event["rule_ids"]) and event["categories"]
        (local,) = audit_log(sw, 1)
        assert local["id"] == event["id"] and local["choice"] == "posted_anyway"  # the officer's copy stays
        assert eventually(lambda: sw.evaluate(OUTBOX_JS), lambda q: not q) == []

        # The service goes down; the officer reports a false flag meanwhile.
        page = open_composer(ctx, fixture_server, "x.com")
        type_post(page, "x.com", WARN_ONLY)
        marks = wait_for_marks(page, "m => m.some(x => x.severity === 'warn')")
        rule = next(m["rule"] for m in marks if m["severity"] == "warn")
        service.stop()
        open_card(page, rule).locator("[data-action=report]").click()
        queued = eventually(lambda: sw.evaluate(OUTBOX_JS), len)
        assert [(q["server"], q["event"]["type"], q["event"]["rule_ids"]) for q in queued] == [
            (service.url, "false_flag", [rule])]
        assert "lawyers" not in json.dumps(queued)  # never the post, not even the flagged words
        assert [e["id"] for e in stored(db)] == [event["id"]]
        # The officer's own record says which entries have not reached the service yet.
        options = ctx.new_page()
        options.goto(sw.url.replace("background.js", "options.html"))
        rows = options.locator("#audit tbody tr")
        rows.first.wait_for()
        assert [rows.nth(i).locator("td").last.inner_text() for i in range(2)] == ["Waiting to send", "Sent"]
        assert "Reported a false flag" in rows.nth(0).inner_text()
        assert axe(options) == []

        service.start()  # same port and database: the service is back
        page.keyboard.type(" again")  # the next successful check sends what was kept
        after = eventually(lambda: stored(db), lambda rows: len(rows) == 2)
        assert [e["type"] for e in after] == ["presend", "false_flag"]
        flag = after[1]
        assert flag["id"] == queued[0]["event"]["id"] and flag["rule_ids"] == [rule]
        assert flag["officer"] == officer and flag["categories"]
        assert eventually(lambda: sw.evaluate(OUTBOX_JS), lambda q: not q) == []
        assert len({e["id"] for e in after}) == 2
        options.reload()
        rows.first.wait_for()
        assert rows.nth(0).locator("td").last.inner_text() == "Sent"
    finally:
        service.stop()


class _LosesFirstAnswer(BaseHTTPRequestHandler):
    """Passes every request to the service; the first POST /v1/events reaches the service,
    but its answer is dropped (the connection closes): the extension cannot know it was stored."""

    upstream = 0
    event_posts: list = []
    lost = threading.Event()

    def log_message(self, *a):
        pass

    def _forward(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream, timeout=10)
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("content-type", "authorization", "x-api-key")}
        conn.request(self.command, self.path, body=body or None, headers=headers)
        res = conn.getresponse()
        data = res.read()
        conn.close()
        if self.path == "/v1/events":
            type(self).event_posts.append(json.loads(body))
            if not self.lost.is_set():
                self.lost.set()
                self.close_connection = True
                return  # stored upstream; no answer here
        self.send_response(res.status)
        for k, v in res.getheaders():
            if k.lower() in ("content-type", "retry-after", "www-authenticate"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _forward


def test_a_lost_answer_is_retried_with_the_same_id_and_stored_once(browser_factory, fixture_server, tmp_path):
    service, db = service_with_store(tmp_path)
    handler = type("Proxy", (_LosesFirstAnswer,), {"upstream": service.port, "event_posts": [],
                                                   "lost": threading.Event()})
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        ctx, sw = browser_factory()
        configure(sw, serverUrl=f"http://127.0.0.1:{proxy.server_port}", apiKey=OFFICER_KEY)
        page, _ = post_anyway(ctx, fixture_server, "bsky.app")
        (event,) = eventually(lambda: stored(db), len)
        assert handler.lost.wait(10)
        # The extension did not hear back: the event waits, with its id.
        queued = eventually(lambda: sw.evaluate(OUTBOX_JS), len)
        assert [q["event"]["id"] for q in queued] == [event["id"]]

        type_post(page, "bsky.app", "Bins are collected on Tuesday")  # a check goes through: the outbox is sent
        assert eventually(lambda: sw.evaluate(OUTBOX_JS), lambda q: not q) == []
        assert [[e["id"] for e in p["events"]] for p in handler.event_posts] == [[event["id"]], [event["id"]]]
        assert [e["id"] for e in stored(db)] == [event["id"]]  # sent twice, stored once
    finally:
        proxy.shutdown()
        proxy.server_close()
        service.stop()


def test_an_officer_id_set_by_policy_is_sent_and_an_ignored_finding_is_an_event(chromium_policy, browser_factory,
                                                                                 fixture_server, tmp_path):
    service, db = service_with_store(tmp_path)
    try:
        chromium_policy(EXT_ID, {"serverUrl": service.url, "apiKey": OFFICER_KEY, "officerId": "staff-4f9a2c"})
        ctx, sw = browser_factory()
        page = open_composer(ctx, fixture_server, "www.linkedin.com")
        type_post(page, "www.linkedin.com", MUST_FIX)
        marks = wait_for_marks(page, "m => m.some(x => x.severity === 'block')")
        rule = next(m["rule"] for m in marks if m["severity"] == "block")
        card = open_card(page, rule)
        card.locator("[data-action=ignore]").click()
        card.locator("textarea").fill("The returning officer's own wording")
        card.locator("[data-action=confirm-ignore]").click()
        (event,) = eventually(lambda: stored(db), len)
        assert event["type"] == "ignored" and event["decision"] is None and event["severity"] == "block"
        assert event["rule_ids"] == [rule] and event["reason"] == "The returning officer's own wording"
        assert event["officer"] == "staff-4f9a2c"  # the policy's id, not a random one
        assert sw.evaluate(OFFICER_JS) is None  # none was made
    finally:
        service.stop()
