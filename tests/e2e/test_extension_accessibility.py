"""WCAG 2.2 AA checks of what the extension draws, with axe-core (which reads
open shadow roots): the badge, the finding card, the list and the pre-send dialog.

The pre-send dialog lives in a closed shadow root that axe cannot enter, so the
test copies its exact markup and stylesheet into an open root and opens the copy
modally, as the extension opens the original."""

from harness import open_composer
from test_extension_behaviour import OVERLAY, held_post, type_post
from test_extension_underlines import wait_for_marks

AXE_RUN = """async () => {
  const host = document.querySelector('impartial-overlay');
  const result = await axe.run(host, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.html).slice(0, 3)}));
}"""


def audit(page):
    page.add_script_tag(url="/dist/axe.min.js")
    return page.evaluate(AXE_RUN)


def test_badge_card_and_list_meet_wcag_aa(browser, fixture_server):
    ctx, _ = browser
    page = open_composer(ctx, fixture_server, "www.linkedin.com")
    type_post(page, "www.linkedin.com", "Rules open to abuse by activist lawyers. URGENT: APPLY NOW TODAY!!!")
    wait_for_marks(page, "m => m.some(x => x.rule === 'attack.group-epithet')")
    assert audit(page) == []
    page.keyboard.press("Alt+Shift+I")
    page.locator(f"{OVERLAY} .list").wait_for()
    assert audit(page) == []
    page.keyboard.press("Enter")
    page.locator(f"{OVERLAY} .card").wait_for()
    assert audit(page) == []


def test_pre_send_dialog_meets_wcag_aa(browser, fixture_server):
    ctx, _ = browser
    page, dialog = held_post(ctx, fixture_server, "x.com", "Vote Labour on Thursday", "[data-testid=tweetButtonInline]")
    assert dialog.attr("aria-labelledby") and dialog.attr("aria-describedby")
    markup = dialog.eval("(r) => r.innerHTML")
    page.keyboard.press("Escape")
    dialog.wait_closed()
    page.evaluate("""(markup) => {
      const host = document.createElement('impartial-overlay');  // where AXE_RUN looks
      document.querySelector('impartial-overlay').remove();
      document.documentElement.append(host);
      host.attachShadow({mode: 'open'}).innerHTML = markup;
      const copy = host.shadowRoot.querySelector('dialog');
      copy.removeAttribute('open');  // innerHTML carries the open state; open it as the extension does
      copy.showModal();
    }""", markup)
    assert audit(page) == []
