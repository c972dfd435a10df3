"""Run code in the extension's content-script world of a page (its isolated
world), as a compromised or curious content script could, through the DevTools
protocol: what a content script can and cannot reach."""

from __future__ import annotations

import time


class ContentWorld:
    def __init__(self, page, name: str = "Impartial"):
        self.cdp = page.context.new_cdp_session(page)
        self.contexts = []
        self.cdp.on("Runtime.executionContextCreated", lambda e: self.contexts.append(e["context"]))
        self.cdp.send("Runtime.enable")
        deadline = time.monotonic() + 10
        while True:
            found = [c for c in self.contexts if c.get("name") == name and c.get("auxData", {}).get("type") == "isolated"
                     and c.get("auxData", {}).get("isDefault") is False]
            if found:
                self.id = found[-1]["id"]
                break
            assert time.monotonic() < deadline, f"no content-script world named {name}: {self.contexts}"
            time.sleep(0.1)

    def eval(self, expression: str):
        res = self.cdp.send("Runtime.evaluate", {"expression": expression, "contextId": self.id,
                                                 "awaitPromise": True, "returnByValue": True})
        if "exceptionDetails" in res:
            return {"exception": res["exceptionDetails"].get("exception", {}).get("description", str(res["exceptionDetails"]))}
        return res["result"].get("value")
