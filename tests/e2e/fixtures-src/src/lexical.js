// Facebook, Instagram and Threads compose with Lexical.
import { createEditor, $getRoot, $createParagraphNode } from "lexical";
import { registerPlainText } from "@lexical/plain-text";
import { registerHistory, createEmptyHistoryState } from "@lexical/history";
import { hooks } from "./common.js";

const root = document.getElementById("editor");
const editor = createEditor({ namespace: "fixture", onError: (e) => { throw e; } });
editor.setRootElement(root);
registerPlainText(editor);
registerHistory(editor, createEmptyHistoryState(), 300);
editor.update(() => {
  const r = $getRoot();
  if (r.getChildrenSize() === 0) r.append($createParagraphNode());
});
window.__lexical = editor;
hooks(() => editor.getEditorState().read(() => $getRoot().getTextContent()),
      () => editor.update(() => { const r = $getRoot(); r.clear(); r.append($createParagraphNode()); }));
