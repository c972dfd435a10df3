"""How the extension behaves for an officer: fixing a finding, the pre-send
gate, an outage, keyboard use, and IT policy winning over the options page."""

import json
import os

import pytest

from gate_dialog import Gate
from harness import EDITORS, EXTENSION, PAGES, ROOT, Service, configure, free_port, open_composer, wait_for_text
from test_extension_underlines import MARKS_JS, WORD_RECTS_JS, covers, wait_for_marks

OVERLAY = "impartial-overlay"
AUDIT_JS = "async () => (await chrome.storage.local.get('audit')).audit || []"
BADGE_UNAVAILABLE = f"document.querySelector('{OVERLAY}')?.shadowRoot.querySelector('.badge')?.dataset.state === 'unavailable'"


def audit_log(sw, n, timeout=10.0):
    """The audit entries once there are n of them (they are written just after the choice)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        entries = sw.evaluate(AUDIT_JS)
        if len(entries) >= n or time.monotonic() > deadline:
            return entries
        time.sleep(0.1)


def type_post(page, host, text):
    page.click(EDITORS[host])
    page.keyboard.type(text)


# What a person's click at (x, y) lands on, as the page sees it.
HIT_JS = """([x, y, selector]) => {
  const hit = document.elementFromPoint(x, y);
  return {inside: !!hit && !!hit.closest(selector), hit: hit ? hit.outerHTML.slice(0, 120) : null};
}"""


def click_post(page, post_button=None):
    """Click the platform's own Post control at its centre, as a person does:
    whatever is drawn there must be the platform's button, not the extension."""
    selector = post_button or PAGES[page.evaluate("location.hostname")].post
    box = page.locator(selector).first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    hit = page.evaluate(HIT_JS, [x, y, selector])
    assert hit["inside"], f"a click at the centre of {selector} lands on {hit['hit']}"
    page.mouse.click(x, y)


def held_post(ctx, fixture_server, host, text, post_button=None):
    """Type a post with a must-fix finding and click Post: returns the page and the gate dialog."""
    page = open_composer(ctx, fixture_server, host)
    type_post(page, host, text)
    wait_for_marks(page, "m => m.some(x => x.severity === 'block')")
    click_post(page, post_button)
    return page, Gate(page).wait()


def replace_flagged_words(ctx, fixture_server, host):
    """Type a post with "activist lawyers", click the underline, press Replace."""
    page = open_composer(ctx, fixture_server, host)
    type_post(page, host, "Rules open to abuse by activist lawyers.")
    marks = wait_for_marks(page, "m => m.some(x => x.rule === 'attack.group-epithet')")
    mark = next(m for m in marks if m["rule"] == "attack.group-epithet")
    # Click the underlined words, as an officer would: the card opens.
    page.mouse.click((mark["left"] + mark["right"]) / 2, (mark["top"] + mark["bottom"]) / 2)
    card = page.locator(f"{OVERLAY} .card")
    card.wait_for()
    assert "GCS" in card.inner_text()  # the guidance clause is on the card
    card.locator("[data-action=replace]").click()
    page.wait_for_function("window.__editorText() === 'Rules open to abuse by lawyers.'")
    return page


@pytest.mark.parametrize("host", ["x.com", "www.facebook.com", "bsky.app", "www.linkedin.com", "mastodon.social"])
def test_applying_a_suggestion_changes_the_editors_own_text(browser, fixture_server, host):
    ctx, _ = browser
    page = replace_flagged_words(ctx, fixture_server, host)
    # The finding goes away once the service sees the new text.
    page.wait_for_function(f"() => !({MARKS_JS})().some(m => m.rule === 'attack.group-epithet')")
    # And the platform's model is what gets posted.
    page.evaluate("window.__post()")
    assert page.evaluate("window.__posted") == ["Rules open to abuse by lawyers."]


def test_pre_send_dialog_for_a_block_finding_records_the_choice(browser, fixture_server):
    ctx, sw = browser
    page, dialog = held_post(ctx, fixture_server, "x.com", "Vote Labour on Thursday", "[data-testid=tweetButtonInline]")
    assert dialog.attr("aria-modal") == "true"
    assert "Vote Labour" in dialog.text()
    assert page.evaluate("window.__posted") == []
    # Keyboard: focus starts on "Go back", Escape goes back to the editor.
    assert dialog.active_action() == "back"
    page.keyboard.press("Escape")
    dialog.wait_closed()
    assert page.evaluate("window.__posted") == []
    assert page.evaluate("document.activeElement.closest('[data-testid=tweetTextarea_0]') !== null")

    # Ctrl+Enter is held too; this time the officer posts anyway with a reason.
    page.keyboard.press("Control+Enter")
    dialog.wait()
    dialog.click("post-anyway")  # no reason yet: refused
    assert dialog.is_open() and page.evaluate("window.__posted") == []
    dialog.fill_reason("Quoting the minister's own post, cleared by the press office")
    dialog.click("post-anyway")
    page.wait_for_function("window.__posted.length === 1")
    assert page.evaluate("window.__posted") == ["Vote Labour on Thursday"]

    audit = audit_log(sw, 2)
    assert [a["choice"] for a in audit] == ["went_back", "posted_anyway"]
    assert audit[1]["reason"].startswith("Quoting the minister")
    assert "party_political.electoral-call" in audit[1]["rules"] and audit[1]["platform"] == "x"
    assert "Vote Labour" not in json.dumps(audit)  # never the post

    # The officer (or IT) can read the decisions on the options page, newest first.
    options = ctx.new_page()
    options.goto(sw.url.replace("background.js", "options.html"))
    rows = options.locator("#audit tbody tr")
    rows.first.wait_for()
    assert rows.count() == 2
    assert "Posted anyway" in rows.nth(0).inner_text() and "Quoting the minister" in rows.nth(0).inner_text()
    assert "Went back to edit" in rows.nth(1).inner_text()
    # Each entry also went to the service (POST /v1/events), and the page says so.
    assert rows.nth(0).locator("td").last.inner_text() == "Sent"
    assert "Vote Labour" not in options.inner_text("body")


def test_prevent_mode_stops_the_post(browser, fixture_server):
    ctx, sw = browser
    configure(sw, enforcement="prevent")
    page, dialog = held_post(ctx, fixture_server, "bsky.app", "Chip in £5 today to help us win this seat.", "[data-testid=composerPublishBtn]")
    assert dialog.count("[data-action=post-anyway]") == 0
    dialog.click("back")
    dialog.wait_closed()
    assert page.evaluate("window.__posted") == []
    assert [a["choice"] for a in audit_log(sw, 1)] == ["prevented"]


def test_clean_post_goes_straight_through(browser, fixture_server):
    ctx, _ = browser
    page = open_composer(ctx, fixture_server, "www.linkedin.com")
    type_post(page, "www.linkedin.com", "The library opens at 9am on Saturday.")
    click_post(page)  # even before any check has answered
    page.wait_for_function("window.__posted.length === 1")
    assert page.evaluate("window.__posted") == ["The library opens at 9am on Saturday."]


def test_service_outage_leaves_typing_unaffected(browser, fixture_server):
    ctx, sw = browser
    down = Service(free_port(), {})  # never started: nothing listens there
    configure(sw, serverUrl=down.url)
    page = open_composer(ctx, fixture_server, "www.facebook.com")
    text = "Vote Labour 🎉 on Thursday"
    type_post(page, "www.facebook.com", text)
    badge = page.locator(f"{OVERLAY} .badge")
    page.wait_for_function(BADGE_UNAVAILABLE)
    assert "Checks unavailable" in badge.inner_text()
    assert page.locator(f"{OVERLAY} .card").count() == 0 and not Gate(page).is_open()
    page.keyboard.type(" and more")
    assert page.evaluate("window.__editorText()") == text + " and more"
    click_post(page)  # fails open, and says so in the audit
    page.wait_for_function("window.__posted.length === 1")
    assert [a["choice"] for a in audit_log(sw, 1)] == ["posted_unchecked"]


def test_service_back_after_outage(browser_factory, fixture_server, tmp_path):
    service = Service(free_port(), {})
    ctx, sw = browser_factory()
    configure(sw, serverUrl=service.url)
    page = open_composer(ctx, fixture_server, "x.com")
    type_post(page, "x.com", "activist lawyers")
    page.wait_for_function(BADGE_UNAVAILABLE)
    service.start()
    try:
        page.keyboard.type(" again")
        wait_for_marks(page, "m => m.some(x => x.rule === 'attack.group-epithet')")
    finally:
        service.stop()


def test_editing_and_paste_never_paint_stale_answers(browser, fixture_server):
    ctx, _ = browser
    page = open_composer(ctx, fixture_server, "www.threads.net")
    page.click(EDITORS["www.threads.net"])
    page.keyboard.insert_text("Line one\nThe killer will finally face justice")  # a paste
    wait_for_marks(page, "m => m.some(x => x.rule === 'sub_judice.hoped-outcome')")
    for _ in range(len("face justice")):
        page.keyboard.press("Backspace")
    page.keyboard.type("be sentenced 👍")
    page.wait_for_function(f"() => !({MARKS_JS})().some(m => m.rule === 'sub_judice.hoped-outcome')")
    marks = page.evaluate(MARKS_JS)
    text = page.evaluate("window.__editorText()")
    assert text == "Line one\nThe killer will finally be sentenced 👍"
    assert all(m["end"] <= len(text.encode("utf-16-le")) // 2 for m in marks)


def test_overlay_renderer_draws_the_same_underlines(browser, fixture_server, impartial_server):
    ctx, sw = browser
    configure(sw, renderer="overlay")
    page = open_composer(ctx, fixture_server, "bsky.app")
    type_post(page, "bsky.app", "Proud of our team 💪 despite the so-called experts")
    marks = wait_for_marks(page, "m => m.some(x => x.rule === 'attack.group-epithet')")
    (finding,) = [f for f in impartial_server.check(page.evaluate("window.__editorText()"), "bluesky")["findings"]
                  if f["rule_id"] == "attack.group-epithet"]
    assert page.evaluate(f"document.querySelector('{OVERLAY}').dataset.renderer") == "overlay"
    drawn = page.evaluate(f"""() => Array.from(document.querySelector('{OVERLAY}').shadowRoot.querySelectorAll('.mark.draw'))
        .map(m => getComputedStyle(m).borderBottomStyle)""")
    assert "dashed" in drawn  # warn: a dashed line, not colour alone
    assert finding["match"] == "the so-called experts"
    covers([m for m in marks if m["rule"] == "attack.group-epithet"], page.evaluate(WORD_RECTS_JS, [".ProseMirror", finding["match"]]))


def test_highlight_api_is_used_by_default(browser, fixture_server):
    ctx, _ = browser
    page = open_composer(ctx, fixture_server, "x.com")
    type_post(page, "x.com", "Vote Labour on Thursday")
    wait_for_marks(page)
    assert page.evaluate(f"document.querySelector('{OVERLAY}').dataset.renderer") == "highlight"
    assert page.evaluate("CSS.highlights.has('impartial-block') && CSS.highlights.get('impartial-block').size === 1")


def test_keyboard_reaches_findings_and_cards(browser, fixture_server):
    ctx, _ = browser
    page = open_composer(ctx, fixture_server, "mastodon.social")
    type_post(page, "mastodon.social", "Rules open to abuse by activist lawyers")
    wait_for_marks(page, "m => m.some(x => x.rule === 'attack.group-epithet')")
    page.keyboard.press("Alt+Shift+I")
    listing = page.locator(f"{OVERLAY} .list[role=dialog]")
    listing.wait_for()
    page.keyboard.press("Enter")  # the first finding, focused
    card = page.locator(f"{OVERLAY} .card[role=dialog]")
    card.wait_for()
    assert card.get_attribute("aria-labelledby")
    page.keyboard.press("Escape")
    card.wait_for(state="detached")
    badge = page.locator(f"{OVERLAY} .badge")
    assert "to check" in badge.inner_text()
    help_id = badge.get_attribute("aria-describedby")
    assert "characters" in page.locator(f"{OVERLAY} #{help_id}").inner_text()


@pytest.fixture
def managed_policy(chromium_policy, impartial_server):
    """IT policy for the extension, through the harness (which keeps other
    test runs' browsers from seeing it while it is in place)."""
    ext_id = (EXTENSION / "EXTENSION_ID").read_text().strip()
    chromium_policy(ext_id, {"serverUrl": impartial_server.url, "enforcement": "prevent", "allowUserChanges": False})
    return ext_id


def test_managed_settings_override_the_options_page(managed_policy, browser_factory, fixture_server):
    ctx, sw = browser_factory()
    assert sw.url.startswith(f"chrome-extension://{managed_policy}/")
    # The officer chose "advise" and another server on the options page...
    configure(sw, enforcement="advise", serverUrl="http://127.0.0.1:9")
    loaded = sw.evaluate("() => self.Impartial.settings.load()")
    assert loaded["settings"]["enforcement"] == "prevent" and not loaded["userAllowed"]
    # ...but policy wins: checks still reach the managed server and posts are stopped.
    _, dialog = held_post(ctx, fixture_server, "x.com", "Vote Labour on Thursday", "[data-testid=tweetButtonInline]")
    assert dialog.count("[data-action=post-anyway]") == 0
    # The options page shows the lock.
    options = ctx.new_page()
    options.goto(f"chrome-extension://{managed_policy}/options.html")
    wait_for_text(options, "#policy", lambda t: len(t) > 0)
    assert "organisation manages" in options.inner_text("#policy")
    assert options.is_disabled("#enforcement")


def test_screenshot_of_underline_and_card_for_the_readme(browser, fixture_server):
    ctx, _ = browser
    page = open_composer(ctx, fixture_server, "x.com")
    type_post(page, "x.com", "Moribound Miliband talks of a national mission. A mission to economic disaster.")
    marks = wait_for_marks(page, "m => m.length >= 2")
    first = min(marks, key=lambda m: m["left"])
    page.mouse.click((first["left"] + first["right"]) / 2, (first["top"] + first["bottom"]) / 2)
    page.locator(f"{OVERLAY} .card").wait_for()
    # The README's picture is rewritten only when asked (IMPARTIAL_UPDATE_SCREENSHOTS=1), not on every run.
    out = ROOT / ("docs/extension" if os.environ.get("IMPARTIAL_UPDATE_SCREENSHOTS") == "1" else "build/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out / "screenshot-card.png"), clip={"x": 0, "y": 0, "width": 1000, "height": 460})
    assert (out / "screenshot-card.png").stat().st_size > 10_000


@pytest.mark.parametrize("host", ["x.com", "www.facebook.com", "bsky.app", "www.linkedin.com", "mastodon.social"])
def test_editors_own_undo_reverses_a_replacement(browser, fixture_server, host):
    ctx, _ = browser
    page = replace_flagged_words(ctx, fixture_server, host)
    page.keyboard.press("Control+z")  # the editor's own undo history, untouched by the extension
    page.wait_for_function("window.__editorText() === 'Rules open to abuse by activist lawyers.'")


def test_ignore_once_and_report_a_false_flag(browser, fixture_server, impartial_server):
    import urllib.request

    ctx, _ = browser
    page = open_composer(ctx, fixture_server, "www.instagram.com")
    type_post(page, "www.instagram.com", "Union barons and so-called experts disagree.")
    marks = wait_for_marks(page, "m => m.filter(x => x.rule === 'attack.group-epithet').length >= 2")

    rule = "attack.group-epithet"

    def open_card(rule_start):
        m = next(m for m in page.evaluate(MARKS_JS) if m["start"] == rule_start)
        page.mouse.click((m["left"] + m["right"]) / 2, (m["top"] + m["bottom"]) / 2)
        card = page.locator(f"{OVERLAY} .card")
        card.wait_for()
        if card.get_attribute("data-rule") != rule:  # another category on the same words: its card leads on
            card.locator(f'button[data-action="also"][data-rule="{rule}"]').click()
            card = page.locator(f'{OVERLAY} .card[data-rule="{rule}"]')
            card.wait_for()
        return card

    def gone(start):
        return f"() => !({MARKS_JS})().some(m => m.start === {start} && m.rule === '{rule}')"

    first, second = sorted(m["start"] for m in marks if m["rule"] == rule)[:2]
    open_card(first).locator("[data-action=ignore]").click()
    page.wait_for_function(gone(first))
    open_card(second).locator("[data-action=report]").click()
    page.wait_for_function(gone(second))
    stats = json.loads(urllib.request.urlopen(impartial_server.url + "/v1/stats", timeout=10).read())
    assert stats["rules"]["attack.group-epithet"]["false_positive"] >= 1
    assert page.evaluate("window.__editorText()") == "Union barons and so-called experts disagree."
