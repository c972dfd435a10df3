"""The extension underlines exactly the words the service flags, in each
platform's real editor, and keeps the editor working."""

import pytest

from harness import EDITORS, open_composer

PLATFORM = {"x.com": "x", "www.facebook.com": "facebook", "www.instagram.com": "instagram", "www.threads.net": "threads",
            "bsky.app": "bluesky", "www.linkedin.com": "linkedin", "mastodon.social": "mastodon", "app.hootsuite.com": "generic"}

# Marks drawn by the extension, read from its open shadow root.
MARKS_JS = """() => {
  const host = document.querySelector('impartial-overlay');
  if (!host) return [];
  return Array.from(host.shadowRoot.querySelectorAll('.mark')).map(m => {
    const r = m.getBoundingClientRect();
    return {rule: m.dataset.rule, severity: m.dataset.severity, start: +m.dataset.start, end: +m.dataset.end,
            left: r.left, top: r.top, right: r.right, bottom: r.bottom};
  });
}"""

# Where the words really are on screen, measured by the page itself.
WORD_RECTS_JS = """([selector, word]) => {
  const root = document.querySelector(selector);
  if (root.tagName === 'TEXTAREA') return null;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes = [];
  let all = '';
  while (walker.nextNode()) { nodes.push([walker.currentNode, all.length]); all += walker.currentNode.nodeValue; }
  const at = all.indexOf(word);
  if (at < 0) return [];
  const pos = (off) => { for (const [n, s] of nodes) if (off >= s && off <= s + n.nodeValue.length) return [n, off - s]; };
  const r = document.createRange();
  const [sn, so] = pos(at), [en, eo] = pos(at + word.length);
  r.setStart(sn, so); r.setEnd(en, eo);
  return Array.from(r.getClientRects()).filter(x => x.width > 0.5).map(x => ({left: x.left, top: x.top, right: x.right, bottom: x.bottom}));
}"""


def wait_for_marks(page, predicate="m => m.length > 0", timeout=10000):
    page.wait_for_function(f"() => ({predicate})(({MARKS_JS})())", timeout=timeout)
    return page.evaluate(MARKS_JS)


def covers(marks, rects, tol=2.0):
    """Line by line, the marks span exactly what the word's own boxes span."""
    lines = {}
    for r in rects:  # a wrapped word has boxes on several lines, sometimes several per line
        key = next((k for k in lines if abs(k[0] - r["top"]) <= tol and abs(k[1] - r["bottom"]) <= tol), (r["top"], r["bottom"]))
        lines.setdefault(key, []).append(r)
    assert lines, "the word has no boxes"
    for (top, bottom), boxes in lines.items():
        row = [m for m in marks if abs(m["top"] - top) <= tol and abs(m["bottom"] - bottom) <= tol]
        assert row, f"no mark on the line at {top}"
        want = (min(b["left"] for b in boxes), max(b["right"] for b in boxes))
        got = (min(m["left"] for m in row), max(m["right"] for m in row))
        assert abs(got[0] - want[0]) <= tol and abs(got[1] - want[1]) <= tol, (got, want)
    assert len({(round(m["top"]), round(m["bottom"])) for m in marks}) == len(lines), "marks on a line the word is not on"
    return True


@pytest.mark.parametrize("host", list(EDITORS))
def test_underline_covers_the_flagged_words(browser, fixture_server, impartial_server, host):
    ctx, _ = browser
    page = open_composer(ctx, fixture_server, host)
    page.click(EDITORS[host])
    page.keyboard.type("Great news 🎉 for Wales. ")
    page.keyboard.press("Enter")
    page.keyboard.type("Rules open to abuse by activist lawyers, say officials.")
    text = page.evaluate("window.__editorText()")
    expected = [f for f in impartial_server.check(text, PLATFORM[host])["findings"] if f["scope"] == "span"]
    assert any(f["match"] == "activist lawyers" for f in expected)
    marks = wait_for_marks(page, "m => m.some(x => x.rule === 'attack.group-epithet')")
    assert {(m["start"], m["end"]) for m in marks} == {(f["start"], f["end"]) for f in expected}
    lawyers = [m for m in marks if m["rule"] == "attack.group-epithet"]
    rects = page.evaluate(WORD_RECTS_JS, [EDITORS[host], "activist lawyers"])
    if rects is None:  # textarea: the page cannot measure its own text; the marks must sit inside the field
        box = page.locator(EDITORS[host]).bounding_box()
        assert all(box["x"] <= m["left"] and m["right"] <= box["x"] + box["width"] for m in lawyers)
        assert all(m["right"] - m["left"] > 50 for m in lawyers)
    else:
        covers(lawyers, rects)
    # The editor is untouched: its own model still has exactly what was typed.
    assert page.evaluate("window.__editorText()") == text
