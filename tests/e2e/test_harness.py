"""The fixture pages are real editors with working Post buttons, before any
extension behaviour is involved."""

import pytest

from harness import EDITORS, open_composer

POST = {
    "x.com": "[data-testid=tweetButtonInline]",
    "www.facebook.com": "[role=button][aria-label=Post]",
    "www.instagram.com": "[role=button][aria-label=Share]",
    "www.threads.net": "[role=button][aria-label=Post]",
    "bsky.app": "[data-testid=composerPublishBtn]",
    "www.linkedin.com": "button.share-actions__primary-action",
    "mastodon.social": ".compose-form button[type=submit]",
    "app.hootsuite.com": "button:has-text('Schedule')",
}


@pytest.mark.parametrize("host", list(EDITORS))
def test_fixture_editor_types_and_posts(browser_factory, fixture_server, host):
    ctx, _ = browser_factory()
    page = open_composer(ctx, fixture_server, host)
    page.click(EDITORS[host])
    page.keyboard.type("Hello 🎉 world")
    page.keyboard.press("Enter")
    page.keyboard.type("second line")
    page.wait_for_function("window.__editorText().includes('second line')")
    assert page.evaluate("window.__editorText()") == "Hello 🎉 world\nsecond line"
    page.click(POST[host])
    assert page.evaluate("window.__posted") == ["Hello 🎉 world\nsecond line"]
    assert "Hello" not in page.evaluate("window.__editorText()")
