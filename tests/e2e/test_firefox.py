"""The same extension in Firefox (Debian's firefox-esr through Marionette):
installed as a temporary add-on, configured by policies.json, on the same
fixture pages against the real service: underlines, the pre-send gate and an
outage. WebDriver clicks land at an element's in-view centre and fail when
something else is drawn there, as a person's click would be caught."""

import os
from pathlib import Path

import pytest

from firefox import firefox_factory, firefox_extension  # noqa: F401  (fixtures)
from harness import EDITORS, PAGES, Service, free_port
from test_extension_events import stored
from test_extension_resilience import eventually
from test_extension_underlines import MARKS_JS, PLATFORM, WORD_RECTS_JS, covers

BADGE_JS = "return document.querySelector('impartial-overlay')?.shadowRoot?.querySelector('.badge')?.innerText ?? null"


def marks(ff):
    return ff.js(f"return ({MARKS_JS})()")


def wait_marks(ff, predicate):
    ff.wait(f"return ({predicate})(({MARKS_JS})())", what=f"marks {predicate}")
    return marks(ff)


def type_into(ff, host, text):
    """Click into the editor and type, key by key, as a person does (WebDriver
    actions: real key events into whatever has focus)."""
    el = ff.m.find_element("css selector", EDITORS[host])
    el.click()
    keys(ff, text)
    return el


def keys(ff, text):
    """Type into whatever has focus."""
    ff.m.actions.sequence("key", "keyboard").send_keys(text).perform()
    ff.m.actions.release()


def click_post(ff, host):
    ff.m.find_element("css selector", PAGES[host].post).click()  # fails if something covers its centre


def gate_root(ff):
    host = ff.m.find_element("css selector", "impartial-gate")
    return host.shadow_root  # WebDriver reaches closed shadow roots in Firefox; page script cannot


@pytest.mark.parametrize("host", ["x.com", "www.facebook.com", "bsky.app", "mastodon.social"])
def test_firefox_underlines_the_services_spans(firefox_factory, impartial_server, host):  # noqa: F811
    ff = firefox_factory({"serverUrl": impartial_server.url, "enforcement": "confirm"})
    ff.open_composer(host)
    type_into(ff, host, "Rules open to abuse by activist lawyers, say officials.")
    found = wait_marks(ff, "m => m.some(x => x.rule === 'attack.group-epithet')")
    text = ff.js("return window.__editorText()")
    expected = {(f["start"], f["end"]) for f in impartial_server.check(text, PLATFORM[host])["findings"] if f["scope"] == "span"}
    assert {(m["start"], m["end"]) for m in found} == expected
    rects = ff.js(f"return ({WORD_RECTS_JS})(arguments[0])", [[EDITORS[host], "activist lawyers"]])
    if rects is not None:  # rich editors: the marks sit exactly on the words
        covers([m for m in found if m["rule"] == "attack.group-epithet"], rects)
    assert ff.js("return window.__editorText()") == text  # the editor untouched
    assert "to check" in ff.js(BADGE_JS)


@pytest.mark.parametrize("host", ["www.threads.net", "www.instagram.com"])
def test_firefox_holds_a_must_fix_post(firefox_factory, impartial_server, host):  # noqa: F811
    ff = firefox_factory({"serverUrl": impartial_server.url, "enforcement": "confirm"})
    ff.open_composer(host)
    type_into(ff, host, "Vote Labour on Thursday")
    wait_marks(ff, "m => m.some(x => x.severity === 'block')")
    click_post(ff, host)
    ff.wait("return !!document.querySelector('impartial-gate')", what="the pre-send dialog")
    assert ff.js("return window.__posted") == []
    assert ff.js("return document.querySelector('impartial-gate').shadowRoot") is None  # closed to the page
    root = gate_root(ff)
    assert "Party political" in root.find_element("css selector", "dialog").text
    root.find_element("css selector", "[data-action=back]").click()
    ff.wait("return !document.querySelector('impartial-gate')", what="the dialog to close")
    assert ff.js("return window.__posted") == []
    # Post anyway, with a reason: it goes out.
    click_post(ff, host)
    ff.wait("return !!document.querySelector('impartial-gate')", what="the pre-send dialog")
    root = gate_root(ff)
    root.find_element("css selector", "textarea").send_keys("Quoting the returning officer")
    root.find_element("css selector", "[data-action=post-anyway]").click()
    ff.wait("return window.__posted.length === 1", what="the post")
    assert ff.js("return window.__posted") == ["Vote Labour on Thursday"]
    # The decision also reaches the service's event store (the session's service shares this run's database).
    db = Path(os.environ["IMPARTIAL_INSTANCE_PATH"]) / "impartial.db"
    platform = PAGES[host].platform

    def mine():
        return [e for e in stored(db) if e["platform"] == platform and e["reason"] == "Quoting the returning officer"]
    (event,) = eventually(mine, len)
    assert event["decision"] == "posted_with_reason" and "party_political" in event["categories"]


def test_firefox_outage_lets_the_officer_write_and_post(firefox_factory):  # noqa: F811
    down = Service(free_port(), {})  # nothing listens there
    ff = firefox_factory({"serverUrl": down.url, "enforcement": "confirm"})
    ff.open_composer("www.linkedin.com")
    type_into(ff, "www.linkedin.com", "Vote Labour on Thursday")
    ff.wait(f"return ({BADGE_JS.removeprefix('return ')}) === 'Checks unavailable'", what="Checks unavailable")
    keys(ff, " and more")  # the caret is still where the officer left it
    ff.wait("return window.__editorText() === 'Vote Labour on Thursday and more'", what="typing")
    click_post(ff, "www.linkedin.com")
    ff.wait("return window.__posted.length === 1", what="the post")


def test_firefox_fail_closed_holds_a_post_when_the_service_is_down(firefox_factory):  # noqa: F811
    down = Service(free_port(), {})
    ff = firefox_factory({"serverUrl": down.url, "enforcement": "prevent", "failClosed": True})
    ff.open_composer("bsky.app")
    type_into(ff, "bsky.app", "The library opens at 9am on Saturday.")
    ff.wait(f"return ({BADGE_JS.removeprefix('return ')}) === 'Checks unavailable'", what="Checks unavailable")
    click_post(ff, "bsky.app")
    ff.wait("return !!document.querySelector('impartial-gate')", what="the pre-send dialog")
    assert "could not be checked" in gate_root(ff).find_element("css selector", "dialog").text
    assert ff.js("return window.__posted") == []
