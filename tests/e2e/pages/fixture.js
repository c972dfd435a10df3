// Behaviour every platform's page has, outside its editor library (served as /fixture.js).
//
// - A div role=button acts on Enter (keydown) and Space (keyup), as the
//   platforms' React buttons and native buttons do, so Post can be pressed
//   from the keyboard after Tab.
// - Typing "@" and a few letters opens a mention typeahead (role=listbox, a
//   fixed layer with a high z-index, under the caret), as every platform does;
//   clicking an option completes the name through the editor's input path.
(function () {
  "use strict";
  const activate = (el) => el.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true, view: window }));
  document.addEventListener("keydown", (e) => {
    const el = e.target instanceof Element && e.target.closest('[role="button"]');
    if (!el || el.tagName === "BUTTON" || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "Enter") { e.preventDefault(); activate(el); }
    if (e.key === " ") e.preventDefault(); // no page scroll; Space acts on keyup
  });
  document.addEventListener("keyup", (e) => {
    const el = e.target instanceof Element && e.target.closest('[role="button"]');
    if (!el || el.tagName === "BUTTON") return;
    if (e.key === " ") { e.preventDefault(); activate(el); }
  });

  const NAMES = ["localcouncil", "localnews", "locallibrary"];
  let box = null;
  function close() { if (box) { box.remove(); box = null; } }
  function caretRect() {
    const a = document.activeElement;
    if (a && a.tagName === "TEXTAREA") {
      const r = a.getBoundingClientRect();
      return { left: r.left + 16, bottom: r.top + 40 };
    }
    const sel = getSelection();
    if (!sel.rangeCount) return null;
    const r = sel.getRangeAt(0).getBoundingClientRect();
    return r.width || r.height ? r : null;
  }
  function beforeCaret() {
    const a = document.activeElement;
    if (a && a.tagName === "TEXTAREA") return a.value.slice(0, a.selectionStart);
    const sel = getSelection();
    if (!sel.rangeCount || !sel.anchorNode || sel.anchorNode.nodeType !== 3) return "";
    return sel.anchorNode.nodeValue.slice(0, sel.anchorOffset);
  }
  document.addEventListener("input", () => {
    const m = /(^|\s)@(\w{0,15})$/.exec(beforeCaret());
    if (!m) return close();
    const at = caretRect();
    if (!at) return close();
    const typed = m[2];
    close();
    box = document.createElement("div");
    box.setAttribute("role", "listbox");
    box.setAttribute("aria-label", "Suggestions");
    box.className = "typeahead";
    box.dataset.fixtureTypeahead = "";
    Object.assign(box.style, { left: `${at.left}px`, top: `${at.bottom + 4}px` });
    for (const name of NAMES.filter((n) => n.startsWith(typed.toLowerCase()))) {
      const opt = document.createElement("div");
      opt.setAttribute("role", "option");
      opt.tabIndex = -1;
      opt.textContent = `@${name}`;
      opt.addEventListener("mousedown", (e) => e.preventDefault()); // keep the caret in the editor
      opt.addEventListener("click", () => { close(); document.execCommand("insertText", false, name.slice(typed.length) + " "); });
      box.append(opt);
    }
    if (box.childElementCount) document.body.append(box); else close();
  }, true);
})();
