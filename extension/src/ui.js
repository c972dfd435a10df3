// Everything the officer sees. Underlines (CSS Custom Highlight API, or
// overlay boxes where it is missing), focusable marks, the badge, the finding
// card and the list live in one shadow root under <html>, never inside an
// editor, above every page layer. The pre-send dialog is a <dialog> in a
// closed shadow root of its own, opened with showModal() so it sits in the
// browser's top layer: no page z-index paints over it and no page script can
// reach into it. Every control acts only on trusted (user) events.
(function (root) {
  "use strict";

  const SEVERITY = {
    block: { word: "Must fix", icon: "⛔", colour: "#b3261e" },
    warn: { word: "Check", icon: "⚠️", colour: "#8a4b00" },
    info: { word: "Advice", icon: "ℹ️", colour: "#0b57d0" },
  };

  // The rulebook's categories in the words officers use.
  const CATEGORY = {
    party_political: "Party political",
    attack: "Personal attack",
    personal_data: "Personal data",
    loaded_language: "Loaded language",
    partisan_amplification: "Amplifying a party",
    tone: "Tone",
    pre_election: "Pre-election period",
    sub_judice: "Live court case",
    accessibility: "Accessibility",
    platform_limit: "Platform limit",
  };
  function categoryName(c) {
    if (CATEGORY[c]) return CATEGORY[c];
    const words = String(c || "").replace(/[_-]+/g, " ").trim();
    return words ? words[0].toUpperCase() + words.slice(1) : "Other";
  }

  // Top of every page layer; the inline !important wins over page stylesheets.
  const HOST_STYLE = "all: initial !important; position: fixed !important; top: 0 !important; left: 0 !important; " +
    "width: 0 !important; height: 0 !important; z-index: 2147483647 !important; display: block !important; " +
    "visibility: visible !important; opacity: 1 !important; transform: none !important; pointer-events: none !important;";

  const BASE_CSS = `
    * { box-sizing: border-box; font-family: system-ui, "DejaVu Sans", Arial, sans-serif; }
    button { font: inherit; font-size: 13px; padding: 6px 10px; border-radius: 6px; border: 1px solid #5f6368; background: #fff; color: #1f1f1f; cursor: pointer; }
    button.primary { background: #0b57d0; border-color: #0b57d0; color: #fff; }
    button.danger { background: #b3261e; border-color: #b3261e; color: #fff; }
    button:focus-visible, textarea:focus-visible, a:focus-visible { outline: 3px solid #1a1a1a; outline-offset: 2px; }
    h2 { font-size: 15px; margin: 0 0 6px; }
    .sev { font-weight: 700; }
    .sev.block { color: ${SEVERITY.block.colour}; } .sev.warn { color: ${SEVERITY.warn.colour}; } .sev.info { color: ${SEVERITY.info.colour}; }
    .clause { color: #3c4043; font-size: 13px; border-left: 3px solid #dadce0; padding-left: 8px; margin: 8px 0; }
    .clause a { color: #0b57d0; }
    .actions { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 10px; }
    textarea { width: 100%; min-height: 60px; font: inherit; font-size: 14px; margin-top: 4px; }
    .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
  `;

  const CSS_TEXT = BASE_CSS + `
    .layer { position: fixed; inset: 0; pointer-events: none; }
    .mark { position: fixed; pointer-events: none; background: transparent; border: 0; padding: 0; margin: 0; }
    .mark:focus { outline: 3px solid #1a1a1a; outline-offset: 1px; pointer-events: auto; }
    .draw.block { border-bottom: 3px solid ${SEVERITY.block.colour}; background: rgba(179,38,30,.10); }
    .draw.warn { border-bottom: 2px dashed ${SEVERITY.warn.colour}; }
    .draw.info { border-bottom: 2px dotted ${SEVERITY.info.colour}; }
    .badge { position: fixed; pointer-events: auto; font-size: 12px; line-height: 1; padding: 4px 8px; border-radius: 12px; white-space: nowrap;
             border: 1px solid #5f6368; background: #fff; color: #1f1f1f; cursor: pointer; box-shadow: 0 1px 3px rgba(0,0,0,.2); }
    .badge:focus-visible { outline: 3px solid #1a1a1a; outline-offset: 2px; }
    .badge .block { color: ${SEVERITY.block.colour}; font-weight: 700; }
    .badge .warn { color: ${SEVERITY.warn.colour}; font-weight: 700; }
    .badge[data-state="unavailable"] { color: #5f6368; border-style: dashed; }
    .panel { position: fixed; pointer-events: auto; width: 340px; max-height: 420px; overflow: auto; background: #fff; color: #1f1f1f;
             border: 1px solid #5f6368; border-radius: 8px; padding: 12px 14px; box-shadow: 0 4px 16px rgba(0,0,0,.25); font-size: 14px; line-height: 1.4; }
    .panel .category { font-weight: 700; }
    .panel ul.suggestions { padding-left: 18px; margin: 6px 0; }
    .panel ul.findings, .panel .also ul { list-style: none; padding: 0; margin: 6px 0; display: grid; gap: 6px; }
    .panel ul.findings button, .panel .also button { width: 100%; text-align: left; line-height: 1.35; }
    .panel .reason { margin-top: 8px; }
    .panel .reason label { font-weight: 600; font-size: 13px; }
  `;

  const GATE_CSS = BASE_CSS + `
    dialog { pointer-events: auto; width: min(480px, calc(100vw - 32px)); max-height: 80vh; overflow: auto; background: #fff; color: #1f1f1f;
             border: 1px solid #5f6368; border-radius: 8px; padding: 14px 16px; box-shadow: 0 4px 24px rgba(0,0,0,.35); font-size: 14px; line-height: 1.4; }
    dialog::backdrop { background: rgba(0,0,0,.45); }
    dialog ul { padding-left: 18px; margin: 6px 0; }
    label { font-weight: 600; }
  `;

  const HIGHLIGHT_CSS = `
    ::highlight(impartial-block) { text-decoration: underline solid 3px ${SEVERITY.block.colour}; text-underline-offset: 3px; background-color: rgba(179,38,30,.10); }
    ::highlight(impartial-warn) { text-decoration: underline wavy 2px ${SEVERITY.warn.colour}; text-underline-offset: 3px; }
    ::highlight(impartial-info) { text-decoration: underline dotted 2px ${SEVERITY.info.colour}; text-underline-offset: 3px; }
  `;

  // A page that serves these scripts itself (the service's playground) sets a
  // CSP nonce for styles; our <style> elements carry it. Unset in the extension.
  function styleNonce() {
    return (root.Impartial && root.Impartial.styleNonce) || null;
  }

  // Event handlers given as on<event> act only on what the officer did: a page
  // script can dispatch a click into our controls but never a trusted one.
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") el.className = v;
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), (e) => { if (e.isTrusted) v(e); });
      else if (v !== false && v != null) el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) if (c != null) el.append(c.nodeType ? c : document.createTextNode(String(c)));
    return el;
  }

  // A link to guidance, only for web addresses.
  function guidanceLink(url) {
    try {
      const u = new URL(url);
      if (u.protocol !== "https:" && u.protocol !== "http:") return null;
      return h("a", { href: u.href, target: "_blank", rel: "noopener noreferrer" }, "Learn more");
    } catch (e) {
      return null;
    }
  }

  function clause(guidance) {
    const g = guidance || {};
    return h("div", { class: "clause" }, g.source ? h("strong", {}, g.source + ": ") : null, g.clause || "",
      g.url ? [" ", guidanceLink(g.url)] : null);
  }

  class Overlay {
    constructor() {
      this.host = document.createElement("impartial-overlay");
      this.host.setAttribute("data-impartial-overlay", "");
      this.host.style.cssText = HOST_STYLE;
      this.shadow = this.host.attachShadow({ mode: "open" });
      this.shadow.append(h("style", { nonce: styleNonce() }, CSS_TEXT));
      this.marks = h("div", { class: "layer", "aria-hidden": "false" });
      this.ui = h("div", { class: "layer" });
      // Polite announcements of what changed, never on every keystroke.
      this.live = h("div", { class: "sr-only", role: "status", "aria-live": "polite" });
      this.alert = h("div", { class: "sr-only", role: "alert" });
      this.shadow.append(this.marks, this.ui, this.live, this.alert);
      document.documentElement.append(this.host);
      this.useHighlights = false;
      this.card = null;
      this.gateHost = null;
    }

    enableHighlights(renderer) {
      this.useHighlights = renderer !== "overlay" && typeof CSS !== "undefined" && !!CSS.highlights && typeof Highlight === "function";
      if (this.useHighlights && !document.getElementById("impartial-highlight-style")) {
        // ::highlight() rules must live in the page's own style scope.
        const style = document.createElement("style");
        style.id = "impartial-highlight-style";
        if (styleNonce()) style.setAttribute("nonce", styleNonce());
        style.textContent = HIGHLIGHT_CSS;
        (document.head || document.documentElement).append(style);
      }
      this.host.setAttribute("data-renderer", this.useHighlights ? "highlight" : "overlay");
    }

    announce(text) {
      // A page with a live region of its own (the playground) takes the announcements: one voice, not two.
      if (typeof root.Impartial.announcer === "function") return root.Impartial.announcer(text);
      if (this.live.textContent !== text) this.live.textContent = text;
    }

    // Our own elements, which hit tests of the page must look through.
    mine() {
      return [this.host, this.gateHost].filter(Boolean);
    }

    // The pre-send dialog: build(dialog) fills it; returns {dialog, close}.
    openGate(build) {
      this.closeGate();
      const host = document.createElement("impartial-gate");
      host.style.cssText = HOST_STYLE;
      const shadow = host.attachShadow({ mode: "closed" });
      const dialog = h("dialog", { role: "alertdialog", "aria-modal": "true" });
      shadow.append(h("style", { nonce: styleNonce() }, GATE_CSS), dialog);
      build(dialog, shadow);
      document.documentElement.append(host);
      this.gateHost = host;
      dialog.showModal(); // top layer: above every z-index, the rest of the page inert
      return { dialog, shadow, close: () => this.closeGate() };
    }

    closeGate() {
      if (!this.gateHost) return;
      this.gateHost.remove();
      this.gateHost = null;
    }
  }

  // -- placing the badge and panels where they hide nothing the officer needs

  const INTERACTIVE = 'a[href], button, input, select, textarea, summary, label, [role="button"], [role="link"], ' +
    '[role="menuitem"], [role="option"], [role="tab"], [role="checkbox"], [role="radio"], [role="switch"], ' +
    '[role="textbox"], [role="combobox"], [role="listbox"], [role="slider"], [contenteditable=""], ' +
    '[contenteditable="true"], [tabindex]:not([tabindex="-1"])';

  function isInteractive(el) {
    if (!(el instanceof Element)) return false;
    if (el.closest(INTERACTIVE)) return true;
    return getComputedStyle(el).cursor === "pointer";
  }

  // What the page has at (x, y), looking through our own layers.
  function pageElementAt(x, y, mine) {
    for (const el of document.elementsFromPoint(x, y)) {
      if (mine.includes(el)) continue;
      return el;
    }
    return null;
  }

  function intersects(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }

  function rectAt(left, top, width, height) {
    return { left, top, width, height, right: left + width, bottom: top + height };
  }

  // A rectangle is free when it is on screen, overlaps none of `avoid`, and
  // no point of a grid over it lands on anything of the page that takes
  // clicks or keys (elementFromPoint, as a click would).
  function isFree(rect, mine, avoid = [], interactiveOk = false) {
    if (rect.left < 0 || rect.top < 0 || rect.right > innerWidth || rect.bottom > innerHeight) return false;
    if (avoid.some((a) => a && intersects(rect, a))) return false;
    if (interactiveOk) return true;
    const cols = Math.max(3, Math.ceil(rect.width / 24)), rows = Math.max(3, Math.ceil(rect.height / 24));
    for (let i = 0; i < cols; i++) {
      for (let j = 0; j < rows; j++) {
        const x = rect.left + 1 + (rect.width - 2) * i / (cols - 1);
        const y = rect.top + 1 + (rect.height - 2) * j / (rows - 1);
        if (isInteractive(pageElementAt(x, y, mine))) return false;
      }
    }
    return true;
  }

  // The badge: beside the editor, on nothing the page uses. Below it (right,
  // then left), outside it (right, then left), above it. The editor's own
  // box is never covered. Returns {left, top, covering}.
  function placeBadge(box, width, height, mine, others = []) {
    const gap = 4;
    const candidates = [
      [box.right - width, box.bottom + gap],
      [box.left, box.bottom + gap],
      [box.right + gap + 2, box.bottom - height],
      [box.right + gap + 2, box.top],
      [box.left - width - gap - 2, box.bottom - height],
      [box.left - width - gap - 2, box.top],
      [box.right - width, box.top - height - gap],
      [box.left, box.top - height - gap],
    ];
    const avoid = [box, ...others];
    for (const [left, top] of candidates) {
      const r = rectAt(left, top, width, height);
      if (isFree(r, mine, avoid)) return { left, top, covering: false };
    }
    // Nowhere free: keep it below the editor but let clicks through to the page.
    const [left, top] = candidates[0];
    return { left: Math.max(0, Math.min(left, innerWidth - width)), top: Math.max(0, Math.min(top, innerHeight - height)), covering: true };
  }

  // A card or list: beside the editor (right, left), beside its dialog or
  // form, else above the line it is about, else below the dialog or the
  // editor. Never over the words or the line after them, and over no control
  // of the page when there is any other choice.
  function placePanel(width, height, editorBox, anchor, mine, scopeBox = editorBox) {
    const clampX = (x) => Math.min(Math.max(4, x), Math.max(4, innerWidth - width - 4));
    const clampY = (y) => Math.min(Math.max(4, y), Math.max(4, innerHeight - height - 4));
    const lineHeight = Math.max(16, anchor.bottom - anchor.top);
    // The words and the next line stay visible whatever happens.
    const keep = { left: Math.min(anchor.left, editorBox.left), right: Math.max(anchor.right, editorBox.right),
                   top: anchor.top, bottom: anchor.bottom + lineHeight };
    const beside = [
      [editorBox.right + 8, clampY(anchor.top - 8)],
      [editorBox.left - width - 8, clampY(anchor.top - 8)],
      [scopeBox.right + 8, clampY(anchor.top - 8)],
      [scopeBox.left - width - 8, clampY(anchor.top - 8)],
    ];
    const around = [
      [clampX(anchor.left), anchor.top - height - 6],
      [clampX(anchor.left), scopeBox.bottom + 6],
      [clampX(scopeBox.right - width), scopeBox.bottom + 6],
      [clampX(anchor.left), scopeBox.top - height - 6],
      [clampX(anchor.left), editorBox.bottom + 6],
      [clampX(anchor.left), keep.bottom + 6],
    ];
    for (const [cands, avoid] of [[beside, [editorBox]], [around, [keep]]]) {
      for (const [left, top] of cands) {
        const r = rectAt(left, top, width, height);
        if (isFree(r, mine, avoid)) return r;
      }
    }
    for (const [left, top] of [...beside, ...around]) {
      const r = rectAt(left, top, width, height);
      if (isFree(r, mine, [keep], true)) return r;
    }
    return rectAt(clampX(anchor.left), clampY(keep.bottom + 6), width, height);
  }

  // Draw one editor's findings: ranges per finding come from the controller.
  function drawMarks(overlay, ctl, items) {
    const keep = new Set();
    const byKey = ctl.markEls || (ctl.markEls = new Map());
    const highlights = { block: [], warn: [], info: [] };
    for (const { finding, range, rects } of items) {
      const key = `${finding.rule_id}:${finding.start}:${finding.end}`;
      keep.add(key);
      if (range && overlay.useHighlights && !ctl.isTextarea) highlights[finding.severity].push(range);
      let group = byKey.get(key);
      if (!group) {
        group = { els: [] };
        byKey.set(key, group);
      }
      group.finding = finding;
      while (group.els.length < rects.length) {
        const first = group.els.length === 0;
        const el = first
          ? h("button", { class: `mark ${finding.severity}`, type: "button", tabindex: "-1",
                          "aria-label": `${SEVERITY[finding.severity].word}, ${categoryName(finding.category)}: ${finding.message} (“${finding.match}”)`,
                          onclick: () => ctl.openCard(finding, el), onkeydown: (e) => ctl.markKey(e, finding) })
          : h("div", { class: `mark ${finding.severity}`, "aria-hidden": "true" });
        overlay.marks.append(el);
        group.els.push(el);
      }
      while (group.els.length > rects.length) group.els.pop().remove();
      group.els.forEach((el, i) => {
        const r = rects[i];
        el.className = `mark ${finding.severity}` + (overlay.useHighlights && !ctl.isTextarea ? "" : " draw " + finding.severity);
        Object.assign(el.style, { left: `${r.left}px`, top: `${r.top}px`, width: `${r.width}px`, height: `${r.height}px` });
        el.dataset.rule = finding.rule_id;
        el.dataset.severity = finding.severity;
        el.dataset.start = finding.start;
        el.dataset.end = finding.end;
        el.dataset.field = ctl.id;
      });
    }
    for (const [key, group] of byKey) {
      if (!keep.has(key)) {
        group.els.forEach((el) => el.remove());
        byKey.delete(key);
      }
    }
    if (overlay.useHighlights && !ctl.isTextarea) {
      for (const sev of Object.keys(highlights)) {
        const name = `impartial-${sev}`;
        const mine = (ctl.highlightRanges = ctl.highlightRanges || {});
        const existing = CSS.highlights.get(name) || new Highlight();
        for (const r of mine[sev] || []) existing.delete(r);
        for (const r of highlights[sev]) existing.add(r);
        mine[sev] = highlights[sev];
        CSS.highlights.set(name, existing);
      }
    }
  }

  function clearHighlights(ctl) {
    if (!ctl.highlightRanges || typeof CSS === "undefined" || !CSS.highlights) return;
    for (const [sev, ranges] of Object.entries(ctl.highlightRanges)) {
      const hl = CSS.highlights.get(`impartial-${sev}`);
      if (hl) for (const r of ranges) hl.delete(r);
    }
    ctl.highlightRanges = {};
  }

  const NOT_CONFIGURED = ["unconfigured", "insecure", "invalid"];

  // The badge stays small: counts by severity, and the length only when it
  // nears the platform's limit. Reading age and length are in its description
  // and in the list.
  function badgeText(state, findings, metrics, problem) {
    if (state === "unavailable" && NOT_CONFIGURED.includes(problem)) {
      return { text: "Not configured", label: "Impartial is not configured, so nothing is checked. Ask your IT team." };
    }
    if (state === "unavailable") return { text: "Checks unavailable", label: "Impartial cannot reach its service; you can keep writing." };
    if (state === "checking" && !findings) return { text: "Checking…", label: "Impartial is checking the post." };
    const n = { block: 0, warn: 0, info: 0 };
    for (const f of findings || []) n[f.severity]++;
    const len = metrics && metrics.length;
    const age = metrics && metrics.readability && metrics.readability.reading_age;
    // [class, icon, words]: the words are visible too, so the accessible name
    // is what a voice-control user sees (WCAG 2.5.3); icons are decoration.
    const parts = [];
    const words = [];
    if (n.block) { parts.push(["block", "⛔", `${n.block} must fix`]); words.push(`${n.block} must fix`); }
    if (n.warn) { parts.push(["warn", "⚠️", `${n.warn} to check`]); words.push(`${n.warn} to check`); }
    if (n.info) { parts.push(["info", "ℹ️", `${n.info} advice`]); words.push(`${n.info} advice`); }
    if (!parts.length) { parts.push(["ok", "✓", "No issues"]); words.push("no issues"); }
    const extra = [];
    if (len && len.limit && len.count > 0.9 * len.limit) extra.push(`${len.count}/${len.limit}`);
    const label = `Impartial: ${words.join(", ")}` + (age ? `; reading age ${age}` : "") +
      (len && len.limit ? `; ${len.count} of ${len.limit} characters` : "") + ".";
    return { parts, extra, label };
  }

  const out = { Overlay, SEVERITY, CATEGORY, categoryName, clause, h, drawMarks, clearHighlights, badgeText,
                placeBadge, placePanel, isFree, pageElementAt, isInteractive };
  root.Impartial = root.Impartial || {};
  root.Impartial.ui = out;
})(typeof globalThis !== "undefined" ? globalThis : this);
