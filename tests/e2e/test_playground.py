"""The playground page (GET /playground) in headless Chromium without the
extension, against the real service under gunicorn: the extension's own
underlines, cards and badge on a page the service serves, the verdict, reading
age and length, platform and election settings, candidate rulebooks (broken and
valid), WCAG 2.2 AA with axe-core, and a keyboard-only path."""

import json
import urllib.request

import pytest

from harness import DIST, ROOT
from server.candidates import MAX_BYTES

OVERLAY = "impartial-overlay"
MARKS_JS = """() => {
  const host = document.querySelector('impartial-overlay');
  if (!host) return [];
  return Array.from(host.shadowRoot.querySelectorAll('button.mark')).map(m => {
    const r = m.getBoundingClientRect();
    return {rule: m.dataset.rule, severity: m.dataset.severity, field: m.dataset.field,
            x: r.left + r.width / 2, y: r.top + r.height / 2, width: r.width};
  });
}"""
# Every violation of the page's Content-Security-Policy, recorded from before the first script runs.
CSP_WATCH = """window.__csp = [];
addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"""
AXE_RUN = """async () => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}});
  return result.violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.html).slice(0, 3)}));
}"""
LIVE_FIELD, CANDIDATE_FIELD = "f1", "f2"  # content.js numbers the two boxes in document order


@pytest.fixture
def open_playground(browser_factory, impartial_server):
    ctx, _ = browser_factory(extension=None)

    def open_(width=1280, height=1000):
        page = ctx.new_page()
        page.set_viewport_size({"width": width, "height": height})
        page.add_init_script(CSP_WATCH)
        page.goto(impartial_server.url + "/playground")
        page.wait_for_function("() => document.querySelector('#live-book').textContent.includes('rules')")
        return page

    return open_


def marks(page, predicate="m => m.length > 0", timeout=15000):
    page.wait_for_function(f"() => ({predicate})(({MARKS_JS})())", timeout=timeout)
    return page.evaluate(MARKS_JS)


def summary(page, pane="live"):
    return page.evaluate("""(pane) => {
      const box = document.querySelector(`#${pane}-summary`);
      const text = (sel) => { const el = box.querySelector(sel); return el ? el.textContent.trim() : null; };
      return {state: box.dataset.state, verdict: box.querySelector('.verdict').dataset.verdict,
              words: text('.verdict-value'), counts: text('.counts'), age: text('.reading-age'), length: text('.length')};
    }""", pane)


def wait_verdict(page, verdict, pane="live"):
    page.wait_for_function(
        "([pane, v]) => { const b = document.querySelector(`#${pane}-summary`);"
        " return b.dataset.state === 'ready' && b.querySelector('.verdict').dataset.verdict === v; }",
        arg=[pane, verdict], timeout=15000)
    return summary(page, pane)


def card(page):
    return page.locator(f"{OVERLAY} .card")


def axe(page):
    # Evaluated through the debugging protocol, which the page's policy does not govern (it forbids inline script).
    page.evaluate((DIST / "axe.min.js").read_text(encoding="utf-8") + "\n;0")
    return page.evaluate(AXE_RUN)


def candidate_book(extra_rule=None, disable=()):
    book = json.loads((ROOT / "rules.json").read_text(encoding="utf-8"))
    book["version"] = "2026.12.01-candidate"
    for rule in book["rules"]:
        if rule["id"] in disable:
            rule["enabled"] = False
    if extra_rule:
        book["rules"].append(extra_rule)
    return json.dumps(book)


WINDMILLS = {"id": "loaded_language.windmills", "category": "loaded_language", "severity": "warn",
             "message": "Say wind turbines.", "guidance": {"source": "House style", "clause": "Name things plainly."},
             "match": {"phrases": ["windmills"]},
             "examples": {"flag": ["stop the [[windmills]]"], "pass": ["wind turbines"]}}


def load_candidate(page, text):
    page.fill("#candidate-text", text)
    page.click("#candidate-load")


def test_typing_shows_the_extensions_underline_card_and_badge_with_verdict_reading_age_and_length(open_playground):
    page = open_playground()
    page.click("#post")
    page.keyboard.type("Vote Labour on Thursday")
    found = marks(page, "m => m.some(x => x.rule === 'party_political.electoral-call')")
    assert {m["field"] for m in found} == {LIVE_FIELD}
    got = wait_verdict(page, "block")
    assert got["words"].endswith("Must fix") and "must fix" in got["counts"]
    assert got["age"].isdigit() and got["length"] == "23 characters"
    badge = page.locator(f"{OVERLAY} .badge[data-field={LIVE_FIELD}]")
    assert "must fix" in badge.inner_text()
    # A click on the underline opens the extension's own card about it.
    mark = next(m for m in found if m["rule"] == "party_political.electoral-call")
    page.mouse.click(mark["x"], mark["y"])
    card(page).wait_for()
    assert card(page).get_attribute("data-rule") == "party_political.electoral-call"
    assert "Must fix" in card(page).inner_text() and "Vote Labour" in card(page).inner_text()
    page.wait_for_function("() => document.querySelector('#announcer').textContent.startsWith('Verdict: Must fix')")
    assert page.evaluate("window.__csp") == []


def test_platform_and_election_period_change_the_check(open_playground):
    page = open_playground()
    page.click("#post")
    page.keyboard.type("Great to see Keir Starmer in town today")
    # Outside an election period no rule flags the named politician: the verdict is the learned
    # layer's advice or a pass, whichever the shipped model gives; never a block.
    page.wait_for_function(
        "() => { const b = document.querySelector('#live-summary');"
        " return b.dataset.state === 'ready' && b.querySelector('.length').textContent.trim() === '39 characters'"
        " && ['pass', 'warn'].includes(b.querySelector('.verdict').dataset.verdict); }", timeout=15000)
    assert not any(m["rule"].startswith("pre_election.") for m in page.evaluate(MARKS_JS))
    page.check("#election")
    found = marks(page, "m => m.some(x => x.rule === 'pre_election.politician-content')")
    assert wait_verdict(page, "block")["counts"].startswith("1 must fix")
    assert found
    page.uncheck("#election")
    marks(page, "m => !m.some(x => x.rule === 'pre_election.politician-content')")
    page.fill("#post", "The library opens at nine on Monday. " * 8)  # 296 characters
    page.select_option("#platform", "x")
    page.wait_for_function("() => document.querySelector('#live-summary .length').textContent.includes('of 280')")
    got = wait_verdict(page, "block")
    assert got["length"] == "296 of 280 (16 over)"
    assert page.evaluate("document.querySelector('#live-summary .length').classList.contains('over')")
    assert any(m["rule"] == "platform_limit.over-limit" for m in marks(page))
    page.select_option("#platform", "facebook")
    page.wait_for_function("() => document.querySelector('#live-summary .length').textContent === '296 of 63,206'")
    assert wait_verdict(page, "pass")


def test_a_broken_candidate_gets_its_problems_by_rule_and_field(open_playground):
    page = open_playground()
    bad = {"version": "x", "rules": [dict(WINDMILLS, severity="fatal"),
                                     dict(WINDMILLS, id="loaded_language.mills", match={"phrases": ["{@nolist}"]})]}
    load_candidate(page, json.dumps(bad))
    errors = page.locator("#candidate-errors")
    errors.wait_for()
    assert page.evaluate("document.activeElement.id") == "candidate-errors"  # the summary takes focus
    items = errors.locator("li").all_inner_texts()
    assert any(i.startswith("Rule loaded_language.windmills (rules[0]), field severity: 'fatal' is not one of") for i in items)
    assert "Rule loaded_language.mills (rules[1]), field match.phrases[0]: unknown list '{@nolist}'" in items
    assert page.locator("#candidate-view").is_hidden()
    load_candidate(page, '{"version": "x",\n "rules": [}')
    page.wait_for_function("() => document.querySelector('#candidate-errors li')?.textContent.includes('line 2 column')")
    assert page.evaluate("window.__csp") == []


def test_a_valid_candidate_shows_its_findings_beside_the_live_ones_and_the_difference(open_playground):
    page = open_playground(height=1400)
    page.click("#post")
    page.keyboard.type("Vote Labour on Thursday to stop the windmills.")
    wait_verdict(page, "block")
    load_candidate(page, candidate_book(WINDMILLS, disable=("party_political.electoral-call",)))
    page.locator("#candidate-view").wait_for(timeout=60000)
    n = len(json.loads((ROOT / "rules.json").read_text(encoding="utf-8"))["rules"]) + 1
    status = page.inner_text("#candidate-status")
    assert f"Candidate 2026.12.01-candidate loaded: {n} rules" in status and "Lint: 0 error;" in status
    assert page.locator(".lint-problems li[data-kind=no-description]").count() >= 1  # the new rule has none
    # Loading a candidate checks both boxes again (content.js forgets its answers when settings change).
    found = marks(page, f"m => m.some(x => x.field === '{CANDIDATE_FIELD}' && x.rule === 'loaded_language.windmills')"
                        f" && m.some(x => x.field === '{LIVE_FIELD}')")
    live_rules = {m["rule"] for m in found if m["field"] == LIVE_FIELD}
    assert "loaded_language.windmills" not in live_rules and "party_political.electoral-call" in live_rules
    assert "party_political.electoral-call" not in {m["rule"] for m in found if m["field"] == CANDIDATE_FIELD}
    page.wait_for_function("() => document.querySelector('#differences [data-group=added]')")
    added = page.locator("#differences [data-group=added] li")
    removed = page.locator("#differences [data-group=removed] li")
    rules = lambda items: [items.nth(i).get_attribute("data-rule") for i in range(items.count())]  # noqa: E731
    assert "loaded_language.windmills" in rules(added)
    assert "party_political.electoral-call" in rules(removed)
    assert page.inner_text("#differences .diff-verdict").startswith("Verdict changes from Must fix (live) to")
    page.wait_for_function("() => document.querySelector('#announcer').textContent.includes('With the candidate:')")
    # Editing the post checks both again; removing the candidate leaves the live rulebook alone.
    page.click("#post")
    page.keyboard.press("End")
    page.keyboard.type(" Windmills!")
    marks(page, f"m => m.filter(x => x.field === '{CANDIDATE_FIELD}' && x.rule === 'loaded_language.windmills').length >= 2")
    page.click("#candidate-remove")
    marks(page, f"m => !m.some(x => x.field === '{CANDIDATE_FIELD}') && m.some(x => x.field === '{LIVE_FIELD}')")
    assert page.locator("#candidate-view").is_hidden()
    assert page.evaluate("window.__csp") == []


def test_a_candidate_the_worker_no_longer_holds_is_sent_again(open_playground, impartial_server):
    page = open_playground(height=1400)
    small = {"version": "t1", "rules": [WINDMILLS]}
    load_candidate(page, json.dumps(small))
    page.locator("#candidate-view").wait_for(timeout=60000)
    # Four other candidates push it out of the worker's cache (it holds four).
    for i in range(4):
        other = json.dumps({"version": f"other{i}", "rules": [dict(WINDMILLS, id=f"loaded_language.other{i}")]})
        req = urllib.request.Request(impartial_server.url + "/playground/rulebooks", data=other.encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            assert r.status == 200
    page.click("#post")
    page.keyboard.type("Stop the windmills")
    marks(page, f"m => m.some(x => x.field === '{CANDIDATE_FIELD}' && x.rule === 'loaded_language.windmills')")
    assert wait_verdict(page, "warn", pane="candidate")["counts"] == "1 to check"


def test_the_page_meets_wcag_22_aa_in_every_state(open_playground):
    page = open_playground(height=1400)
    assert axe(page) == []
    page.click("#post")
    page.keyboard.type("Moribound Miliband talks of a national mission. Stop the windmills.")
    wait_verdict(page, "block")
    mark = next(m for m in marks(page) if m["rule"] == "attack.mocking-nickname")
    page.mouse.click(mark["x"], mark["y"])
    card(page).wait_for()
    assert axe(page) == []
    page.keyboard.press("Escape")
    load_candidate(page, '{"version": "x", "rules": [{"id": "bad"}]}')
    page.locator("#candidate-errors").wait_for()
    assert axe(page) == []
    load_candidate(page, candidate_book(WINDMILLS))
    page.locator("#candidate-view").wait_for(timeout=60000)
    page.wait_for_function("() => document.querySelector('#differences [data-group=added]')")
    page.click(".lint-problems summary")
    assert axe(page) == []


def test_keyboard_only(open_playground):
    page = open_playground(height=1400)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")  # the skip link lands in the post box
    page.wait_for_function("() => document.activeElement.id === 'post'")
    page.keyboard.type("We welcome the new bridge. Vote Labour on Thursday")
    marks(page, "m => m.some(x => x.rule === 'party_political.electoral-call')")
    for _ in range(3):
        page.keyboard.press("Control+ArrowLeft")  # back over "Thursday", "on": the caret before "Labour"
    page.keyboard.press("Alt+Shift+I")
    card(page).wait_for()
    assert card(page).get_attribute("data-rule") == "party_political.electoral-call"
    focused = page.evaluate(f"document.querySelector('{OVERLAY}').shadowRoot.activeElement?.dataset.action")
    assert focused  # a card button has the focus
    page.keyboard.press("Escape")
    page.wait_for_function("() => document.activeElement.id === 'post'")
    assert card(page).count() == 0
    # Settings by keyboard: back to the election switch and the platform picker (X is the next choice).
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") == "election"
    page.keyboard.press("Space")
    assert page.is_checked("#election")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") == "platform"
    page.keyboard.press("ArrowDown")
    page.wait_for_function("() => document.querySelector('#live-summary .length').textContent.endsWith('of 280')")
    page.keyboard.press("Tab")
    # Onward to the candidate form: a broken rulebook's problems take the focus.
    for expected in ("post", "kind-rulebook", "candidate-file", "candidate-text"):
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == expected
    page.keyboard.type('{"version": "x"}')
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "candidate-load"
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.id === 'candidate-errors'")
    assert "'rules' is a required property" in page.inner_text("#candidate-errors")


def test_upload_a_candidate_and_report_false_flags_honestly(open_playground, tmp_path):
    page = open_playground(height=1400)
    big = tmp_path / "huge.json"
    big.write_bytes(b" " * (MAX_BYTES + 1) + b"{}")  # the playground's limit, three bytes over
    page.set_input_files("#candidate-file", str(big))
    page.wait_for_function("() => document.activeElement.id === 'candidate-errors'")
    said = f"The file is {MAX_BYTES + 3:,} bytes; the limit is {MAX_BYTES:,}."
    assert said in page.inner_text("#candidate-errors")
    good = tmp_path / "candidate.json"
    good.write_text(json.dumps({"version": "t-upload", "rules": [WINDMILLS]}), encoding="utf-8")
    page.set_input_files("#candidate-file", str(good))
    page.locator("#candidate-view").wait_for(timeout=60000)
    assert page.input_value("#candidate-text").startswith('{"version": "t-upload"')  # shown, to edit and reload
    page.click("#post")
    page.keyboard.type("Vote Labour to stop the windmills")
    found = marks(page, f"m => m.some(x => x.field === '{CANDIDATE_FIELD}' && x.rule === 'loaded_language.windmills')"
                        f" && m.some(x => x.field === '{LIVE_FIELD}' && x.rule === 'party_political.electoral-call')")
    # A rule only the candidate has cannot be reported to the service: the page says so, and promises nothing.
    mill = next(m for m in found if m["field"] == CANDIDATE_FIELD)
    page.mouse.click(mill["x"], mill["y"])
    card(page).wait_for()
    card(page).locator("[data-action=report]").click()
    page.wait_for_function("() => document.querySelector('#announcer').textContent.startsWith('Report not sent')")
    assert "no rule loaded_language.windmills" in page.inner_text("#announcer")
    vote = next(m for m in found if m["field"] == LIVE_FIELD and m["rule"] == "party_political.electoral-call")
    page.mouse.click(vote["x"], vote["y"])
    card(page).wait_for()
    card(page).locator("[data-action=report]").click()
    page.wait_for_function("() => document.querySelector('#announcer').textContent === 'Reported as a false flag. Thank you.'")


def test_with_keys_configured_the_page_asks_for_one_and_keeps_it_in_the_tab(browser_factory, impartial_server_factory):
    service = impartial_server_factory(env={"IMPARTIAL_API_KEYS": "k-playground"})
    ctx, _ = browser_factory(extension=None)
    page = ctx.new_page()
    page.add_init_script(CSP_WATCH)
    page.goto(service.url + "/playground")
    assert page.locator("#key-section").is_visible()
    page.wait_for_function("() => document.querySelector('#live-book').textContent.includes('needs the service key')")
    page.click("#post")
    page.keyboard.type("Vote Labour on Thursday")
    page.wait_for_function("() => document.querySelector('#live-summary').dataset.state === 'problem'")
    assert "refused the key" in page.inner_text("#live-summary .service-problem")
    assert marks(page, "m => true", timeout=1000) == []
    page.fill("#api-key", "wrong")
    page.click("#key-form button")
    page.wait_for_function("() => document.querySelector('#key-status').textContent.includes('refused this key')")
    page.fill("#api-key", "k-playground")
    page.click("#key-form button")
    page.wait_for_function("() => document.querySelector('#key-status').textContent.startsWith('Key accepted')")
    marks(page, "m => m.some(x => x.rule === 'party_political.electoral-call')")
    assert wait_verdict(page, "block")["words"].endswith("Must fix")
    # Candidates need the key too, and get it.
    load_candidate(page, json.dumps({"version": "t-key", "rules": [WINDMILLS]}))
    page.locator("#candidate-view").wait_for(timeout=60000)
    # Nothing of it outlives the tab: no storage, no cookie.
    assert page.evaluate("() => [localStorage.length, sessionStorage.length, document.cookie]") == [0, 0, ""]
    assert page.evaluate("window.__csp") == []


def test_a_layer_is_laid_on_the_live_rulebook(open_playground):
    page = open_playground(height=1500)
    layer = {"version": "2026.12.01", "extend_lists": {"slogans": ["Testshire First"]},
             "disable": [{"id": "party_political.electoral-call", "reason": "testing the layer"}]}
    page.check("#kind-layer")
    load_candidate(page, json.dumps(layer))
    page.locator("#candidate-view").wait_for(timeout=60000)
    assert "Live rulebook with the layer" in page.inner_text("#candidate-status")
    assert "+2026.12.01 loaded" in page.inner_text("#candidate-status")
    page.click("#post")
    page.keyboard.type("Testshire First! Vote Labour on Thursday.")
    found = marks(page, f"m => m.some(x => x.field === '{CANDIDATE_FIELD}' && x.rule === 'party_political.slogan')"
                        f" && m.some(x => x.field === '{LIVE_FIELD}' && x.rule === 'party_political.electoral-call')")
    assert "party_political.electoral-call" not in {m["rule"] for m in found if m["field"] == CANDIDATE_FIELD}
    page.wait_for_function("() => document.querySelector('#differences [data-group=removed]')")
    broken = {"version": "x", "disable": [{"id": "tone.shoutin", "reason": "r"}]}
    load_candidate(page, json.dumps(broken))
    page.locator("#candidate-errors").wait_for()
    assert "disable[0], field id: no rule 'tone.shoutin' in the layers before (did you mean 'tone.shouting'?)" in \
        page.locator("#candidate-errors li").all_inner_texts()
