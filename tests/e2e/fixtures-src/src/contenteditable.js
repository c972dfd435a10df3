// A scheduling tool's composer: a bare contenteditable div with no editor
// library, so the DOM is the model.
import { hooks, isSendShortcut } from "./common.js";

const editable = document.getElementById("editor");
const listeners = [];
editable.addEventListener("input", () => listeners.forEach((fn) => fn()));
editable.addEventListener("keydown", (e) => { if (isSendShortcut(e)) { e.preventDefault(); window.__post(); } });

hooks({
  library: "contenteditable",
  // innerText is what such tools read; Chromium leaves a trailing "\n" after a final <br>.
  getText: () => editable.innerText.replace(/\n$/, ""),
  setText: (text) => { editable.innerText = text; listeners.forEach((fn) => fn()); },
  clear: () => { editable.replaceChildren(); listeners.forEach((fn) => fn()); },
  subscribe: (fn) => listeners.push(fn),
});
