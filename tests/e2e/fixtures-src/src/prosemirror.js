// Bluesky composes with TipTap, which is ProseMirror underneath.
import { EditorState } from "prosemirror-state";
import { EditorView } from "prosemirror-view";
import { schema } from "prosemirror-schema-basic";
import { history, undo, redo } from "prosemirror-history";
import { keymap } from "prosemirror-keymap";
import { baseKeymap } from "prosemirror-commands";
import { hooks } from "./common.js";

function fresh() {
  return EditorState.create({ schema, plugins: [history(), keymap({ "Mod-z": undo, "Mod-y": redo, "Shift-Mod-z": redo }), keymap(baseKeymap)] });
}
const view = new EditorView(document.getElementById("editor"), {
  state: fresh(),
  attributes: { "aria-label": "Rich-Text Editor", role: "textbox", "data-testid": "richTextEditor" },
});
window.__pm = view;
hooks(() => view.state.doc.textBetween(0, view.state.doc.content.size, "\n"), () => view.updateState(fresh()));
