"""The pre-send gate where officers really click, on every platform's own
layout: Post clicked at its centre, pressed from the keyboard or sent with the
platform's shortcut; and the ways around the gate that must not work (ignoring
a finding, a second composer, a failed check, a page script pressing our
buttons, a page layer painted over the dialog)."""

import json

import pytest

from gate_dialog import Gate
from harness import EDITORS, EXTENSION, PAGES, Service, configure, free_port, open_composer
from test_extension_behaviour import BADGE_UNAVAILABLE, OVERLAY, audit_log, click_post, type_post
from test_extension_underlines import MARKS_JS, wait_for_marks

MUST_FIX = "Vote Labour on Thursday"
WARN_ONLY = "Rules open to abuse by activist lawyers."
EXT_ID = (EXTENSION / "EXTENSION_ID").read_text().strip()

# Every control of the page that takes clicks, and what a click at its centre
# reaches: the control itself, or something else drawn on top of it.
COVERED_CONTROLS_JS = """() => {
  const sel = 'button, [role=button], [role=option], a[href], input, select';
  return Array.from(document.querySelectorAll(sel)).filter(el => {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || r.bottom < 0 || r.top > innerHeight) return false;
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return !(hit && (el === hit || el.contains(hit)));
  }).map(el => el.outerHTML.slice(0, 100));
}"""


def open_and_type(ctx, fixture_server, host, text, path="/"):
    page = open_composer(ctx, fixture_server, host, path)
    type_post(page, host, text)
    return page


BADGE_HIT_JS = f"""() => {{ const b = document.querySelector('{OVERLAY}').shadowRoot.querySelector('.badge').getBoundingClientRect();
  return document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2)?.tagName ?? null; }}"""


def badge_on_top(page):
    assert page.evaluate(BADGE_HIT_JS) == "IMPARTIAL-OVERLAY", "a page layer is drawn over the badge"


def nothing_covered(page):
    covered = page.evaluate(COVERED_CONTROLS_JS)
    assert covered == [], f"page controls covered by something drawn on top: {covered}"


@pytest.mark.parametrize("host", list(EDITORS))
def test_a_warn_only_post_goes_out_with_one_click_on_post(browser, fixture_server, host):
    ctx, sw = browser
    page = open_and_type(ctx, fixture_server, host, WARN_ONLY)
    wait_for_marks(page, "m => m.some(x => x.severity === 'warn')")
    page.wait_for_function(f"document.querySelector('{OVERLAY}')?.shadowRoot.querySelector('.badge')?.innerText.includes('to check')")
    nothing_covered(page)  # the badge sits on none of the page's controls
    badge_on_top(page)  # and no page layer sits on the badge
    click_post(page)  # one click, at the centre of the platform's own Post
    page.wait_for_function("window.__posted.length === 1")
    assert page.evaluate("window.__posted") == [WARN_ONLY]
    assert not Gate(page).is_open()


@pytest.mark.parametrize("host", list(EDITORS))
def test_a_must_fix_post_is_held_when_post_is_clicked(browser, fixture_server, host):
    ctx, sw = browser
    page = open_and_type(ctx, fixture_server, host, MUST_FIX)
    wait_for_marks(page, "m => m.some(x => x.severity === 'block')")
    nothing_covered(page)
    click_post(page)
    gate = Gate(page).wait()
    assert "Party political" in gate.text()  # the category in words
    assert page.evaluate("window.__posted") == []
    page.keyboard.press("Escape")
    gate.wait_closed()
    assert page.evaluate("window.__posted") == []
    assert [a["choice"] for a in audit_log(sw, 1)] == ["went_back"]


@pytest.mark.parametrize("host", list(EDITORS))
def test_a_must_fix_post_is_held_when_post_is_pressed_from_the_keyboard(browser, fixture_server, host):
    """Tab onto Post, then Enter (or Space, which a button acts on when the key
    comes up): the press is held, and its keyup does not post either."""
    ctx, _ = browser
    page = open_and_type(ctx, fixture_server, host, MUST_FIX)
    wait_for_marks(page, "m => m.some(x => x.severity === 'block')")
    post = PAGES[host].post
    page.focus(post)
    page.keyboard.press("Shift+Tab")  # step off Post and back onto it, as a keyboard user does
    page.keyboard.press("Tab")
    assert page.evaluate(f"document.activeElement.matches('{post}')"), page.evaluate("document.activeElement.outerHTML")
    key = "Enter" if list(EDITORS).index(host) % 2 == 0 else " "
    page.keyboard.press(key)
    gate = Gate(page).wait()
    page.wait_for_timeout(200)  # time for a keyup to post, were it not held
    assert page.evaluate("window.__posted") == []
    gate.click("back")
    gate.wait_closed()
    assert page.evaluate("window.__posted") == []


@pytest.mark.parametrize("host", [h for h in EDITORS if PAGES[h].shortcut])
def test_a_must_fix_post_is_held_when_sent_with_the_shortcut(browser, fixture_server, host):
    ctx, sw = browser
    page = open_and_type(ctx, fixture_server, host, MUST_FIX)
    wait_for_marks(page, "m => m.some(x => x.severity === 'block')")
    page.keyboard.press("Control+Enter")
    gate = Gate(page).wait()
    assert page.evaluate("window.__posted") == []
    gate.fill_reason("Quoting the returning officer's notice")
    gate.click("post-anyway")
    page.wait_for_function("window.__posted.length === 1")  # the shortcut, replayed through the platform's own handling
    assert page.evaluate("window.__posted") == [MUST_FIX]
    assert [a["choice"] for a in audit_log(sw, 1)] == ["posted_anyway"]


def test_a_warn_only_post_goes_out_with_the_keyboard(browser, fixture_server):
    ctx, _ = browser
    page = open_and_type(ctx, fixture_server, "www.facebook.com", WARN_ONLY)
    wait_for_marks(page, "m => m.some(x => x.severity === 'warn')")
    page.focus(PAGES["www.facebook.com"].post)
    page.keyboard.press("Enter")
    page.wait_for_function("window.__posted.length === 1")


def open_card(page, rule):
    m = next(m for m in page.evaluate(MARKS_JS) if m["rule"] == rule)
    page.mouse.click((m["left"] + m["right"]) / 2, (m["top"] + m["bottom"]) / 2)
    card = page.locator(f"{OVERLAY} .card")
    card.wait_for()
    return card


def test_ignoring_a_must_fix_finding_hides_the_underline_but_not_the_gate(browser, fixture_server):
    ctx, sw = browser
    host = "www.facebook.com"
    page = open_and_type(ctx, fixture_server, host, MUST_FIX)
    marks = wait_for_marks(page, "m => m.some(x => x.severity === 'block')")
    rule = next(m["rule"] for m in marks if m["severity"] == "block")
    card = open_card(page, rule)
    card.locator("[data-action=ignore]").click()
    card.locator("[data-action=confirm-ignore]").click()  # no reason: refused
    assert card.is_visible() and any(m["rule"] == rule for m in page.evaluate(MARKS_JS))
    card.locator("textarea").fill("It is the council's own election notice")
    card.locator("[data-action=confirm-ignore]").click()
    page.wait_for_function(f"() => !({MARKS_JS})().some(m => m.rule === '{rule}')")

    click_post(page)  # still held: ignoring hid the underline only
    gate = Gate(page).wait()
    assert gate.reason() == "It is the council's own election notice"  # the reason carried over
    gate.click("post-anyway")
    page.wait_for_function("window.__posted.length === 1")
    assert [a["choice"] for a in audit_log(sw, 2)] == ["ignored_must_fix", "posted_anyway"]

    # The ignore ended with that post: the same words again are underlined and held.
    page.click(EDITORS[host])
    page.keyboard.type(MUST_FIX)
    wait_for_marks(page, f"m => m.some(x => x.rule === '{rule}')")
    click_post(page)
    Gate(page).wait()
    assert page.evaluate("window.__posted") == [MUST_FIX]


def test_reporting_a_must_fix_finding_as_a_false_flag_does_not_clear_the_post(browser, fixture_server):
    ctx, sw = browser
    configure(sw, enforcement="prevent")
    page = open_and_type(ctx, fixture_server, "bsky.app", MUST_FIX)
    marks = wait_for_marks(page, "m => m.some(x => x.severity === 'block')")
    rule = next(m["rule"] for m in marks if m["severity"] == "block")
    open_card(page, rule).locator("[data-action=report]").click()
    page.wait_for_function(f"() => !({MARKS_JS})().some(m => m.rule === '{rule}')")
    click_post(page)
    gate = Gate(page).wait()
    assert gate.count("[data-action=post-anyway]") == 0
    gate.click("back")
    assert page.evaluate("window.__posted") == []
    # The report is in the officer's record too (and sent as a false_flag event).
    assert [a["choice"] for a in audit_log(sw, 2)] == ["reported_false_flag", "prevented"]


def test_the_composer_with_text_is_gated_when_another_is_empty(browser, fixture_server):
    """Two message boxes share one Schedule button; the first is empty and the
    officer writes in the second."""
    ctx, _ = browser
    page = open_composer(ctx, fixture_server, "app.hootsuite.com", "/?composers=2")
    assert page.locator("[contenteditable=true]").count() == 2
    page.click("#editor")
    page.keyboard.type(MUST_FIX)
    wait_for_marks(page, "m => m.some(x => x.severity === 'block')")
    nothing_covered(page)
    click_post(page)
    Gate(page).wait()
    assert page.evaluate("window.__posted") == []


def test_the_dialog_is_out_of_reach_of_page_script_and_above_every_layer(browser, fixture_server):
    ctx, _ = browser
    page = open_and_type(ctx, fixture_server, "www.linkedin.com", MUST_FIX)
    wait_for_marks(page, "m => m.some(x => x.severity === 'block')")
    click_post(page)
    gate = Gate(page).wait()
    # Top layer: a modal <dialog>, over a page layer with the highest z-index there is.
    assert gate.eval("(r) => r.querySelector('dialog').matches(':modal')")
    page.evaluate("""() => { const d = document.createElement('div'); d.id = 'page-layer';
        d.style.cssText = 'position:fixed;inset:0;z-index:2147483647;background:rgba(255,0,0,.2)';
        document.body.append(d); }""")
    x, y = gate.centre("[data-action=back]")
    assert page.evaluate("([x, y]) => document.elementFromPoint(x, y).tagName", [x, y]) == "IMPARTIAL-GATE"
    # Page script sees no shadow root, and a script that got hold of the buttons
    # anyway cannot press them: untrusted clicks and keys do nothing.
    assert page.evaluate("document.querySelector('impartial-gate').shadowRoot") is None
    gate.eval("""(r) => { r.querySelector('textarea').value = 'forged'; r.querySelector('[data-action=post-anyway]').click();
        r.querySelector('[data-action=back]').dispatchEvent(new MouseEvent('click', {bubbles: true}));
        r.querySelector('dialog').dispatchEvent(new Event('cancel', {cancelable: true})); }""")
    page.wait_for_timeout(200)
    assert gate.is_open() and page.evaluate("window.__posted") == []
    gate.click("back")  # a real click still works
    gate.wait_closed()


def test_a_service_that_skips_must_fix_rules_counts_as_unchecked(browser, fixture_server, impartial_server_factory):
    """A rule that times out on a post is reported in `incomplete`: when it is a
    must-fix rule the post was not fully checked, and the audit says so."""
    service = impartial_server_factory({"IMPARTIAL_REGEX_TIMEOUT": "0.0000001"})
    # a phone number brings the personal-data rules (must-fix) past their prefilter, so they run and time out
    text = "Call the library on 0161 496 0000 before Saturday."
    skipped = service.check(text).get("incomplete", [])
    rules = {r["id"]: r["severity"] for r in json.loads(__import__("urllib.request").request.urlopen(service.url + "/v1/rules").read())["rules"]}
    must_fix = sorted(r for r in skipped if rules[r] == "block")
    assert must_fix, f"no must-fix rule was skipped: {skipped}"
    ctx, sw = browser
    configure(sw, serverUrl=service.url)
    page = open_and_type(ctx, fixture_server, "www.threads.net", text)
    page.wait_for_function(f"document.querySelector('{OVERLAY}')?.shadowRoot.querySelector('.badge')?.dataset.state === 'ready'")
    click_post(page)
    page.wait_for_function("window.__posted.length === 1")  # confirm mode: out, but recorded as unchecked
    (entry,) = audit_log(sw, 1)
    assert entry["choice"] == "posted_unchecked" and sorted(entry["rules"]) == must_fix


@pytest.fixture
def fail_closed_policy(chromium_policy):
    down = Service(free_port(), {})  # never started: nothing listens there
    chromium_policy(EXT_ID, {"serverUrl": down.url, "enforcement": "prevent", "failClosed": True})
    return down


def test_fail_closed_holds_a_post_when_the_service_is_down(fail_closed_policy, browser_factory, fixture_server):
    ctx, sw = browser_factory()
    page = open_and_type(ctx, fixture_server, "mastodon.social", "The library opens at 9am on Saturday.")
    page.wait_for_function(BADGE_UNAVAILABLE)
    click_post(page)
    gate = Gate(page).wait()
    assert gate.kind() == "unchecked" and "could not be checked" in gate.text()
    assert gate.count("[data-action=post-anyway]") == 0
    gate.click("back")
    gate.wait_closed()
    assert page.evaluate("window.__posted") == []
    assert [a["choice"] for a in audit_log(sw, 1)] == ["prevented_unchecked"]
    # The officer cannot switch it off on the options page.
    configure(sw, failClosed=False, enforcement="advise")
    assert sw.evaluate("() => self.Impartial.settings.load()")["settings"]["failClosed"] is True


def test_prevent_without_fail_closed_lets_an_unchecked_post_out_and_records_it(browser, fixture_server):
    ctx, sw = browser
    configure(sw, serverUrl=Service(free_port(), {}).url, enforcement="prevent")
    page = open_and_type(ctx, fixture_server, "x.com", MUST_FIX)
    page.wait_for_function(BADGE_UNAVAILABLE)
    click_post(page)
    page.wait_for_function("window.__posted.length === 1")
    assert [a["choice"] for a in audit_log(sw, 1)] == ["posted_unchecked"]


@pytest.mark.parametrize("host", ["x.com", "mastodon.social", "www.threads.net"])
def test_a_mention_popup_stays_usable_over_the_badge(browser, fixture_server, host):
    """The platform's typeahead opens under the caret, on its own high layer:
    the badge must not sit on its options, and picking one still works."""
    ctx, _ = browser
    page = open_and_type(ctx, fixture_server, host, "Rules open to abuse by activist lawyers. Thanks to @loc")
    wait_for_marks(page, "m => m.some(x => x.severity === 'warn')")
    options = page.locator("[data-fixture-typeahead] [role=option]")
    options.first.wait_for()
    page.wait_for_timeout(100)  # a frame for the badge to move
    nothing_covered(page)
    box = options.nth(1).bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("window.__editorText().endsWith('@localnews ')")
