// Facebook, Instagram and Threads compose with Lexical (vanilla, as Meta mounts
// it: a contenteditable root that Lexical marks data-lexical-editor="true").
//
// The default is @lexical/plain-text: Enter inserts a line break inside the one
// paragraph. ?lexical=rich loads @lexical/rich-text instead, where Enter starts
// a new <p> and root.getTextContent() joins paragraphs with "\n\n".
import {
  $createLineBreakNode, $createParagraphNode, $createTextNode, $getRoot,
  COMMAND_PRIORITY_HIGH, KEY_ENTER_COMMAND, createEditor,
} from "lexical";
import { registerPlainText } from "@lexical/plain-text";
import { HeadingNode, QuoteNode, registerRichText } from "@lexical/rich-text";
import { createEmptyHistoryState, registerHistory } from "@lexical/history";
import { hooks, isSendShortcut } from "./common.js";

const rich = new URLSearchParams(location.search).get("lexical") === "rich";
const platform = document.body.dataset.fixturePlatform;
const root = document.getElementById("editor");
const placeholder = document.querySelector("[data-fixture-placeholder]");
const editor = createEditor({
  namespace: platform,
  nodes: rich ? [HeadingNode, QuoteNode] : [],
  theme: { paragraph: "fixture-paragraph" },
  onError: (e) => { throw e; },
});
editor.setRootElement(root);
(rich ? registerRichText : registerPlainText)(editor);
registerHistory(editor, createEmptyHistoryState(), 300);

// Threads posts on Ctrl/Cmd+Enter; Facebook and Instagram have no shortcut.
if (platform === "threads") {
  editor.registerCommand(KEY_ENTER_COMMAND, (e) => {
    if (!e || !isSendShortcut(e)) return false;
    e.preventDefault();
    window.__post();
    return true;
  }, COMMAND_PRIORITY_HIGH);
}

function fill(text) {
  const r = $getRoot();
  r.clear();
  const lines = text.split("\n");
  if (rich) {
    for (const line of lines) r.append($createParagraphNode().append(...(line ? [$createTextNode(line)] : [])));
  } else {
    const p = $createParagraphNode();
    lines.forEach((line, i) => {
      if (i) p.append($createLineBreakNode());
      if (line) p.append($createTextNode(line));
    });
    r.append(p);
  }
}

// discrete: commit now, so a test that calls __setText reads the result at once.
editor.update(() => { if ($getRoot().getChildrenSize() === 0) fill(""); }, { discrete: true });
const getText = () => editor.getEditorState().read(() => $getRoot().getTextContent());
// Meta draws the placeholder as a sibling over the empty editor, not inside it.
editor.registerUpdateListener(() => { if (placeholder) placeholder.hidden = getText() !== ""; });

window.__lexical = editor;
hooks({
  library: rich ? "lexical (rich-text)" : "lexical (plain-text)",
  getText,
  setText: (text) => editor.update(() => fill(text), { discrete: true }),
  clear: () => editor.update(() => fill(""), { discrete: true }),
  subscribe: (fn) => editor.registerUpdateListener(fn),
  // Threads counts 500 characters as code points.
  count: (text) => Array.from(text).length,
});
