"""What happens around the happy path: a slow service, a rejected or required
API key, reports made during an outage, platforms that ignore replayed clicks,
and multi-line posts with blank lines and soft line breaks."""

import json
import socket
import time
import urllib.request

import pytest

from gate_dialog import Gate
from harness import EDITORS, Service, configure, extension_id, free_port, open_composer, wait_for_text
from test_extension_behaviour import BADGE_UNAVAILABLE, OVERLAY, audit_log, click_post, held_post, type_post
from test_extension_underlines import MARKS_JS, PLATFORM, WORD_RECTS_JS, covers, wait_for_marks


def badge_text(page):
    return page.locator(f"{OVERLAY} .badge").inner_text()


def list_text(page):
    page.locator(f"{OVERLAY} .badge").click()
    listing = page.locator(f"{OVERLAY} .list")
    listing.wait_for()
    return listing.inner_text()


QUEUE_JS = "async () => (await chrome.storage.local.get('eventOutbox')).eventOutbox || []"


def eventually(read, done=bool, timeout=15.0):
    """read() once done(value) holds, or its last value after the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def stats(service, key=None):
    req = urllib.request.Request(service.url + "/v1/stats", headers={"Authorization": f"Bearer {key}"} if key else {})
    return json.loads(urllib.request.urlopen(req, timeout=10).read())


def test_a_service_that_never_answers_ends_in_checks_unavailable(browser, fixture_server):
    """A listening socket that never replies: the request times out in the
    service worker, the badge goes quiet, and typing and posting still work."""
    ctx, sw = browser
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # the kernel accepts connections; nobody ever answers
        configure(sw, serverUrl=f"http://127.0.0.1:{silent.getsockname()[1]}")
        page = open_composer(ctx, fixture_server, "bsky.app")
        type_post(page, "bsky.app", "Vote Labour on Thursday")
        page.wait_for_function(BADGE_UNAVAILABLE, timeout=20000)
        assert "Checks unavailable" in badge_text(page)
        assert "too slow" in list_text(page)
        page.keyboard.press("Escape")
        page.keyboard.type(" please")
        page.wait_for_function("window.__editorText() === 'Vote Labour on Thursday please'")
        assert not Gate(page).is_open()


def test_api_key_is_sent_and_a_rejected_key_is_explained(browser_factory, fixture_server):
    service = Service(free_port(), {"IMPARTIAL_API_KEYS": "s3cret-key"}).start()
    try:
        ctx, sw = browser_factory()
        configure(sw, serverUrl=service.url, apiKey="wrong-key")
        page = open_composer(ctx, fixture_server, "www.linkedin.com")
        type_post(page, "www.linkedin.com", "Rules open to abuse by activist lawyers")
        page.wait_for_function(BADGE_UNAVAILABLE)
        assert "API key" in list_text(page)
        page.keyboard.press("Escape")
        # The officer enters the right key on the options page: the same draft is now checked.
        options = ctx.new_page()
        options.goto(f"chrome-extension://{extension_id(sw)}/options.html")
        options.fill("#apiKey", "s3cret-key")
        options.click("button[type=submit]")
        wait_for_text(options, "#saved", lambda t: t.startswith("Saved"))
        wait_for_marks(page, "m => m.some(x => x.severity === 'warn')")
        assert stats(service, "s3cret-key")["checks"] >= 1
        # The key stays on this device (not in sync storage) and never reaches content scripts.
        assert sw.evaluate("async () => (await chrome.storage.local.get('apiKey')).apiKey") == "s3cret-key"
        assert sw.evaluate("async () => (await chrome.storage.sync.get('apiKey')).apiKey ?? null") is None
        for_page = sw.evaluate("() => settingsForPage()")
        assert "apiKey" not in for_page["settings"] and "s3cret" not in json.dumps(for_page)
    finally:
        service.stop()


def test_a_false_flag_reported_during_an_outage_reaches_the_service_later(browser_factory, fixture_server, tmp_path):
    # A database of its own: /v1/stats counts false flags from the event store.
    service = Service(free_port(), {"DATABASE_URL": f"sqlite:///{tmp_path}/events.sqlite"}).start()
    ctx, sw = browser_factory()
    configure(sw, serverUrl=service.url)
    page = open_composer(ctx, fixture_server, "x.com")
    type_post(page, "x.com", "Rules open to abuse by activist lawyers")
    marks = wait_for_marks(page, "m => m.some(x => x.severity === 'warn')")
    rule = next(m["rule"] for m in marks if m["severity"] == "warn")
    service.stop()
    try:
        m = next(m for m in marks if m["rule"] == rule)
        page.mouse.click((m["left"] + m["right"]) / 2, (m["top"] + m["bottom"]) / 2)
        card = page.locator(f"{OVERLAY} .card")
        card.wait_for()
        card.locator("[data-action=report]").click()
        queued = eventually(lambda: sw.evaluate(QUEUE_JS), len)
        assert [q["event"]["rule_ids"] for q in queued] == [[rule]]
        assert "lawyers" not in json.dumps(queued)  # never the post, not even the flagged words

        service.start()  # same port: the service is back
        page.keyboard.type(" again")  # the next successful check sends what was kept
        assert eventually(lambda: stats(service)["rules"].get(rule, {}).get("false_positive", 0)) == 1
        assert eventually(lambda: sw.evaluate(QUEUE_JS), lambda q: not q) == []
    finally:
        service.stop()


def test_post_anyway_survives_a_platform_that_ignores_replayed_clicks(browser, fixture_server):
    """Some sites act only on trusted clicks, so the replayed one is lost. The
    officer's decision holds for that exact text: the next real press posts
    without a second dialog, and an edit needs a new decision."""
    ctx, sw = browser
    page, dialog = held_post(ctx, fixture_server, "www.facebook.com", "Vote Labour on Thursday", "[role=button][aria-label=Post]")
    page.evaluate("""() => addEventListener('click', e => {
        if (!e.isTrusted) { e.stopImmediatePropagation(); e.preventDefault(); window.__dropped = (window.__dropped || 0) + 1; }
    }, true)""")
    dialog.fill_reason("Factual report of the council's own election notice")
    dialog.click("post-anyway")
    dialog.wait_closed()
    page.wait_for_function("window.__dropped === 1")  # the replay was swallowed by the "site"
    assert page.evaluate("window.__posted") == []
    click_post(page)  # the officer presses Post again
    page.wait_for_function("window.__posted.length === 1")
    assert page.evaluate("window.__posted") == ["Vote Labour on Thursday"]
    assert not dialog.is_open()
    assert [a["choice"] for a in audit_log(sw, 1)] == ["posted_anyway"]

    # A new draft with the same problem is held again.
    page.click(EDITORS["www.facebook.com"])
    page.keyboard.type("Vote Labour on Thursday!")
    wait_for_marks(page, "m => m.some(x => x.severity === 'block')")
    click_post(page)
    dialog.wait()


RICH = [h for h in EDITORS if EDITORS[h] != "textarea"]


@pytest.mark.parametrize("host", RICH)
def test_multi_line_posts_with_blank_lines_and_soft_breaks(browser, fixture_server, impartial_server, host):
    """Paragraphs, an empty paragraph and a Shift+Enter line break inside a
    paragraph: the extension's reading of the editor gives the same offsets as
    the editor's own model, so marks land on the service's spans."""
    ctx, _ = browser
    page = open_composer(ctx, fixture_server, host)
    page.click(EDITORS[host])
    page.keyboard.type("Good morning 👋🏽 Cafe\u0301 opens at 9")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.keyboard.type("Vote Labour on Thursday")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("Rules open to abuse by activist lawyers")
    text = page.evaluate("window.__editorText()")
    assert "\n\n" in text and text.endswith("activist lawyers"), repr(text)
    if host == "app.hootsuite.com":
        # A plain contenteditable has no model; its __editorText() is innerText,
        # which counts an empty <div><br></div> line twice. The extension reads
        # visible lines (one blank line here), and the rectangles below check
        # that its marks sit on the right words.
        text = text.replace("\n\n\n", "\n\n")
    findings = [f for f in impartial_server.check(text, PLATFORM[host])["findings"] if f["scope"] == "span"]
    expected = {(f["start"], f["end"]) for f in findings}
    assert len(expected) >= 2
    page.wait_for_function(f"() => {{ const m = ({MARKS_JS})(); return {json.dumps(sorted(expected))}"
                           f".every(([s, e]) => m.some(x => x.start === s && x.end === e)); }}")
    marks = page.evaluate(MARKS_JS)
    assert {(m["start"], m["end"]) for m in marks} == expected
    for f in findings:
        start, end, words = f["start"], f["end"], f["match"]  # offsets are UTF-16, so not Python's text[start:end]
        if "\n" in words or text.count(words) > 1:
            continue  # the page-side measure finds single-line, unique words only
        covers([m for m in marks if (m["start"], m["end"]) == (start, end)],
               page.evaluate(WORD_RECTS_JS, [EDITORS[host], words]))


def test_advise_mode_underlines_but_never_holds_a_post(browser, fixture_server):
    ctx, sw = browser
    configure(sw, enforcement="advise")
    page = open_composer(ctx, fixture_server, "twitter.com")  # X's other host name, same adapter
    page.click(EDITORS["x.com"])
    page.keyboard.type("Vote Labour on Thursday")
    wait_for_marks(page, "m => m.some(x => x.severity === 'block')")
    click_post(page)
    page.wait_for_function("window.__posted.length === 1")
    assert page.evaluate("window.__posted") == ["Vote Labour on Thursday"]
    assert not Gate(page).is_open()
    assert audit_log(sw, 1, timeout=1.0) == []  # nothing to decide, nothing recorded


@pytest.mark.parametrize("host", ["x.com", "www.facebook.com", "bsky.app", "mastodon.social"])
def test_alt_shift_i_opens_the_finding_at_the_cursor(browser, fixture_server, host):
    """Keyboard and screen-reader users reach an underline by moving the caret
    into it; Escape returns them to the same place in the editor."""
    ctx, _ = browser
    page = open_composer(ctx, fixture_server, host)
    page.click(EDITORS[host])
    page.keyboard.type("Rules open to abuse by activist lawyers, they say")
    wait_for_marks(page, "m => m.some(x => x.rule === 'attack.group-epithet')")
    for _ in range(len(", they say") + 3):  # into "lawyers"
        page.keyboard.press("ArrowLeft")
    page.keyboard.press("Alt+Shift+I")
    card = page.locator(f"{OVERLAY} .card[role=dialog]")
    card.wait_for()
    assert card.get_attribute("data-rule") == "attack.group-epithet"
    assert page.evaluate(f"document.querySelector('{OVERLAY}').shadowRoot.activeElement?.closest('.card') != null")
    page.keyboard.press("Escape")
    card.wait_for(state="detached")
    page.keyboard.type("X")  # the caret is back in the editor where it was
    page.wait_for_function("window.__editorText() === 'Rules open to abuse by activist lawyXers, they say'")

    # At the end of the post, outside any finding: the list.
    page.keyboard.press("End")
    page.keyboard.press("Alt+Shift+I")
    page.locator(f"{OVERLAY} .list[role=dialog]").wait_for()
