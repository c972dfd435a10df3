// LinkedIn's share box is a Quill editor (.ql-editor).
import Quill from "quill";
import { hooks } from "./common.js";

const quill = new Quill(document.getElementById("editor"), { placeholder: "What do you want to talk about?" });
window.__quill = quill;
hooks(() => quill.getText().replace(/\n$/, ""), () => quill.setText(""));
