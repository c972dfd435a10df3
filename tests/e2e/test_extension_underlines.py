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
  // A start on a node boundary belongs to the next node, an end to the previous
  // one; otherwise a word starting a paragraph would take in the line before.
  const pos = (off, isEnd) => { for (const [n, s] of nodes) {
    const e = s + n.nodeValue.length;
    if (isEnd ? (off > s && off <= e) : (off >= s && off < e)) return [n, off - s];
  } };
  const r = document.createRange();
  const [sn, so] = pos(at, false), [en, eo] = pos(at + word.length, true);
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


CARET_AT_JS = """([x, y]) => { const p = document.caretPositionFromPoint(x, y);
  return p && p.offsetNode.tagName === 'TEXTAREA' ? p.offset : null; }"""


def textarea_covers(page, marks, start, end):
    """For a textarea, the browser's own hit-testing (caretPositionFromPoint
    gives an offset into the value) is independent of the extension's mirror:
    just inside a mark's left edge is the finding's first character, just
    inside its right edge the last, line by line."""
    marks = sorted(marks, key=lambda m: (m["top"], m["left"]))
    assert marks, "no marks"
    for i, m in enumerate(marks):
        y = (m["top"] + m["bottom"]) / 2
        first = page.evaluate(CARET_AT_JS, [m["left"] + 1, y])
        last = page.evaluate(CARET_AT_JS, [m["right"] - 1, y])
        assert first is not None and last is not None, m
        assert (first == start) if i == 0 else (start < first < end), (i, first, start, end)
        assert (last == end) if i == len(marks) - 1 else (start < last < end), (i, last, start, end)
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
    if rects is None:  # textarea: no ranges inside it, so ask the browser which characters the marks sit on
        (finding,) = [f for f in expected if f["match"] == "activist lawyers" and f["rule_id"] == "attack.group-epithet"]
        textarea_covers(page, lawyers, finding["start"], finding["end"])
    else:
        covers(lawyers, rects)
    # The editor is untouched: its own model still has exactly what was typed.
    assert page.evaluate("window.__editorText()") == text
