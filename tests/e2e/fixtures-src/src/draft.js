// X (x.com) composes with Draft.js inside data-testid="tweetTextarea_0".
import React from "react";
import ReactDOM from "react-dom";
import { Editor, EditorState } from "draft-js";
import { hooks } from "./common.js";

const h = React.createElement;
let latest = EditorState.createEmpty();
let setState = null;

function Composer() {
  const [state, set] = React.useState(latest);
  setState = (s) => { latest = s; set(s); };
  return h("div", { "data-testid": "tweetTextarea_0RichTextInputContainer", className: "composer" },
    h("div", { "data-testid": "tweetTextarea_0" },
      h(Editor, { editorState: state, onChange: setState, placeholder: "What is happening?!", ariaLabel: "Post text" })));
}

ReactDOM.render(h(Composer), document.getElementById("editor"), () => {
  hooks(() => latest.getCurrentContent().getPlainText("\n"),
        () => setState(EditorState.createEmpty()));
});
