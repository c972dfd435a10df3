// The shared core: finds composers through the platform adapter, checks the
// draft after each pause in typing, draws findings, and holds a post that
// still has block-level findings. It never edits the editor's DOM: it reads
// text, sets the selection and inserts text the way typing does.
(function () {
  "use strict";
  const I = globalThis.Impartial;
  if (!I || I.contentStarted) return;
  I.contentStarted = true;
  const ext = globalThis.browser || globalThis.chrome;
  const { textmodel, adapters, ui } = I;
  const { h, SEVERITY } = ui;

  let settings = null;
  let adapter = null;
  let overlay = null;
  const controllers = new Map(); // editor element -> Controller
  let lastActive = null;
  let nextId = 1;
  const bypass = { click: null, key: false }; // one-shot pass for a post the officer confirmed

  // The promise form: Firefox's browser.runtime.sendMessage takes no callback
  // (a callback there is an argument error), Chrome's MV3 API returns a promise too.
  async function send(msg) {
    try {
      return (await ext.runtime.sendMessage(msg)) || { ok: false, error: "unavailable" };
    } catch (e) {
      return { ok: false, error: "unavailable" }; // extension reloaded or updated: keep the page working
    }
  }

  // Why checks are unavailable, for the list behind the quiet badge (the
  // badge itself only ever says "Checks unavailable").
  const PROBLEMS = {
    unavailable: "The Impartial service cannot be reached. You can keep writing; checks resume when it is back.",
    timeout: "The Impartial service is too slow to answer. You can keep writing; checks resume when it answers.",
    unauthorised: "The Impartial service refused this browser's API key. Ask your IT team to check the extension's settings.",
    http: "The Impartial service answered with an error. You can keep writing; checks resume when it is fixed.",
  };

  class Controller {
    constructor(el) {
      this.el = el;
      this.id = `f${nextId++}`;
      this.isTextarea = el.tagName === "TEXTAREA";
      this.state = "idle";          // idle | checking | ready | unavailable
      this.result = null;            // last answer, for this.resultText
      this.resultText = null;
      this.cache = new Map();        // text -> answer (last 20)
      this.ignored = new Set();
      this.timer = null;
      this.seq = 0;
      this.badgeHelp = h("div", { class: "sr-only", id: `impartial-badge-help-${this.id}` });
      this.badge = h("button", { class: "badge", type: "button", "data-field": this.id, "aria-haspopup": "dialog",
                                  "aria-describedby": this.badgeHelp.id, onclick: () => this.openList() });
      overlay.ui.append(this.badge, this.badgeHelp);
      this.onChange = () => { this.schedule(); requestRender(); };
      el.addEventListener("input", this.onChange);
      el.addEventListener("focus", () => { lastActive = this; });
      el.addEventListener("keydown", (e) => {
        if (e.altKey && e.shiftKey && (e.key === "I" || e.key === "i" || e.code === "KeyI")) {
          e.preventDefault();
          this.openAtCaret();
        }
      });
      // The editor can change size without the window doing so (sidebars, wrapping).
      this.resizeObserver = new ResizeObserver(() => requestRender());
      this.resizeObserver.observe(el);
      if (!this.isTextarea) {
        // Editors re-render without input events (React, undo, paste handlers).
        this.observer = new MutationObserver(this.onChange);
        this.observer.observe(el, { characterData: true, childList: true, subtree: true });
      }
      if (this.readText()) this.schedule();
      this.renderBadge();
    }

    readModel() {
      return this.isTextarea ? { text: this.el.value, segments: [] } : textmodel.buildModel(this.el);
    }

    readText() {
      return this.readModel().text;
    }

    schedule() {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.check(), settings.debounceMs);
    }

    async check() {
      const text = this.readText();
      if (text === this.resultText && this.result) return this.result;
      if (!text.trim()) {
        this.result = null;
        this.resultText = text;
        this.state = "idle";
        requestRender();
        return null;
      }
      const cached = this.cache.get(text);
      if (cached) return this.accept(text, cached);
      const seq = ++this.seq;
      this.state = "checking";
      this.renderBadge();
      const res = await send({ type: "check", fieldId: this.id, text, platform: adapter.platform });
      if (seq !== this.seq) return this.result; // a newer check replaced this one
      if (!res.ok) {
        if (res.error === "aborted") return this.result; // superseded by a newer check
        this.state = "unavailable";
        this.problem = res.error; // "unavailable" | "timeout" | "unauthorised" | "http"
        this.result = null;
        this.resultText = null;
        requestRender();
        return null;
      }
      this.cache.set(text, res.result);
      if (this.cache.size > 20) this.cache.delete(this.cache.keys().next().value);
      if (this.readText() !== text) { // typed meanwhile: never paint an old answer
        this.schedule();
        return this.result;
      }
      return this.accept(text, res.result);
    }

    accept(text, result) {
      const before = this.summary();
      this.result = result;
      this.resultText = text;
      this.state = "ready";
      requestRender();
      const after = this.summary();
      if (after !== before) overlay.announce(after);
      return result;
    }

    checkNow() {
      clearTimeout(this.timer);
      return this.check();
    }

    ignoreKey(f) {
      const before = this.resultText.slice(0, f.start).split(f.match).length - 1;
      return `${f.rule_id}|${f.match}|${before}`;
    }

    // Findings that still sit on the current text and were not ignored.
    current(model = this.readModel()) {
      if (!this.result || this.state !== "ready") return [];
      const text = model.text;
      if (text !== this.resultText) return [];
      return this.result.findings.filter((f) => textmodel.spanStillValid(text, f) && !this.ignored.has(this.ignoreKey(f)));
    }

    summary() {
      const b = ui.badgeText(this.state, this.current(), this.result && this.result.metrics);
      return b.label;
    }

    rangeFor(f, model = this.readModel()) {
      if (this.isTextarea) return null;
      const r = textmodel.rangeFor(model, f.start, f.end);
      if (!r) return null;
      const range = document.createRange();
      range.setStart(r.startNode, r.startOffset);
      range.setEnd(r.endNode, r.endOffset);
      return range;
    }

    rectsFor(f, range) {
      const box = this.el.getBoundingClientRect();
      const rects = this.isTextarea ? mirrorRects(this.el, f.start, f.end) : Array.from(range ? range.getClientRects() : []);
      // Only what is visible inside the editor, and no empty line-end boxes.
      return rects.filter((r) => r.width > 0.5 && r.bottom > box.top && r.top < box.bottom)
        .map((r) => ({ left: r.left, top: r.top, width: r.width, height: r.height }));
    }

    render() {
      if (!this.el.isConnected) return this.destroy();
      const model = this.readModel(); // once per frame, shared by every finding
      const findings = this.current(model);
      const items = [];
      for (const f of findings) {
        if (f.scope === "post") continue; // about the whole post: in the list, not underlined
        const range = this.rangeFor(f, model);
        items.push({ finding: f, range, rects: this.rectsFor(f, range) });
      }
      ui.drawMarks(overlay, this, items);
      this.renderBadge(findings);
    }

    renderBadge(findings = this.state === "ready" ? this.current() : null) {
      const b = ui.badgeText(this.state, findings, this.result && this.result.metrics);
      this.badge.dataset.state = this.state;
      this.badgeHelp.textContent = `${b.label} Opens the list of findings (Alt+Shift+I from the post: the finding at the cursor, or the list).`;
      this.badge.replaceChildren(...(b.parts ? [
        ...b.parts.flatMap(([cls, icon, words], i) => [i ? " · " : "", h("span", { class: cls }, h("span", { "aria-hidden": "true" }, icon + " "), words)]),
        ...(b.extra.length ? [" · " + b.extra.join(" · ")] : []),
      ] : [b.text]));
      const box = this.el.getBoundingClientRect();
      const visible = box.width > 0 && box.bottom > 0 && box.top < innerHeight;
      this.badge.style.display = visible ? "" : "none";
      const bw = this.badge.offsetWidth || 120;
      Object.assign(this.badge.style, { left: `${Math.max(0, box.right - bw - 4)}px`, top: `${box.bottom + 4}px` });
    }

    markKey(e, f) {
      if (e.key === "Escape") { e.preventDefault(); this.focusEditor(); }
    }

    openCard(f, anchor, { focus = true } = {}) {
      closePanels();
      this.saveCaret();
      const sev = SEVERITY[f.severity];
      const replacements = f.replacements || [];
      const card = h("div", { class: "panel card", role: "dialog", "aria-labelledby": "impartial-card-title",
                              "aria-describedby": "impartial-card-message", "data-rule": f.rule_id },
        h("h2", { id: "impartial-card-title" },
          h("span", { class: `sev ${f.severity}` }, `${sev.icon} ${sev.word}`), " · ", f.category.replace(/_/g, " ")),
        h("p", { id: "impartial-card-message" }, f.message),
        h("p", {}, "Flagged: “", h("strong", {}, f.match), "”"),
        h("div", { class: "clause" }, h("strong", {}, f.guidance.source + ": "), f.guidance.clause),
        (f.suggestions || []).filter((s) => !replacements.includes(s)).length
          ? h("ul", {}, (f.suggestions || []).filter((s) => !replacements.includes(s)).map((s) => h("li", {}, s))) : null,
        h("div", { class: "actions" },
          replacements.map((r) => h("button", { class: "primary", type: "button", "data-action": "replace",
                                                 onclick: () => this.apply(f, r) }, r ? `Replace with “${r}”` : "Remove")),
          h("button", { type: "button", "data-action": "ignore", onclick: () => this.ignore(f) }, "Ignore once"),
          h("button", { type: "button", "data-action": "report", onclick: () => this.report(f) }, "Report a false flag"),
          h("button", { type: "button", "data-action": "close", onclick: () => { closePanels(); this.focusEditor(); } }, "Close")));
      card.addEventListener("keydown", (e) => {
        // Back where the officer came from: the badge's list, or the editor.
        if (e.key === "Escape") { e.preventDefault(); closePanels(); if (anchor === this.badge) this.badge.focus(); else this.focusEditor(); }
      });
      overlay.ui.append(card);
      overlay.card = card;
      const at = anchor && anchor.getBoundingClientRect ? anchor.getBoundingClientRect() : this.el.getBoundingClientRect();
      const top = at.bottom + 6 + card.offsetHeight > innerHeight ? Math.max(4, at.top - card.offsetHeight - 6) : at.bottom + 6;
      Object.assign(card.style, { left: `${Math.min(Math.max(4, at.left), innerWidth - 370)}px`, top: `${top}px` });
      if (focus) (card.querySelector("button") || card).focus();
    }

    // Alt+Shift+I: the card of the finding under the caret, so a keyboard or
    // screen-reader user reaches an underline by moving through the text;
    // anywhere else, the list of all findings.
    openAtCaret() {
      const caret = this.caretOffset();
      const f = caret < 0 ? null : this.current().find((x) => x.start <= caret && caret < x.end);
      if (!f) return this.openList();
      const group = this.markEls && this.markEls.get(`${f.rule_id}:${f.start}:${f.end}`);
      this.openCard(f, group && group.els[0] ? group.els[0] : this.el);
    }

    caretOffset() {
      if (this.isTextarea) return this.el.selectionStart === this.el.selectionEnd ? this.el.selectionStart : -1;
      const sel = getSelection();
      if (!sel || !sel.isCollapsed || !sel.anchorNode || !this.el.contains(sel.anchorNode)) return -1;
      return textmodel.offsetAt(this.readModel(), sel.anchorNode, sel.anchorOffset);
    }

    openList() {
      closePanels();
      this.saveCaret();
      const findings = this.current();
      const list = h("div", { class: "panel list", role: "dialog", "aria-label": "Impartial findings" },
        h("h2", {}, findings.length ? `${findings.length} finding${findings.length > 1 ? "s" : ""}` :
          this.state === "unavailable" ? "Checks unavailable" : "No issues found"),
        this.state === "unavailable" ? h("p", {}, PROBLEMS[this.problem] || PROBLEMS.unavailable) : null,
        findings.length ? h("ul", {}, findings.map((f) => h("li", {},
          h("button", { type: "button", onclick: () => this.openCard(f, this.badge) },
            `${SEVERITY[f.severity].icon} ${SEVERITY[f.severity].word}: “${f.match.length > 40 ? f.match.slice(0, 40) + "…" : f.match}” — ${f.message}`)))) : null,
        h("div", { class: "actions" }, h("button", { type: "button", onclick: () => { closePanels(); this.focusEditor(); } }, "Close")));
      list.addEventListener("keydown", (e) => { if (e.key === "Escape") { e.preventDefault(); closePanels(); this.focusEditor(); } });
      overlay.ui.append(list);
      overlay.card = list;
      const at = this.badge.getBoundingClientRect();
      Object.assign(list.style, { left: `${Math.max(4, at.right - 360)}px`, top: `${Math.min(at.bottom + 6, innerHeight - 200)}px` });
      (list.querySelector("li button") || list.querySelector("button")).focus();
    }

    // Remember where the caret is before a card, list or dialog takes focus.
    // Focusing a contenteditable again puts the caret at its start, and
    // Draft.js re-renders its text nodes on blur, so the caret is kept as text
    // offsets and mapped back to the DOM on return. A textarea keeps its
    // selection by itself.
    saveCaret() {
      if (this.isTextarea) return;
      const sel = getSelection();
      if (!sel || !sel.rangeCount || !this.el.contains(sel.anchorNode)) return;
      const model = this.readModel();
      const anchor = textmodel.offsetAt(model, sel.anchorNode, sel.anchorOffset);
      const focus = textmodel.offsetAt(model, sel.focusNode, sel.focusOffset);
      this.savedCaret = anchor < 0 || focus < 0 ? null : { anchor, focus, text: model.text };
    }

    focusEditor() {
      this.el.focus({ preventScroll: true });
      const saved = this.savedCaret;
      this.savedCaret = null;
      if (!saved) return;
      const model = this.readModel();
      if (model.text !== saved.text) return; // edited meanwhile: the offsets mean something else
      const a = textmodel.caretAt(model, saved.anchor);
      const b = textmodel.caretAt(model, saved.focus);
      if (!a || !b) return;
      // Selection only, as a click would: the editors follow selectionchange.
      getSelection().setBaseAndExtent(a.node, a.offset, b.node, b.offset);
    }

    ignore(f) {
      this.ignored.add(this.ignoreKey(f));
      closePanels();
      overlay.announce("Ignored once.");
      requestRender();
      this.focusEditor();
    }

    async report(f) {
      const res = await send({ type: "feedback", rule_id: f.rule_id, platform: adapter.platform });
      this.ignored.add(this.ignoreKey(f));
      closePanels();
      overlay.announce(res.sent ? "Reported as a false flag. Thank you." : "Saved your report; it will be sent when the service is back.");
      requestRender();
      this.focusEditor();
    }

    // Replace the span through the editor's own input path: select it, then
    // insert text as typing would, so the editor's model stays in charge.
    async apply(f, replacement) {
      closePanels();
      const text = this.readText();
      if (!textmodel.spanStillValid(text, f)) return false;
      this.el.focus();
      if (this.isTextarea) {
        this.el.setSelectionRange(f.start, f.end);
      } else {
        const range = this.rangeFor(f);
        if (!range) return false;
        const sel = getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        // Let the editor see the selection change before the insertion.
        await new Promise((r) => setTimeout(r, 30));
      }
      let ok = document.execCommand("insertText", false, replacement);
      if (!ok || this.readText() === text) {
        const ev = new InputEvent("beforeinput", { inputType: "insertReplacementText", data: replacement, bubbles: true, cancelable: true });
        this.el.dispatchEvent(ev);
        ok = this.readText() !== text;
      }
      this.schedule();
      return ok;
    }

    destroy() {
      clearTimeout(this.timer);
      if (this.observer) this.observer.disconnect();
      this.resizeObserver.disconnect();
      ui.clearHighlights(this);
      for (const g of (this.markEls || new Map()).values()) g.els.forEach((el) => el.remove());
      this.badge.remove();
      this.badgeHelp.remove();
      controllers.delete(this.el);
    }
  }

  // Textareas cannot hold ranges: measure the text in an invisible copy laid
  // out exactly like the field (Harper and LanguageTool do the same).
  const MIRROR_PROPS = ["boxSizing", "width", "height", "paddingTop", "paddingRight", "paddingBottom", "paddingLeft",
    "borderTopWidth", "borderRightWidth", "borderBottomWidth", "borderLeftWidth", "borderStyle", "fontFamily", "fontSize",
    "fontWeight", "fontStyle", "fontVariant", "letterSpacing", "wordSpacing", "lineHeight", "textTransform", "textIndent",
    "tabSize", "direction", "textAlign"];
  function mirrorRects(textarea, start, end) {
    const cs = getComputedStyle(textarea);
    const box = textarea.getBoundingClientRect();
    const mirror = document.createElement("div");
    for (const p of MIRROR_PROPS) mirror.style[p] = cs[p];
    Object.assign(mirror.style, { position: "fixed", left: `${box.left}px`, top: `${box.top}px`, visibility: "hidden",
                                  whiteSpace: "pre-wrap", overflowWrap: "break-word", wordWrap: "break-word", overflow: "hidden",
                                  borderColor: "transparent" });
    const node = document.createTextNode(textarea.value + "\u200b");
    mirror.append(node);
    overlay.shadow.append(mirror);
    mirror.scrollTop = textarea.scrollTop;
    const range = document.createRange();
    range.setStart(node, start);
    range.setEnd(node, end);
    const dx = -textarea.scrollLeft, dy = -textarea.scrollTop;
    const rects = Array.from(range.getClientRects()).map((r) => ({ left: r.left + dx, top: r.top + dy, width: r.width, height: r.height, bottom: r.bottom + dy }));
    mirror.remove();
    return rects;
  }

  function closePanels() {
    if (overlay && overlay.card) {
      overlay.card.remove();
      overlay.card = null;
    }
  }

  let renderQueued = false;
  function requestRender() {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(() => {
      renderQueued = false;
      for (const ctl of controllers.values()) ctl.render();
    });
  }

  function scan() {
    for (const el of adapters.findEditors(adapter, document)) {
      if (!controllers.has(el)) controllers.set(el, new Controller(el));
    }
    for (const [el, ctl] of controllers) if (!el.isConnected) ctl.destroy();
  }

  // -- hover and click on underlines (the marks let the editor keep every click)
  function hit(x, y) {
    for (const ctl of controllers.values()) {
      for (const g of (ctl.markEls || new Map()).values()) {
        for (const el of g.els) {
          const r = el.getBoundingClientRect();
          if (x >= r.left && x <= r.right && y >= r.top - 2 && y <= r.bottom + 2) return { ctl, finding: g.finding, el: g.els[0] };
        }
      }
    }
    return null;
  }
  let hoverTimer = null;
  let hovered = null;
  function onPointerMove(e) {
    const found = hit(e.clientX, e.clientY);
    const key = found && `${found.finding.rule_id}:${found.finding.start}`;
    if (key === hovered) return;
    hovered = key;
    clearTimeout(hoverTimer);
    if (found) hoverTimer = setTimeout(() => found.ctl.openCard(found.finding, found.el, { focus: false }), 350);
  }
  function onClick(e) {
    const found = hit(e.clientX, e.clientY);
    if (found) found.ctl.openCard(found.finding, found.el, { focus: false }); // the caret still lands
    else if (overlay.card && !e.composedPath().includes(overlay.host)) closePanels();
  }

  // -- the pre-send gate
  function controllerFor(control) {
    for (const ctl of controllers.values()) {
      const scope = ctl.el.closest("form, [role=dialog], main, section") || document.body;
      if (scope.contains(control)) return ctl;
    }
    return lastActive || controllers.values().next().value || null;
  }

  function blocking(ctl) {
    return ctl.current().filter((f) => f.severity === "block");
  }

  function audit(ctl, choice, findings, reason) {
    send({ type: "audit", entry: {
      at: new Date().toISOString(), host: location.hostname, platform: adapter.platform, enforcement: settings.enforcement,
      choice, reason: reason || "", rules: findings.map((f) => f.rule_id),
      rulebook: ctl.result && ctl.result.rulebook ? ctl.result.rulebook.version : null,
    } });
  }

  function gate(e, ctl, replay) {
    if (settings.enforcement === "advise" || !ctl) return;
    const text = ctl.readText();
    if (!text.trim()) return;
    // The officer already chose "post anyway" for exactly this text: if the
    // platform ignored our replayed (untrusted) click, their next real press
    // goes through without asking again. Any edit needs a new decision.
    if (ctl.approvedText === text) return;
    const fresh = ctl.state === "ready" && ctl.resultText === text;
    if (fresh && !blocking(ctl).length) return;
    e.preventDefault();
    e.stopImmediatePropagation();
    const decide = () => {
      const blocks = blocking(ctl);
      if (!blocks.length) {
        if (ctl.state === "unavailable") audit(ctl, "posted_unchecked", []);
        replay();
      } else {
        showGate(ctl, blocks, replay);
      }
    };
    if (fresh) decide();
    else ctl.checkNow().then(decide, decide);
  }

  function showGate(ctl, blocks, replay) {
    closePanels();
    ctl.saveCaret();
    const prevent = settings.enforcement === "prevent";
    const reason = h("textarea", { id: "impartial-reason", "aria-describedby": "impartial-reason-help" });
    let dialog;
    const close = (choice, why) => {
      scrim.remove();
      audit(ctl, choice, blocks, why);
      if (choice === "posted_anyway") {
        ctl.approvedText = ctl.readText();
        replay();
      } else {
        ctl.focusEditor();
      }
    };
    const postAnyway = h("button", { class: "danger", type: "button", "data-action": "post-anyway",
      onclick: () => {
        if (!reason.value.trim()) {
          overlay.alert.textContent = "Give a reason before posting anyway.";
          reason.focus();
          return;
        }
        close("posted_anyway", reason.value.trim());
      } }, "Post anyway");
    const back = h("button", { class: "primary", type: "button", "data-action": "back",
      onclick: () => close(prevent ? "prevented" : "went_back") }, "Go back and edit");
    dialog = h("div", { class: "panel dialog", role: "alertdialog", "aria-modal": "true",
                        "aria-labelledby": "impartial-gate-title", "aria-describedby": "impartial-gate-desc" },
      h("h2", { id: "impartial-gate-title" }, "This post may breach political impartiality"),
      h("p", { id: "impartial-gate-desc" }, prevent
        ? `Your organisation does not allow posting with ${blocks.length === 1 ? "this issue" : "these issues"}. Edit the post first.`
        : `${blocks.length} issue${blocks.length > 1 ? "s" : ""} must be fixed before an official account posts this.`),
      h("ul", {}, blocks.map((f) => h("li", {},
        h("span", { class: "sev block" }, `${SEVERITY.block.icon} ${SEVERITY.block.word}: `), "“", f.match, "” — ", f.message,
        h("div", { class: "clause" }, h("strong", {}, f.guidance.source + ": "), f.guidance.clause)))),
      prevent ? null : h("div", {},
        h("label", { for: "impartial-reason" }, "Reason for posting anyway"),
        h("div", { id: "impartial-reason-help", class: "clause" }, "Recorded with the rule names, never with the post."),
        reason),
      h("div", { class: "actions" }, back, prevent ? null : postAnyway));
    const scrim = h("div", { class: "scrim", "data-impartial-gate": "" }, dialog);
    scrim.addEventListener("keydown", (e) => {
      if (e.key === "Escape") { e.preventDefault(); back.click(); }
      if (e.key === "Tab") { // keep focus inside the dialog
        const items = Array.from(dialog.querySelectorAll("button, textarea"));
        const i = items.indexOf(overlay.shadow.activeElement);
        const next = e.shiftKey ? (i <= 0 ? items.length - 1 : i - 1) : (i === items.length - 1 ? 0 : i + 1);
        e.preventDefault();
        items[next].focus();
      }
    });
    overlay.ui.append(scrim);
    back.focus();
  }

  function onSubmitClick(e) {
    const control = adapters.submitControl(adapter, e.target);
    if (!control) return;
    if (bypass.click === control) { bypass.click = null; return; }
    gate(e, controllerFor(control), () => { bypass.click = control; control.click(); });
  }

  function onSubmitKey(e) {
    if (!adapter.shortcut || !adapter.shortcut(e)) return;
    const ctl = [...controllers.values()].find((c) => c.el === e.target || c.el.contains(e.target));
    if (!ctl) return;
    if (bypass.key) { bypass.key = false; return; }
    // keyCode too: Draft.js (X) reads only keyCode in its handleReturn.
    const init = { key: e.key, code: e.code, keyCode: e.keyCode || 13, which: e.which || 13, ctrlKey: e.ctrlKey,
                   metaKey: e.metaKey, shiftKey: e.shiftKey, bubbles: true, cancelable: true };
    const target = e.target;
    gate(e, ctl, () => { bypass.key = true; target.focus(); target.dispatchEvent(new KeyboardEvent("keydown", init)); });
  }

  async function start() {
    const loaded = await send({ type: "settings" });
    settings = (loaded && loaded.settings) || I.settings.DEFAULTS;
    adapter = adapters.forHost(location.hostname, settings.extraDomains);
    if (!adapter || !settings.platforms.includes(adapter.name)) return;
    overlay = new ui.Overlay();
    overlay.enableHighlights(settings.renderer);
    scan();
    new MutationObserver(() => { clearTimeout(start.scanTimer); start.scanTimer = setTimeout(scan, 150); })
      .observe(document.documentElement, { childList: true, subtree: true });
    addEventListener("scroll", requestRender, { capture: true, passive: true });
    addEventListener("resize", requestRender, { passive: true });
    addEventListener("pointermove", onPointerMove, { passive: true });
    addEventListener("click", onClick, true);
    // Capture phase on window: runs before the platform's own handlers.
    addEventListener("click", onSubmitClick, true);
    addEventListener("keydown", onSubmitKey, true);
    ext.storage.onChanged.addListener(async (changes, area) => {
      // Local storage holds the audit log and the report queue, and the API key:
      // only a new key is a reason to check again (e.g. after "key refused").
      if (area === "local" && !("apiKey" in changes)) return;
      const again = await send({ type: "settings" });
      if (again && again.settings) {
        settings = again.settings;
        overlay.enableHighlights(settings.renderer);
        for (const ctl of controllers.values()) { ctl.cache.clear(); ctl.resultText = null; ctl.schedule(); }
      }
    });
  }

  start();
})();
