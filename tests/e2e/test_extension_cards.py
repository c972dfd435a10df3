"""Cards that speak to officers: the category in words, the guidance clause
and, where the rule has one, a link to the guidance; placed beside the words
without hiding them, the line after them or any control of the page."""

import json

import pytest

from harness import EDITORS, ROOT, configure, open_composer
from test_extension_behaviour import OVERLAY, type_post
from test_extension_gate import COVERED_CONTROLS_JS
from test_extension_underlines import MARKS_JS, wait_for_marks

TEXT = "Rules open to abuse by activist lawyers, and the line after this one goes on for a while to wrap."
CARD_RECT_JS = f"""() => {{ const c = document.querySelector('{OVERLAY}').shadowRoot.querySelector('.card');
  const r = c.getBoundingClientRect(); return {{left: r.left, top: r.top, right: r.right, bottom: r.bottom}}; }}"""


def intersects(a, b):
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


def open_card_on(page, rule):
    marks = [m for m in page.evaluate(MARKS_JS) if m["rule"] == rule]
    m = marks[0]
    page.mouse.click((m["left"] + m["right"]) / 2, (m["top"] + m["bottom"]) / 2)
    card = page.locator(f"{OVERLAY} .card")
    card.wait_for()
    return card, marks


@pytest.mark.parametrize("host", list(EDITORS))
def test_card_names_the_category_and_sits_beside_the_words(browser, fixture_server, host):
    ctx, _ = browser
    page = open_composer(ctx, fixture_server, host)
    type_post(page, host, TEXT)
    wait_for_marks(page, "m => m.some(x => x.rule === 'attack.group-epithet')")
    card, marks = open_card_on(page, "attack.group-epithet")
    heading = card.locator("h2").inner_text()
    assert "Personal attack" in heading and "attack" not in heading.replace("Personal attack", "")  # words, not the enum
    assert "GCS propriety" in card.locator(".clause").inner_text()
    rect = page.evaluate(CARD_RECT_JS)
    editor = page.locator(EDITORS[host]).bounding_box()
    line = max(m["bottom"] - m["top"] for m in marks)
    for m in marks:
        assert not intersects(rect, m), ("the card hides the flagged words", rect, m)
        next_line = {"left": editor["x"], "right": editor["x"] + editor["width"], "top": m["bottom"], "bottom": m["bottom"] + line}
        assert not intersects(rect, next_line), ("the card hides the next line", rect, next_line)
    assert page.evaluate(COVERED_CONTROLS_JS) == []  # and no control of the page


def test_list_of_findings_keeps_its_items_inside_and_names_categories(browser, fixture_server):
    ctx, _ = browser
    page = open_composer(ctx, fixture_server, "x.com")
    type_post(page, "x.com", "Moribound Miliband talks of a national mission. Vote Labour on Thursday.")
    wait_for_marks(page, "m => m.length >= 2")
    page.keyboard.press("End")
    page.keyboard.press("Alt+Shift+I")
    listing = page.locator(f"{OVERLAY} .list")
    listing.wait_for()
    text = listing.inner_text()
    assert "Personal attack" in text and "Party political" in text
    inside = page.evaluate(f"""() => {{ const l = document.querySelector('{OVERLAY}').shadowRoot.querySelector('.list');
      const box = l.getBoundingClientRect(); const ul = l.querySelector('ul');
      return {{style: getComputedStyle(ul).listStyleType, items: Array.from(ul.children).every(li => {{
        const r = li.getBoundingClientRect(); return r.left >= box.left && r.right <= box.right; }})}}; }}""")
    assert inside == {"style": "none", "items": True}
    assert page.evaluate(COVERED_CONTROLS_JS) == []


def test_learn_more_links_to_the_guidance_when_the_rule_has_a_url(browser, fixture_server, impartial_server_factory, tmp_path):
    book = json.loads((ROOT / "rules.json").read_text())
    (rule,) = [r for r in book["rules"] if r["id"] == "attack.group-epithet"]
    # Guidance is usually an id into the rulebook's shared entries: give this rule its own, with a url.
    shared = book.get("guidance", {}).get(rule["guidance"]) if isinstance(rule["guidance"], str) else rule["guidance"]
    rule["guidance"] = dict(shared, url="https://www.gov.uk/government/publications/propriety-guidance")
    for entry in book.get("guidance", {}).values():
        entry.pop("url", None)  # every other rule: no link
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(book))
    service = impartial_server_factory({"IMPARTIAL_RULES": str(path)})
    ctx, sw = browser
    configure(sw, serverUrl=service.url)
    page = open_composer(ctx, fixture_server, "www.linkedin.com")
    type_post(page, "www.linkedin.com", TEXT)
    wait_for_marks(page, "m => m.some(x => x.rule === 'attack.group-epithet')")
    card, _ = open_card_on(page, "attack.group-epithet")
    link = card.locator(".clause a")
    assert link.inner_text() == "Learn more"
    assert link.get_attribute("href") == rule["guidance"]["url"]
    assert link.get_attribute("rel") == "noopener noreferrer"
    # A rule without a url has no link.
    page.keyboard.press("Escape")
    type_post(page, "www.linkedin.com", " Vote Labour on Thursday")
    wait_for_marks(page, "m => m.some(x => x.severity === 'block')")
    card, _ = open_card_on(page, next(m["rule"] for m in page.evaluate(MARKS_JS) if m["severity"] == "block"))
    assert card.locator(".clause a").count() == 0


def test_card_names_other_breaches_on_the_same_words_and_opens_them(browser, fixture_server):
    """'activist lawyers' is an attack and a loaded label: the engine keeps one finding per
    category there, whose marks lie on each other; the card for either reaches the other."""
    ctx, _ = browser
    page = open_composer(ctx, fixture_server, "x.com")
    type_post(page, "x.com", TEXT)
    wait_for_marks(page, "m => m.some(x => x.rule === 'attack.group-epithet')"
                         " && m.some(x => x.rule === 'loaded_language.pejorative-label')")
    card, _ = open_card_on(page, "attack.group-epithet")
    assert card.get_attribute("data-rule") == "attack.group-epithet"
    also = card.locator('button[data-action="also"]')
    assert also.count() == 1 and also.get_attribute("data-rule") == "loaded_language.pejorative-label"
    assert "Loaded language" in card.locator(".also").inner_text()
    also.focus()
    page.keyboard.press("Enter")
    other = page.locator(f'{OVERLAY} .card[data-rule="loaded_language.pejorative-label"]')
    other.wait_for()
    back = other.locator('button[data-action="also"]')
    assert back.count() == 1 and back.get_attribute("data-rule") == "attack.group-epithet"
    # Opened from the keyboard, focus lands on the card's own first action, not the other breach.
    assert page.evaluate(f"() => document.querySelector('{OVERLAY}').shadowRoot.activeElement.dataset.action") in ("replace", "ignore")


def test_the_keyboard_opens_the_underline_at_the_caret_not_a_card_about_the_post(browser, fixture_server):
    """Alt+Shift+I opens the card of the underline the caret is in. A card about the whole
    post (scope "post": here the reading age, quoting every word) lists in the findings
    but underlines nothing, so it must not take the caret from the underline inside it."""
    text = ("After fourteen years of Tory neglect, Eastfield finally has a council that actually builds"
            " affordable homes for families.")
    ctx, _ = browser
    page = open_composer(ctx, fixture_server, "x.com")
    type_post(page, "x.com", text)
    wait_for_marks(page, "m => m.some(x => x.rule === 'attack.predecessor')")
    page.keyboard.press("Control+Home")
    for _ in range(text.index("Tory") + 2):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Alt+Shift+I")
    card = page.locator(f"{OVERLAY} .card")
    card.wait_for()
    # "years of Tory neglect" carries two underlines (an attack and the loaded verdict on the
    # period); either is the underline at the caret, the reading-age card about the post is not
    assert card.get_attribute("data-rule") in {"attack.predecessor", "loaded_language.period-verdict"}
