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
  const { h, SEVERITY, categoryName } = ui;
  const REASON_MAX = 500;
  // A finding about the whole post (scope "post") is listed, never underlined.
  const underlines = (f) => f.scope !== "post";

  let settings = null;
  let adapter = null;
  let overlay = null;
  const controllers = new Map(); // editor element -> Controller
  let lastActive = null;
  let nextId = 1;
  const bypass = { click: null, key: false }; // one-shot pass for a post the officer confirmed
  let spaceHeld = null; // a send control whose Space press was held: its keyup must not post either

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
    unconfigured: "Impartial is not configured: no service address is set, so nothing is checked. Ask your IT team.",
    insecure: "Impartial is not configured: the service address is not https, and posts must not travel unencrypted. Ask your IT team.",
    invalid: "Impartial is not configured: the service address is not valid. Ask your IT team.",
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
      this.ignored = new Map();      // ignore key -> reason ("" for advice and checks); ends with the post
      this.timer = null;
      this.seq = 0;
      this.badgeHelp = h("div", { class: "sr-only", id: `impartial-badge-help-${this.id}` });
      this.badge = h("button", { class: "badge", type: "button", "data-field": this.id, "aria-haspopup": "dialog",
                                  "aria-describedby": this.badgeHelp.id, onclick: () => this.openList() });
      overlay.ui.append(this.badge, this.badgeHelp);
      this.onChange = () => {
        // Emptied (the platform clears its composer after posting): the post has ended.
        if ((this.ignored.size || this.approvedText) && !this.readText().trim()) this.endPost();
        this.schedule();
        requestRender();
      };
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
        this.endPost(); // posted (the platform cleared it) or emptied: what was ignored or approved ends here
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

    endPost() {
      this.ignored.clear();
      this.approvedText = null;
    }

    checkNow() {
      clearTimeout(this.timer);
      return this.check();
    }

    ignoreKey(f) {
      const before = this.resultText.slice(0, f.start).split(f.match).length - 1;
      return `${f.rule_id}|${f.match}|${before}`;
    }

    // Findings that still sit on the current text.
    valid(model = this.readModel()) {
      if (!this.result || this.state !== "ready") return [];
      const text = model.text;
      if (text !== this.resultText) return [];
      return this.result.findings.filter((f) => textmodel.spanStillValid(text, f));
    }

    // What is shown: the valid findings the officer has not ignored.
    current(model = this.readModel()) {
      return this.valid(model).filter((f) => !this.ignored.has(this.ignoreKey(f)));
    }

    // What the gate holds: every must-fix finding on the text, ignored or not.
    // Ignoring hides an underline; it never clears a post.
    mustFix(model = this.readModel()) {
      return this.valid(model).filter((f) => f.severity === "block");
    }

    // Must-fix rules the service could not run on this text (its "incomplete").
    uncheckedRules() {
      return (this.result && this.result.unchecked_must_fix) || [];
    }

    // Is the last answer about exactly the text in the editor now?
    fresh() {
      return this.state === "ready" && !!this.result && this.resultText === this.readText();
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
        if (!underlines(f)) continue;
        const range = this.rangeFor(f, model);
        items.push({ finding: f, range, rects: this.rectsFor(f, range) });
      }
      ui.drawMarks(overlay, this, items);
      this.renderBadge(findings);
    }

    renderBadge(findings = this.state === "ready" ? this.current() : null) {
      const b = ui.badgeText(this.state, findings, this.result && this.result.metrics, this.problem);
      this.badge.dataset.state = this.state;
      this.badgeHelp.textContent = `${b.label} Opens the list of findings (Alt+Shift+I from the post: the finding at the cursor, or the list).`;
      this.badge.replaceChildren(...(b.parts ? [
        ...b.parts.flatMap(([cls, icon, words], i) => [i ? " · " : "", h("span", { class: cls }, h("span", { "aria-hidden": "true" }, icon + " "), words)]),
        ...(b.extra.length ? [" · " + b.extra.join(" · ")] : []),
      ] : [b.text]));
      const box = this.el.getBoundingClientRect();
      const visible = box.width > 0 && box.bottom > 0 && box.top < innerHeight;
      this.badge.style.display = visible ? "" : "none";
      if (!visible) return;
      // Where nothing of the page is: a click on the platform's Post must reach the platform.
      const others = [...controllers.values()].filter((c) => c !== this).map((c) => c.el.getBoundingClientRect());
      const at = ui.placeBadge(box, this.badge.offsetWidth || 120, this.badge.offsetHeight || 22, overlay.mine(), others);
      Object.assign(this.badge.style, { left: `${at.left}px`, top: `${at.top}px`, pointerEvents: at.covering ? "none" : "" });
      this.badge.toggleAttribute("data-covering", at.covering);
    }

    // Put a card or the list beside the editor, away from the words and the page's controls.
    placePanel(panel, anchorRect) {
      const box = this.el.getBoundingClientRect();
      const scope = this.el.closest('form, dialog, [role="dialog"], [aria-modal="true"]');
      const r = ui.placePanel(panel.offsetWidth || 340, panel.offsetHeight || 200, box, anchorRect, overlay.mine(),
                              scope ? scope.getBoundingClientRect() : box);
      Object.assign(panel.style, { left: `${r.left}px`, top: `${r.top}px` });
    }

    markKey(e, f) {
      if (e.key === "Escape") { e.preventDefault(); this.focusEditor(); }
    }

    openCard(f, anchor, { focus = true } = {}) {
      closePanels();
      this.saveCaret();
      const sev = SEVERITY[f.severity];
      const replacements = f.replacements || [];
      const actions = h("div", { class: "actions" });
      // The engine keeps one finding per category on the same words (an attack that is
      // also a loaded label); their marks lie on each other, so the card reaches the rest.
      const alongside = this.current().filter((x) => x.start === f.start && x.end === f.end && x.rule_id !== f.rule_id);
      const card = h("div", { class: "panel card", role: "dialog", "aria-labelledby": "impartial-card-title",
                              "aria-describedby": "impartial-card-message", "data-rule": f.rule_id, "data-category": f.category },
        h("h2", { id: "impartial-card-title" },
          h("span", { class: `sev ${f.severity}` }, `${sev.icon} ${sev.word}`), " · ", h("span", { class: "category" }, categoryName(f.category))),
        h("p", { id: "impartial-card-message" }, f.message),
        h("p", {}, "Flagged: “", h("strong", {}, f.match), "”"),
        ui.clause(f.guidance),
        alongside.length
          ? h("div", { class: "also" }, h("p", { id: "impartial-card-also" }, "Also on these words:"),
              h("ul", { "aria-labelledby": "impartial-card-also" }, alongside.map((x) => h("li", {},
                h("button", { type: "button", "data-action": "also", "data-rule": x.rule_id, onclick: () => this.openCard(x, anchor) },
                  `${SEVERITY[x.severity].icon} ${SEVERITY[x.severity].word} · ${categoryName(x.category)}: ${x.message}`)))))
          : null,
        (f.suggestions || []).filter((s) => !replacements.includes(s)).length
          ? h("ul", {}, (f.suggestions || []).filter((s) => !replacements.includes(s)).map((s) => h("li", {}, s))) : null,
        actions);
      actions.append(
          ...replacements.map((r) => h("button", { class: "primary", type: "button", "data-action": "replace",
                                                 onclick: () => this.apply(f, r) }, r ? `Replace with “${r}”` : "Remove")),
          h("button", { type: "button", "data-action": "ignore",
                        onclick: () => (f.severity === "block" ? this.askIgnoreReason(f, card, actions) : this.ignore(f)) }, "Ignore once"),
          h("button", { type: "button", "data-action": "report", onclick: () => this.report(f) }, "Report a false flag"),
          h("button", { type: "button", "data-action": "close", onclick: () => { closePanels(); this.focusEditor(); } }, "Close"));
      card.addEventListener("keydown", (e) => {
        // Back where the officer came from: the badge's list, or the editor.
        if (e.key === "Escape" && e.isTrusted) { e.preventDefault(); closePanels(); if (anchor === this.badge) this.badge.focus(); else this.focusEditor(); }
      });
      overlay.ui.append(card);
      overlay.card = card;
      // Beside the words it is about: the flagged words' own boxes, not the badge.
      const words = this.wordsRect(f) || (anchor && anchor.getBoundingClientRect ? anchor.getBoundingClientRect() : this.el.getBoundingClientRect());
      this.placePanel(card, words);
      if (focus) (actions.querySelector("button") || card).focus();
    }

    // The screen box of a finding's words (all its lines), or null.
    wordsRect(f) {
      const g = this.markEls && this.markEls.get(`${f.rule_id}:${f.start}:${f.end}`);
      const rects = g ? g.els.map((el) => el.getBoundingClientRect()).filter((r) => r.width > 0) : [];
      if (!rects.length) return null;
      return { left: Math.min(...rects.map((r) => r.left)), right: Math.max(...rects.map((r) => r.right)),
               top: Math.min(...rects.map((r) => r.top)), bottom: Math.max(...rects.map((r) => r.bottom)) };
    }

    // Ignoring a must-fix finding takes a reason (kept in the audit, never the
    // post). It hides the underline only: the post is still held.
    askIgnoreReason(f, card, actions) {
      const reason = h("textarea", { id: "impartial-ignore-reason", maxlength: String(REASON_MAX), "aria-describedby": "impartial-ignore-help" });
      const form = h("div", { class: "reason" },
        h("label", { for: "impartial-ignore-reason" }, "Why is this not a problem here?"),
        h("div", { id: "impartial-ignore-help", class: "clause" },
          "Recorded with the rule name, never with the post. The underline goes; you will still be asked before posting."),
        reason,
        h("div", { class: "actions" },
          h("button", { class: "primary", type: "button", "data-action": "confirm-ignore", onclick: () => {
            const why = reason.value.trim();
            if (!why) { overlay.alert.textContent = "Give a reason to ignore a must-fix finding."; reason.focus(); return; }
            audit(this, "ignored_must_fix", [f], why);
            this.ignore(f, why);
          } }, "Ignore"),
          h("button", { type: "button", "data-action": "cancel-ignore", onclick: () => { form.replaceWith(actions); actions.querySelector("button").focus(); } }, "Cancel")));
      actions.replaceWith(form);
      reason.focus();
    }

    // Alt+Shift+I: the card of the finding under the caret, so a keyboard or
    // screen-reader user reaches an underline by moving through the text;
    // anywhere else, the list of all findings.
    openAtCaret() {
      const caret = this.caretOffset();
      const f = caret < 0 ? null : this.current().find((x) => underlines(x) && x.start <= caret && caret < x.end);
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
        findings.length ? h("ul", { class: "findings" }, findings.map((f) => h("li", {},
          h("button", { type: "button", "data-rule": f.rule_id, onclick: () => this.openCard(f, this.badge) },
            `${SEVERITY[f.severity].icon} ${SEVERITY[f.severity].word} · ${categoryName(f.category)}: “${f.match.length > 40 ? f.match.slice(0, 40) + "…" : f.match}” — ${f.message}`)))) : null,
        h("div", { class: "actions" }, h("button", { type: "button", onclick: () => { closePanels(); this.focusEditor(); } }, "Close")));
      list.addEventListener("keydown", (e) => { if (e.key === "Escape" && e.isTrusted) { e.preventDefault(); closePanels(); this.focusEditor(); } });
      overlay.ui.append(list);
      overlay.card = list;
      this.placePanel(list, this.badge.getBoundingClientRect());
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

    ignore(f, reason = "") {
      this.ignored.set(this.ignoreKey(f), reason);
      closePanels();
      overlay.announce("Ignored once.");
      requestRender();
      this.focusEditor();
    }

    async report(f) {
      const res = await send({ type: "feedback", rule_id: f.rule_id, category: f.category, platform: adapter.platform });
      if (!this.ignored.has(this.ignoreKey(f))) this.ignored.set(this.ignoreKey(f), "");
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

  // The composers a send control (or a shortcut in an editor) posts: those in
  // its own dialog or form (or nearest block), the one the officer was
  // writing in first. Every one of them with text is checked.
  function composersFor(node) {
    const scope = adapters.scopeOf(node, [...controllers.keys()]);
    let list = scope ? [...controllers.values()].filter((c) => scope.contains(c.el)) : [];
    if (!list.length && lastActive && controllers.has(lastActive.el)) list = [lastActive];
    return list.sort((a, b) => (b === lastActive) - (a === lastActive));
  }

  function audit(ctl, choice, findings, reason, rules) {
    send({ type: "audit", entry: {
      platform: adapter.platform, choice, reason: (reason || "").slice(0, REASON_MAX),
      rules: rules || findings.map((f) => f.rule_id),
      categories: findings.map((f) => f.category),
      rulebook: ctl && ctl.result && ctl.result.rulebook ? ctl.result.rulebook.version : null,
    } });
  }

  // Where the gate stands for these composers now: must-fix findings still on
  // the text (ignored or not), and composers that could not be checked (the
  // service failed, or skipped a must-fix rule).
  function verdict(composers) {
    const blocks = [], unchecked = [];
    for (const c of composers) {
      if (c.approvedText === c.readText()) continue; // "post anyway" for exactly this text
      if (!c.fresh()) { unchecked.push(c); continue; }
      const found = c.mustFix();
      if (found.length) blocks.push({ ctl: c, findings: found });
      if (c.uncheckedRules().length) unchecked.push(c);
    }
    return { blocks, unchecked };
  }

  function passed(composers) {
    for (const c of composers) c.ignored.clear(); // ignores end with the post
  }

  // Returns true when the event was held.
  function gate(e, composers, replay) {
    if (settings.enforcement === "advise") return false;
    const live = composers.filter((c) => c.readText().trim());
    if (!live.length) return false;
    const now = verdict(live);
    if (!now.blocks.length && !now.unchecked.length) { passed(live); return false; }
    e.preventDefault();
    e.stopImmediatePropagation();
    const stale = live.filter((c) => !c.fresh() && c.approvedText !== c.readText());
    Promise.all(stale.map((c) => c.checkNow().catch(() => null))).then(() => decide(live, replay), () => decide(live, replay));
    return true;
  }

  function decide(live, replay) {
    const { blocks, unchecked } = verdict(live);
    const prevent = settings.enforcement === "prevent";
    if (blocks.length) return showGate("blocks", live, blocks, replay);
    if (unchecked.length) {
      const rules = unchecked.flatMap((c) => c.uncheckedRules());
      if (prevent && settings.failClosed) return showGate("unchecked", live, [], replay, unchecked);
      audit(unchecked[0], "posted_unchecked", [], "", rules);
    }
    passed(live);
    replay();
  }

  function showGate(kind, live, blocks, replay, unchecked = []) {
    closePanels();
    const first = (blocks[0] && blocks[0].ctl) || unchecked[0] || live[0];
    first.saveCaret();
    const prevent = settings.enforcement === "prevent";
    const findings = blocks.flatMap((b) => b.findings);
    const ignoredWhy = blocks.flatMap((b) => b.findings.map((f) => b.ctl.ignored.get(b.ctl.ignoreKey(f)))).filter(Boolean);
    let done = false;
    const reason = h("textarea", { id: "impartial-reason", maxlength: String(REASON_MAX), "aria-describedby": "impartial-reason-help" });
    reason.value = ignoredWhy.join("; ").slice(0, REASON_MAX);
    const status = h("p", { class: "sr-only", role: "alert" });
    const close = (choice, why) => {
      if (done) return;
      done = true;
      overlay.closeGate();
      audit(first, choice, findings, why, kind === "unchecked" ? unchecked.flatMap((c) => c.uncheckedRules()) : undefined);
      if (choice === "posted_anyway") {
        for (const c of live) c.approvedText = c.readText();
        passed(live);
        replay();
      } else {
        first.focusEditor();
      }
    };
    const goBack = () => close(kind === "unchecked" ? "prevented_unchecked" : prevent ? "prevented" : "went_back");
    const back = h("button", { class: "primary", type: "button", "data-action": "back", onclick: goBack }, "Go back and edit");
    const postAnyway = h("button", { class: "danger", type: "button", "data-action": "post-anyway",
      onclick: () => {
        if (!reason.value.trim()) {
          status.textContent = "Give a reason before posting anyway.";
          reason.focus();
          return;
        }
        close("posted_anyway", reason.value.trim());
      } }, "Post anyway");
    const problem = unchecked[0] && (unchecked[0].state === "unavailable" ? PROBLEMS[unchecked[0].problem] || PROBLEMS.unavailable
      : "The Impartial service could not run every must-fix check on this post.");
    const { dialog } = overlay.openGate((d) => {
      d.setAttribute("aria-labelledby", "impartial-gate-title");
      d.setAttribute("aria-describedby", "impartial-gate-desc");
      d.dataset.kind = kind;
      if (kind === "unchecked") {
        d.append(
          h("h2", { id: "impartial-gate-title" }, "This post could not be checked"),
          h("p", { id: "impartial-gate-desc" }, `${problem} Your organisation does not allow posting without a check. Try again in a moment, or ask your IT team.`),
          h("div", { class: "actions" }, back), status);
        return;
      }
      d.append(
        h("h2", { id: "impartial-gate-title" }, "This post may breach political impartiality"),
        h("p", { id: "impartial-gate-desc" }, prevent
          ? `Your organisation does not allow posting with ${findings.length === 1 ? "this issue" : "these issues"}. Edit the post first.`
          : `${findings.length} issue${findings.length > 1 ? "s" : ""} must be fixed before an official account posts this.`),
        h("ul", {}, findings.map((f) => h("li", { "data-rule": f.rule_id },
          h("span", { class: "sev block" }, `${SEVERITY.block.icon} ${SEVERITY.block.word} · ${categoryName(f.category)}: `), "“", f.match, "” — ", f.message,
          ui.clause(f.guidance)))),
        prevent ? null : h("div", {},
          h("label", { for: "impartial-reason" }, "Reason for posting anyway"),
          h("div", { id: "impartial-reason-help", class: "clause" }, "Recorded with the rule names, never with the post."),
          reason),
        h("div", { class: "actions" }, back, prevent ? null : postAnyway), status);
    });
    // Escape (the dialog's cancel) is "go back", never a silent close.
    dialog.addEventListener("cancel", (e) => { e.preventDefault(); if (e.isTrusted) goBack(); });
    // The browser may close a modal dialog without a cancel event (a second Escape): still "go back".
    dialog.addEventListener("close", () => goBack());
    back.focus();
  }

  function onSubmitClick(e) {
    const control = adapters.submitControl(adapter, e.target, [...controllers.keys()]);
    if (!control) return;
    if (bypass.click === control) { bypass.click = null; return; }
    gate(e, composersFor(control), () => { bypass.click = control; control.click(); });
  }

  function onSubmitKey(e) {
    // Enter or Space on a focused send control (a div role=button acts on them too).
    if ((e.key === "Enter" || e.key === " ") && !e.ctrlKey && !e.metaKey && !e.altKey && !e.shiftKey) {
      const editors = [...controllers.keys()];
      if (editors.some((ed) => ed === e.target || ed.contains(e.target))) return;
      const control = adapters.submitControl(adapter, e.target, editors);
      if (!control) return;
      if (bypass.click === control) return;
      const held = gate(e, composersFor(control), () => { bypass.click = control; control.click(); });
      if (held && e.key === " ") spaceHeld = control;
      return;
    }
    if (!adapter.shortcut || !adapter.shortcut(e)) return;
    const ctl = [...controllers.values()].find((c) => c.el === e.target || c.el.contains(e.target));
    if (!ctl) return;
    if (bypass.key) { bypass.key = false; return; }
    // keyCode too: Draft.js (X) reads only keyCode in its handleReturn.
    const init = { key: e.key, code: e.code, keyCode: e.keyCode || 13, which: e.which || 13, ctrlKey: e.ctrlKey,
                   metaKey: e.metaKey, shiftKey: e.shiftKey, bubbles: true, cancelable: true };
    const target = e.target;
    const composers = composersFor(ctl.el);
    gate(e, composers.includes(ctl) ? composers : [ctl, ...composers],
         () => { bypass.key = true; target.focus(); target.dispatchEvent(new KeyboardEvent("keydown", init)); });
  }

  // A held Space press must not post on its keyup either (buttons act on keyup).
  function onSubmitKeyUp(e) {
    if (e.key !== " " || !spaceHeld) return;
    if (e.target === spaceHeld || spaceHeld.contains(e.target)) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
    spaceHeld = null;
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
    addEventListener("keyup", onSubmitKeyUp, true);
    // The service worker says when settings change (content scripts may not
    // read extension storage themselves).
    ext.runtime.onMessage.addListener((msg) => {
      if (!msg || msg.type !== "settingsChanged") return;
      send({ type: "settings" }).then((again) => {
        if (!again || !again.settings) return;
        settings = again.settings;
        overlay.enableHighlights(settings.renderer);
        for (const ctl of controllers.values()) { ctl.cache.clear(); ctl.resultText = null; ctl.schedule(); }
      });
    });
  }

  start();
})();
