// The hooks every fixture page exposes to the end-to-end tests (see ../../README.md).
//
// getText:  the text as the editor's own model holds it. This, not the DOM, is
//           what a platform would send, so tests use it to prove that an edit
//           made by the extension reached the model.
// setText:  replaces the content through the editor's API, the way a platform
//           restores a draft or inserts an autocompleted mention.
// clear:    what the platform does to its composer after a successful post.
// subscribe(fn): calls fn after every model change; drives the counter.
// count:    how the platform counts characters, if it shows a counter.
export function hooks({ library, getText, setText, clear, subscribe, count }) {
  window.__posted = [];
  window.__editorText = getText;
  window.__setText = setText;
  window.__post = () => {
    window.__posted.push(getText());
    clear();
  };
  const counter = document.querySelector("[data-fixture-counter]");
  if (counter) {
    const update = () => { counter.textContent = String((count || ((t) => t.length))(getText())); };
    subscribe(update);
    update();
  }
  const platform = document.body.dataset.fixturePlatform || location.hostname;
  window.__fixture = { platform, library };
  window.__editorReady = true;
}

// Grapheme clusters, as Bluesky counts its 300-character limit.
export function graphemes(text) {
  return Array.from(new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(text));
}

// Ctrl+Enter, or Cmd+Enter on a Mac: "post now" on X, Threads, Bluesky and Mastodon.
export function isSendShortcut(e) {
  return e.key === "Enter" && (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey;
}
