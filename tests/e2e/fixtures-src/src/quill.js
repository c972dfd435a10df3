// LinkedIn's share box is a Quill editor: .ql-container > .ql-editor.
import Quill from "quill";
import { hooks } from "./common.js";

const quill = new Quill(document.getElementById("editor"), { placeholder: "What do you want to talk about?" });
// LinkedIn labels the editable root itself.
Object.entries({ role: "textbox", "aria-multiline": "true", "aria-label": "Text editor for creating content" })
  .forEach(([k, v]) => quill.root.setAttribute(k, v));

window.__quill = quill;
hooks({
  library: "quill",
  // Quill's document always ends with a newline of its own.
  getText: () => quill.getText().replace(/\n$/, ""),
  setText: (text) => quill.setText(text, "api"),
  clear: () => quill.setText("", "api"),
  subscribe: (fn) => quill.on("text-change", fn),
});
