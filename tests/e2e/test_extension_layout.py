"""Underlines follow the text when the page scrolls, the window resizes and
lines re-wrap, without the extension touching the editor."""

from harness import EDITORS, open_composer
from test_extension_underlines import MARKS_JS, WORD_RECTS_JS, covers, wait_for_marks

FILLER = "The library opens at nine on Saturday and the pool at seven. " * 3


def flagged_marks(page):
    return [m for m in page.evaluate(MARKS_JS) if m["rule"] == "attack.group-epithet"]


def test_marks_follow_scroll_resize_and_wrapping(browser, fixture_server):
    ctx, _ = browser
    page = open_composer(ctx, fixture_server, "www.facebook.com")
    page.set_viewport_size({"width": 1000, "height": 400})
    page.evaluate("document.body.style.paddingBottom = '1500px'")  # room to scroll
    page.click(EDITORS["www.facebook.com"])
    page.keyboard.type(FILLER + "Rules open to abuse by activist lawyers.")
    wait_for_marks(page, "m => m.some(x => x.rule === 'attack.group-epithet')")
    selector = EDITORS["www.facebook.com"]
    covers(flagged_marks(page), page.evaluate(WORD_RECTS_JS, [selector, "activist lawyers"]))

    page.mouse.wheel(0, 120)
    page.wait_for_function("window.scrollY > 0")
    page.wait_for_timeout(100)  # one animation frame or two for the redraw
    covers(flagged_marks(page), page.evaluate(WORD_RECTS_JS, [selector, "activist lawyers"]))

    # The editor alone gets narrower (no window resize): the text re-wraps and
    # the words may now break across lines.
    page.evaluate(f"document.querySelector('{selector}').style.width = '230px'")
    page.wait_for_timeout(150)
    covers(flagged_marks(page), page.evaluate(WORD_RECTS_JS, [selector, "activist lawyers"]))

    page.set_viewport_size({"width": 600, "height": 300})
    page.evaluate(f"document.querySelector('{selector}').style.width = '400px'")
    page.wait_for_timeout(150)
    covers(flagged_marks(page), page.evaluate(WORD_RECTS_JS, [selector, "activist lawyers"]))
