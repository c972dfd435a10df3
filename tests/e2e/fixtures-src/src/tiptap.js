// Bluesky (bsky.app) composes with TipTap 2 on ProseMirror, with the same
// extensions as its web composer: Document, Paragraph, Text, History,
// HardBreak and Placeholder (Mention and its link/tag decorators left out).
import { Editor } from "@tiptap/core";
import Document from "@tiptap/extension-document";
import HardBreak from "@tiptap/extension-hard-break";
import History from "@tiptap/extension-history";
import Paragraph from "@tiptap/extension-paragraph";
import Placeholder from "@tiptap/extension-placeholder";
import Text from "@tiptap/extension-text";
import { graphemes, hooks, isSendShortcut } from "./common.js";

const listeners = [];
// A hard break (Shift+Enter) is a leaf node with no text in ProseMirror's eyes;
// Bluesky posts it as "\n", so the model's text counts it as one.
const leafText = (node) => (node.type.name === "hardBreak" ? "\n" : "");
const textOf = (doc, to = doc.content.size) => doc.textBetween(0, to, "\n", leafText);

function toDoc(text) {
  return { type: "doc", content: text.split("\n").map((line) => ({
    type: "paragraph", content: line ? [{ type: "text", text: line }] : [] })) };
}

const editor = new Editor({
  element: document.getElementById("editor"),
  extensions: [Document, Paragraph, Text, History, HardBreak, Placeholder.configure({ placeholder: "What's up?" })],
  editorProps: {
    attributes: { class: "ProseMirror-light", role: "textbox", "aria-label": "Rich-Text Editor", "aria-multiline": "true" },
    handleKeyDown: (view, event) => {
      // Bluesky publishes on Ctrl/Cmd+Enter from inside the editor.
      if (isSendShortcut(event)) {
        window.__post();
        return true;
      }
      // ...and deletes a whole grapheme on Backspace, so an emoji goes at once.
      if (event.key === "Backspace" && !(event.metaKey || event.altKey || event.ctrlKey) && view.state.selection.empty) {
        const pos = view.state.selection.$anchor.pos;
        const before = textOf(view.state.doc, pos);
        const last = graphemes(before).pop();
        if (last && last.segment !== "\n") {
          editor.commands.deleteRange({ from: pos - last.segment.length, to: pos });
          return true;
        }
      }
      return false;
    },
  },
  onUpdate: () => listeners.forEach((fn) => fn()),
});

window.__tiptap = editor;
window.__pm = editor.view;
hooks({
  library: "tiptap",
  getText: () => textOf(editor.state.doc),
  setText: (text) => editor.commands.setContent(toDoc(text), true),
  clear: () => editor.commands.clearContent(true),
  subscribe: (fn) => listeners.push(fn),
  count: (text) => graphemes(text).length,
});
