"""The pre-send dialog, reached as a person reaches it.

The extension draws the dialog in a *closed* shadow root (page scripts must not
fill in the reason or press "Post anyway"), so neither page script nor
Playwright's selectors can see into it. Tests read it through the DevTools
protocol (DOM.getDocument with pierce, which includes closed roots) and act on
it only with real input: mouse clicks at a button's centre and typed keys.
"""

from __future__ import annotations

import time

HOST = "IMPARTIAL-GATE"


def _find_host(node):
    if node.get("nodeName") == HOST:
        return node
    for key in ("children", "shadowRoots", "contentDocument"):
        kids = node.get(key)
        if isinstance(kids, dict):
            kids = [kids]
        for child in kids or []:
            found = _find_host(child)
            if found:
                return found
    return None


class Gate:
    def __init__(self, page):
        self.page = page
        self.cdp = page.context.new_cdp_session(page)

    def _root(self):
        """A remote handle (objectId) on the closed shadow root, or None."""
        doc = self.cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})
        host = _find_host(doc["root"])
        if not host or not host.get("shadowRoots"):
            return None
        root = host["shadowRoots"][0]
        assert root.get("shadowRootType") == "closed", root.get("shadowRootType")
        return self.cdp.send("DOM.resolveNode", {"backendNodeId": root["backendNodeId"]})["object"]["objectId"]

    def eval(self, fn: str, arg=None):
        """fn(shadowRoot, arg) evaluated on the closed root; None when there is no dialog."""
        root = self._root()
        if root is None:
            return None
        res = self.cdp.send("Runtime.callFunctionOn", {
            "objectId": root, "functionDeclaration": fn, "arguments": [{"objectId": root}, {"value": arg}],
            "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in res:
            raise AssertionError(res["exceptionDetails"])
        return res["result"].get("value")

    def is_open(self) -> bool:
        return bool(self.eval("(r) => !!r.querySelector('dialog')?.open"))

    def wait(self, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        while not self.is_open():
            assert time.monotonic() < deadline, "the pre-send dialog did not open"
            time.sleep(0.05)
        return self

    def wait_closed(self, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        while self.is_open():
            assert time.monotonic() < deadline, "the pre-send dialog did not close"
            time.sleep(0.05)

    def text(self) -> str:
        return self.eval("(r) => r.querySelector('dialog').innerText")

    def attr(self, name: str):
        return self.eval("(r, n) => r.querySelector('dialog').getAttribute(n)", name)

    def kind(self) -> str:
        return self.eval("(r) => r.querySelector('dialog').dataset.kind")

    def count(self, selector: str) -> int:
        return self.eval("(r, s) => r.querySelectorAll(s).length", selector)

    def active_action(self):
        return self.eval("(r) => r.activeElement?.dataset.action ?? null")

    def centre(self, selector: str):
        box = self.eval("""(r, s) => { const e = r.querySelector(s); if (!e) return null;
            const b = e.getBoundingClientRect(); return {x: b.left + b.width / 2, y: b.top + b.height / 2}; }""", selector)
        assert box, f"{selector} is not in the dialog"
        return box["x"], box["y"]

    def click(self, action: str):
        """A real mouse click at the centre of the button with that data-action."""
        self.page.mouse.click(*self.centre(f"[data-action={action}]"))

    def fill_reason(self, text: str):
        self.page.mouse.click(*self.centre("textarea"))
        self.page.keyboard.insert_text(text)

    def reason(self) -> str:
        return self.eval("(r) => r.querySelector('textarea')?.value ?? null")
