"""What a content script (running inside pages that may be hostile) can reach:
not the API key or the audit where the browser lets the extension say so, and
only validated audit entries, appended one at a time; and a service that
redirects never gets the draft resent elsewhere."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from content_world import ContentWorld
from harness import configure, open_composer
from test_extension_behaviour import BADGE_UNAVAILABLE, AUDIT_JS, type_post
from test_extension_underlines import wait_for_marks


def test_content_scripts_cannot_read_extension_storage(browser, fixture_server):
    ctx, sw = browser
    sw.evaluate("() => chrome.storage.local.set({apiKey: 'top-secret-key'})")
    page = open_composer(ctx, fixture_server, "x.com")
    world = ContentWorld(page)
    assert world.eval("typeof globalThis.Impartial.ui") == "object"  # the extension's own world
    levels = sw.evaluate("accessLevels")
    read = world.eval("chrome.storage.local.get('apiKey').then(v => JSON.stringify(v), e => 'refused: ' + e.message)")
    if levels.get("local") == "TRUSTED_CONTEXTS":
        assert "top-secret-key" not in str(read), read
    else:  # this browser cannot restrict it: then the key must at least never reach the page's world
        assert "unsupported" in levels.get("local", ""), levels
    assert page.evaluate("JSON.stringify(window.Impartial ?? null)") == "null"  # the page's world sees nothing of ours
    # Settings a content script is given carry no key.
    assert "top-secret" not in str(world.eval("chrome.runtime.sendMessage({type: 'settings'}).then(JSON.stringify)"))


def test_audit_entries_are_validated_and_none_is_lost(browser, fixture_server):
    ctx, sw = browser
    page = open_composer(ctx, fixture_server, "www.facebook.com")
    world = ContentWorld(page)
    send = "entry => chrome.runtime.sendMessage({type: 'audit', entry})"
    bad = [
        {"choice": "posted_anyway", "platform": "facebook", "rules": ["r"], "reason": "x" * 501},  # too long
        {"choice": "whatever", "platform": "facebook", "rules": []},  # unknown choice
        {"choice": "went_back", "platform": "myspace", "rules": []},  # unknown platform
        {"choice": "went_back", "platform": "facebook", "rules": ["<img src=x>"]},  # not a rule id
        {"choice": "went_back", "platform": "facebook", "rules": "party.x"},  # not a list
    ]
    import json

    for entry in bad:
        assert world.eval(f"({send})({json.dumps(entry)})") == {"ok": False, "error": "invalid"}, entry
    # Twenty decisions at once (several tabs, several clicks): every one is kept.
    results = world.eval(f"""Promise.all(Array.from({{length: 20}}, (_, i) => ({send})(
        {{choice: 'went_back', platform: 'facebook', rules: ['party_political.electoral-call'], reason: 'n' + i,
          host: 'evil.example', enforcement: 'advise', at: '1999-01-01'}})))""")
    assert all(r["ok"] is True for r in results)
    log = sw.evaluate(AUDIT_JS)
    assert sorted(e["reason"] for e in log) == sorted(f"n{i}" for i in range(20))
    # Host, mode and time come from the extension, not from the message.
    assert {e["host"] for e in log} == {"www.facebook.com"}
    assert {e["enforcement"] for e in log} == {"confirm"} and not any(e["at"].startswith("1999") for e in log)


class _Redirect(BaseHTTPRequestHandler):
    target = ""
    hits = []

    def log_message(self, *a):
        pass

    def do_POST(self):
        self.hits.append(self.path)
        self.send_response(307)
        self.send_header("Location", self.target + self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()


def test_a_redirecting_service_is_not_followed(browser, fixture_server, impartial_server):
    ctx, sw = browser
    _Redirect.target, _Redirect.hits = impartial_server.url, []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Redirect)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        configure(sw, serverUrl=f"http://127.0.0.1:{httpd.server_address[1]}")
        page = open_composer(ctx, fixture_server, "bsky.app")
        type_post(page, "bsky.app", "Vote Labour on Thursday")
        page.wait_for_function(BADGE_UNAVAILABLE)
        assert "/v1/check" in _Redirect.hits
        # Pointed at the real service, the same draft is checked.
        configure(sw, serverUrl=impartial_server.url)
        wait_for_marks(page, "m => m.some(x => x.severity === 'block')")
    finally:
        httpd.shutdown()
