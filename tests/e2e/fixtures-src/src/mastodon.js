// Mastodon's composer is a React-controlled <textarea>: the text lives in
// React (Redux, on the real site) state and the textarea only mirrors it.
// Writing textarea.value without an input event leaves that state behind,
// which is exactly the bug this fixture lets a test catch.
import React from "react";
import ReactDOM from "react-dom";
import { hooks, isSendShortcut } from "./common.js";

const h = React.createElement;
const listeners = [];
let value = "";
let setValue = null;

function change(next) {
  value = next;
  setValue(next);
  listeners.forEach((fn) => fn());
}

function ComposeForm() {
  const [text, set] = React.useState(value);
  setValue = set;
  const submit = (e) => { e.preventDefault(); window.__post(); };
  return h("form", { className: "compose-form", onSubmit: submit },
    h("div", { className: "compose-form__highlightable" },
      h("div", { className: "autosuggest-textarea" },
        h("label", null,
          h("span", { className: "visually-hidden" }, "What's on your mind?"),
          h("textarea", {
            className: "autosuggest-textarea__textarea",
            placeholder: "What's on your mind?",
            value: text,
            onChange: (e) => change(e.target.value),
            // Mastodon submits the form on Ctrl/Cmd+Enter.
            onKeyDown: (e) => { if (isSendShortcut(e)) { e.preventDefault(); e.currentTarget.form.requestSubmit(); } },
          }))),
      h("div", { className: "compose-form__footer" },
        h("span", { className: "character-counter", "data-fixture-counter": "" }, "0"),
        h("div", { className: "compose-form__submit" },
          h("button", { type: "submit", className: "button post" }, "Post")))));
}

ReactDOM.render(h(ComposeForm), document.getElementById("editor"), () => {
  hooks({
    library: "textarea (React-controlled)",
    getText: () => value,
    setText: (text) => change(text),
    clear: () => change(""),
    subscribe: (fn) => listeners.push(fn),
    // Mastodon counts code points (and URLs as 23, left out here) against 500.
    count: (text) => Array.from(text).length,
  });
});
