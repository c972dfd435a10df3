// Shared by the fixture pages: the hooks the end-to-end tests read.
export function hooks(getText, clear) {
  window.__posted = [];
  window.__editorText = getText;
  window.__post = () => {
    window.__posted.push(getText());
    clear();
  };
  // Like X, show a character count that the page computes from its own model.
  const counter = document.querySelector("[data-fixture-counter]");
  if (counter) {
    const update = () => { counter.textContent = String(getText().length); };
    setInterval(update, 100);
  }
  window.__editorReady = true;
}
