// Mastodon uses a plain textarea; scheduling tools often a plain contenteditable.
import { hooks } from "./common.js";

const textarea = document.querySelector("textarea");
const editable = document.querySelector("[contenteditable]");
if (textarea) {
  hooks(() => textarea.value, () => { textarea.value = ""; });
} else {
  hooks(() => editable.innerText.replace(/\n$/, ""), () => { editable.innerHTML = ""; });
}
