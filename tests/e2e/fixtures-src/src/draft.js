// X (x.com, twitter.com) composes with Draft.js under React. X passes
// webDriverTestID, so data-testid="tweetTextarea_0" sits on the contenteditable
// itself (.public-DraftEditor-content), inside tweetTextarea_0RichTextInputContainer.
import React from "react";
import ReactDOM from "react-dom";
import { ContentState, Editor, EditorState } from "draft-js";
import twitter from "twitter-text";
import { hooks, isSendShortcut } from "./common.js";

const h = React.createElement;
const listeners = [];
// The latest state Draft handed to onChange: the model X would post.
let latest = EditorState.createEmpty();
let setState = null;

function change(next) {
  latest = next;
  setState(next);
  listeners.forEach((fn) => fn());
}

function Composer() {
  const [state, set] = React.useState(latest);
  setState = set;
  return h("div", { "data-testid": "tweetTextarea_0RichTextInputContainer", className: "composer" },
    h(Editor, {
      editorState: state,
      onChange: change,
      placeholder: "What is happening?!",
      ariaLabel: "Post text",
      ariaMultiline: true,
      webDriverTestID: "tweetTextarea_0",
      spellCheck: true,
      // X sends on Ctrl/Cmd+Enter from inside the editor; Draft reports Enter here.
      handleReturn: (e) => {
        if (!isSendShortcut(e)) return "not-handled";
        window.__post();
        return "handled";
      },
    }));
}

ReactDOM.render(h(Composer), document.getElementById("editor"), () => {
  hooks({
    library: "draft-js",
    getText: () => latest.getCurrentContent().getPlainText("\n"),
    setText: (text) => change(EditorState.push(latest, ContentState.createFromText(text), "insert-fragment")),
    clear: () => change(EditorState.createEmpty()),
    subscribe: (fn) => listeners.push(fn),
    // X's own counting: URLs weigh 23, most emoji and CJK weigh 2.
    count: (text) => twitter.parseTweet(text).weightedLength,
  });
});
