"""Host permissions: the extension holds none for a company service, so such a
service is reached either because the officer granted its one origin on the
options page or because the service allows the extension's origin (CORS). A
service that does neither is not reachable, and the badge says so quietly."""

import json

from harness import EXTENSION, Service, configure, free_port, host_resolver_rules, open_composer, wait_for_text
from test_extension_behaviour import BADGE_UNAVAILABLE
from test_extension_underlines import wait_for_marks



EXT_ID = (EXTENSION / "EXTENSION_ID").read_text().strip()


def resolving(fixture_server, names):
    """Chromium flags where extra host names resolve to local services. A later
    --host-resolver-rules replaces the harness's, so its rules are kept, after
    ours (the first matching rule wins and the harness ends with MAP * ~NOTFOUND)."""
    ours = ",".join(f"MAP {name} 127.0.0.1:{port}" for name, port in names.items())
    return [f"--host-resolver-rules={ours},{host_resolver_rules(fixture_server.port)}"]


def test_a_service_without_host_permission_needs_cors_for_the_extension(browser_factory, fixture_server, certificate):
    # A company service is https (plain http is refused for anything but this computer).
    allowing = Service(free_port(), {"IMPARTIAL_CORS_ORIGINS": f"chrome-extension://{EXT_ID}"}, tls=certificate).start()
    plain = Service(free_port(), {}, tls=certificate).start()
    try:
        ctx, sw = browser_factory(args=resolving(fixture_server, {"impartial.example.test": allowing.port,
                                                                  "other.example.test": plain.port}))
        granted = sw.evaluate("() => chrome.permissions.getAll()")
        assert not any("example.test" in o for o in granted["origins"]), granted
        assert "<all_urls>" not in json.dumps(granted)

        # No permission, no CORS: the browser blocks the answer; typing goes on.
        configure(sw, serverUrl="https://other.example.test")
        page = open_composer(ctx, fixture_server, "x.com")
        page.click(".public-DraftEditor-content")
        page.keyboard.type("Vote Labour on Thursday")
        page.wait_for_function(BADGE_UNAVAILABLE)

        # The service names the extension's origin: checks work without any host permission.
        configure(sw, serverUrl="https://impartial.example.test")
        marks = wait_for_marks(page, "m => m.some(x => x.severity === 'block')")
        assert any(m["start"] == 0 and m["end"] == len("Vote Labour") for m in marks)

        # The options page offers to grant exactly the hosts the settings name
        # and the browser has not granted: the service and the extra domains.
        configure(sw, extraDomains=["social.example.test"])
        options = ctx.new_page()
        options.goto(f"chrome-extension://{EXT_ID}/options.html")
        grant = options.locator("#grant")
        grant.wait_for()
        assert grant.is_enabled()
        assert grant.inner_text() == ("Allow Impartial on https://impartial.example.test, https://social.example.test")
    finally:
        allowing.stop()
        plain.stop()


def test_an_http_service_on_another_host_is_refused(browser_factory, fixture_server):
    """Plain http to anything but this computer would carry the key and every
    draft in cleartext: the extension refuses it and says it is not configured,
    and the options page will not save it. No http permission is even asked for."""
    plain = Service(free_port(), {}).start()
    try:
        ctx, sw = browser_factory(args=resolving(fixture_server, {"impartial.example.test": plain.port}))
        manifest = sw.evaluate("() => chrome.runtime.getManifest()")
        assert not any(p.startswith("http:") for p in manifest.get("optional_host_permissions", [])), manifest
        configure(sw, serverUrl="http://impartial.example.test")
        page = open_composer(ctx, fixture_server, "x.com")
        page.click(".public-DraftEditor-content")
        page.keyboard.type("Vote Labour on Thursday")
        page.wait_for_function(BADGE_UNAVAILABLE)
        badge = page.locator("impartial-overlay .badge")
        assert badge.inner_text() == "Not configured"
        badge.click()
        assert "not https" in page.locator("impartial-overlay .list").inner_text()
        assert page.evaluate("window.__editorText()") == "Vote Labour on Thursday"  # typing unaffected

        options = ctx.new_page()
        options.goto(f"chrome-extension://{EXT_ID}/options.html")
        wait_for_text(options, "#server-problem", lambda t: len(t) > 0)
        options.fill("#serverUrl", "http://impartial.example.test")
        options.click("button[type=submit]")
        wait_for_text(options, "#saved", lambda t: t.startswith("Refused"))
        assert sw.evaluate("async () => (await chrome.storage.sync.get('serverUrl')).serverUrl") == "http://impartial.example.test"
        options.fill("#serverUrl", "http://127.0.0.1:9")  # this computer: allowed
        options.click("button[type=submit]")
        wait_for_text(options, "#saved", lambda t: t.startswith("Saved"))
        assert sw.evaluate("async () => (await chrome.storage.sync.get('serverUrl')).serverUrl") == "http://127.0.0.1:9"
    finally:
        plain.stop()


def test_no_service_configured_says_so(browser_factory, fixture_server):
    ctx, sw = browser_factory()  # a fresh install: no policy, nothing on the options page
    assert sw.evaluate("() => self.Impartial.settings.load()")["settings"]["serverUrl"] == ""
    page = open_composer(ctx, fixture_server, "www.threads.net")
    page.click("[data-lexical-editor]")
    page.keyboard.type("Vote Labour on Thursday")
    page.wait_for_function(BADGE_UNAVAILABLE)
    assert page.locator("impartial-overlay .badge").inner_text() == "Not configured"
