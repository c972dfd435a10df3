"""The harness itself, before any extension behaviour is involved: the fixture
pages are the real editor libraries under the platforms' real host names, their
Post buttons and shortcuts post what the editor's model holds, and the service,
browser and policy fixtures do what the extension's tests rely on."""

import json
import urllib.error
import urllib.request

import pytest

from harness import CHROMIUM, EXTENSION, PAGES, chromium_args, extension_id, open_composer, render_page

# What only the real library leaves in the DOM (expando properties and markup
# that a hand-made imitation would have to forge on purpose).
LIBRARY_FINGERPRINT = {
    "draft-js": """el => el.matches('.public-DraftEditor-content[data-testid="tweetTextarea_0"][contenteditable="true"][role="textbox"]')
        && !!el.closest('[data-testid="tweetTextarea_0RichTextInputContainer"] .DraftEditor-root')
        && Object.keys(el).some(k => k.startsWith('__reactInternalInstance$') || k.startsWith('__reactFiber$'))
        && !!el.querySelector('[data-block="true"][data-offset-key]')""",
    "lexical (plain-text)": """el => el.matches('[data-lexical-editor="true"][contenteditable="true"][role="textbox"]')
        && el.__lexicalEditor === window.__lexical && !!el.querySelector('p span[data-lexical-text="true"]')""",
    "tiptap": """el => el.matches('.tiptap.ProseMirror[contenteditable="true"]') && !!el.pmViewDesc
        && el.editor === window.__tiptap && window.__tiptap.view === window.__pm""",
    "quill": """el => el.matches('.ql-container > .ql-editor[contenteditable="true"]')
        && window.__quill.root === el && !!el.querySelector(':scope > p')""",
    "textarea (React-controlled)": """el => el.matches('.compose-form .autosuggest-textarea textarea.autosuggest-textarea__textarea')
        && Object.keys(el).some(k => k.startsWith('__reactInternalInstance$') || k.startsWith('__reactFiber$'))""",
    "contenteditable": """el => el.isContentEditable && el.getAttribute('role') === 'textbox'""",
}

# Counters as each platform counts: X weighs URLs as 23 and emoji as 2, Bluesky
# counts graphemes, Threads and Mastodon code points.
URL = "https://example.com/a/very/long/path/indeed"
COUNTED = f"Hi 👩‍👩‍👧 {URL}"  # the family emoji: 5 code points, 8 UTF-16 units, 1 grapheme
COUNTS = {"x": 3 + 2 + 1 + 23, "bluesky": 3 + 1 + 1 + len(URL), "threads": 3 + 5 + 1 + len(URL),
          "mastodon": 3 + 5 + 1 + len(URL)}


@pytest.fixture(scope="module")
def plain_browser(playwright_instance, fixture_server, tmp_path_factory):
    """Chromium without the extension: the pages must work on their own."""
    ctx = playwright_instance.chromium.launch_persistent_context(
        str(tmp_path_factory.mktemp("plain-profile")), executable_path=CHROMIUM, headless=True,
        args=chromium_args(fixture_server.port, None), viewport={"width": 1000, "height": 800}, ignore_https_errors=True)
    yield ctx
    ctx.close()


@pytest.fixture
def composer(plain_browser, fixture_server):
    pages = []

    def open_(host, path="/"):
        page = open_composer(plain_browser, fixture_server, host, path)
        pages.append(page)
        return page

    yield open_
    for page in pages:
        page.close()


@pytest.mark.parametrize("host", list(PAGES))
def test_typing_emoji_and_newline_then_post(composer, host):
    spec = PAGES[host]
    page = composer(host)
    assert page.evaluate("window.__fixture") == {"platform": spec.platform, "library": spec.library}
    assert page.evaluate("document.characterSet") == "UTF-8"
    page.click(spec.editor)
    page.keyboard.type("Hello 🎉 world")
    page.keyboard.press("Enter")
    page.keyboard.type("second line")
    page.wait_for_function("window.__editorText().endsWith('second line')")
    assert page.evaluate(f"({LIBRARY_FINGERPRINT[spec.library]})(document.querySelector('{spec.editor}'))"), \
        "the editor is not the real library's DOM"
    assert page.evaluate("window.__editorText()") == "Hello 🎉 world\nsecond line"
    page.click(spec.post)
    assert page.evaluate("window.__posted") == ["Hello 🎉 world\nsecond line"]
    # Like the platform, the composer is empty again, in the model and on screen.
    assert page.evaluate("window.__editorText()") == ""
    page.wait_for_function(f"!document.querySelector('{spec.editor}')[{'value' if 'textarea' in spec.editor else 'innerText'!r}].includes('Hello')")


@pytest.mark.parametrize("host", list(PAGES))
def test_send_shortcut_only_where_the_platform_has_one(composer, host):
    spec = PAGES[host]
    page = composer(host)
    page.click(spec.editor)
    page.keyboard.type("Shortcut test")
    page.keyboard.press("Control+Enter")
    if spec.shortcut:
        page.wait_for_function("window.__posted.length === 1")
        assert page.evaluate("window.__posted") == ["Shortcut test"]
    else:
        # Give a handler that should not exist the chance to run.
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => setTimeout(r, 50)))")
        assert page.evaluate("window.__posted") == []


@pytest.mark.parametrize("host", list(PAGES))
def test_set_text_goes_through_the_editor_api(composer, host):
    spec = PAGES[host]
    page = composer(host)
    page.evaluate("window.__setText('Restored draft 🎉\\nline two')")
    page.wait_for_function("window.__editorText() === 'Restored draft 🎉\\nline two'")
    shown = page.evaluate(f"(el => el.value ?? el.innerText)(document.querySelector('{spec.editor}'))")
    assert "Restored draft 🎉" in shown and "line two" in shown
    # Typing continues from the model's state.
    page.click(spec.editor)
    page.keyboard.press("Control+End")
    page.keyboard.type("!")
    page.wait_for_function("window.__editorText() === 'Restored draft 🎉\\nline two!'")


@pytest.mark.parametrize("host", [h for h, p in PAGES.items() if p.counter])
def test_counter_follows_the_model_as_the_platform_counts(composer, host):
    spec = PAGES[host]
    page = composer(host)
    page.click(spec.editor)
    page.keyboard.insert_text(COUNTED)
    page.wait_for_function(f"document.querySelector('[data-fixture-counter]').textContent === '{COUNTS[spec.platform]}'")


def test_x_compose_dialog_has_its_own_post_button(composer):
    home, dialog = composer("x.com"), composer("x.com", "/compose/post")
    assert home.locator('[data-testid="tweetButtonInline"]').count() == 1
    assert dialog.locator('[data-testid="tweetButton"]').count() == 1
    assert dialog.locator('[data-testid="tweetButtonInline"]').count() == 0
    dialog.click('[data-testid="tweetTextarea_0"]')
    dialog.keyboard.type("From the dialog")
    dialog.click('[data-testid="tweetButton"]')
    assert dialog.evaluate("window.__posted") == ["From the dialog"]


def test_lexical_rich_text_variant_makes_a_paragraph_per_line(composer):
    page = composer("www.facebook.com", "/?lexical=rich")
    assert page.evaluate("window.__fixture.library") == "lexical (rich-text)"
    page.click('[data-lexical-editor="true"]')
    page.keyboard.type("one")
    page.keyboard.press("Enter")
    page.keyboard.type("two 🎉")
    assert page.locator('[data-lexical-editor="true"] > p').count() == 2
    # Lexical's own text of two paragraphs: joined by a blank line.
    assert page.evaluate("window.__editorText()") == "one\n\ntwo 🎉"


def test_lexical_placeholder_is_a_sibling_not_editor_text(composer):
    page = composer("www.instagram.com")
    placeholder = page.locator("[data-fixture-placeholder]")
    assert placeholder.is_visible() and placeholder.inner_text() == "Write a caption…"
    assert page.evaluate("document.querySelector('[data-lexical-editor]').contains(document.querySelector('[data-fixture-placeholder]'))") is False
    page.click('[data-lexical-editor="true"]')
    page.keyboard.type("x")
    placeholder.wait_for(state="hidden")


def test_bluesky_hard_break_and_grapheme_backspace(composer):
    page = composer("bsky.app")
    page.click(".ProseMirror")
    page.keyboard.type("a")
    page.keyboard.press("Shift+Enter")  # TipTap's HardBreak: a <br> inside the paragraph
    page.keyboard.insert_text("b👩‍👩‍👧")
    assert page.locator(".ProseMirror p br").count() == 1
    assert page.evaluate("window.__editorText()") == "a\nb👩‍👩‍👧"
    page.keyboard.press("Backspace")  # the whole family emoji, as Bluesky deletes it
    assert page.evaluate("window.__editorText()") == "a\nb"


def test_mastodon_model_ignores_a_bare_value_write(composer):
    """React owns the text: writing textarea.value without an input event does not
    reach the model (and would not be posted); the browser's own insertText does."""
    page = composer("mastodon.social")
    page.click("textarea")
    page.keyboard.type("typed")
    page.evaluate("document.querySelector('textarea').value = 'written behind React\\'s back'")
    assert page.evaluate("window.__editorText()") == "typed"
    page.evaluate("""() => { const t = document.querySelector('textarea'); t.focus(); t.select();
                             document.execCommand('insertText', false, 'replaced properly'); }""")
    assert page.evaluate("window.__editorText()") == "replaced properly"
    page.click(".compose-form button[type=submit]")
    assert page.evaluate("window.__posted") == ["replaced properly"]


def test_routes_by_host_header(fixture_server):
    for host, spec in PAGES.items():
        status, body = fixture_server.fetch(host, "/some/deep/path?q=1")
        assert status == 200 and body == render_page(host, "/some/deep/path"), host
        assert b'<meta charset="utf-8">' in body
    assert fixture_server.fetch("example.org")[0] == 404
    assert fixture_server.fetch("facebook.com")[0] == 404  # only the platforms' exact hosts
    assert fixture_server.fetch("x.com", "/dist/../harness.py")[0] == 404
    assert fixture_server.fetch("x.com", "/dist/draft.js")[0] == 200


def test_browser_reaches_only_the_fixture_hosts(composer, plain_browser, fixture_server):
    page = composer("x.com", "/compose/post")
    assert page.url == "https://x.com/compose/post"  # the real host, served locally

    def status(url):
        other = plain_browser.new_page()
        try:
            return other.goto(url).status
        except Exception as e:  # noqa: BLE001 - Playwright raises its own Error with the net:: code
            return str(e).splitlines()[0]
        finally:
            other.close()

    # Chromium resolves *.localhost to loopback without DNS, so only the
    # catch-all rule can make this name fail: nothing else leaks either.
    assert "ERR_NAME_NOT_RESOLVED" in status(f"https://impartial-probe.localhost:{fixture_server.port}/")
    # IP literals are left alone: the service on 127.0.0.1 stays reachable.
    assert status(f"https://127.0.0.1:{fixture_server.port}/") == 404


def test_impartial_service_fixtures(impartial_server, impartial_server_factory):
    result = impartial_server.check("Vote Labour on Thursday", "x", {"election_period": True})
    assert result["verdict"] in ("warn", "block") and result["findings"]
    second = impartial_server_factory()
    assert second.port != impartial_server.port
    assert second.check("The library opens at 9am.")["verdict"] == "pass"
    second.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(second.url + "/healthz", timeout=2)
    second.start()  # back on the same port, as after an outage
    assert json.loads(urllib.request.urlopen(second.url + "/healthz", timeout=5).read())["status"] == "ok"


def test_extension_loads_with_its_fixed_id(browser_factory):
    ctx, sw = browser_factory()
    assert sw.url.endswith("/background.js")
    assert extension_id(sw) == (EXTENSION / "EXTENSION_ID").read_text().strip()


def test_managed_policy_reaches_chrome_storage_managed(chromium_policy, browser_factory):
    ext_id = (EXTENSION / "EXTENSION_ID").read_text().strip()
    chromium_policy(ext_id, {"serverUrl": "http://127.0.0.1:9", "enforcement": "prevent"})
    ctx, sw = browser_factory()
    managed = sw.evaluate("() => chrome.storage.managed.get(null)")
    assert managed == {"serverUrl": "http://127.0.0.1:9", "enforcement": "prevent"}
