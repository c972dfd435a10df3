// Everything the officer sees, drawn in one open shadow root that lives under
// <html>, never inside an editor: underlines (CSS Custom Highlight API, or
// overlay boxes where it is missing), focusable marks for keyboard users, the
// badge, the finding card, the list of findings and the pre-send dialog.
(function (root) {
  "use strict";

  const SEVERITY = {
    block: { word: "Must fix", icon: "⛔", colour: "#b3261e" },
    warn: { word: "Check", icon: "⚠️", colour: "#8a4b00" },
    info: { word: "Advice", icon: "ℹ️", colour: "#0b57d0" },
  };

  const CSS_TEXT = `
    :host { all: initial; }
    * { box-sizing: border-box; font-family: system-ui, "DejaVu Sans", Arial, sans-serif; }
    .layer { position: fixed; inset: 0; pointer-events: none; }
    .mark { position: fixed; pointer-events: none; background: transparent; border: 0; padding: 0; margin: 0; }
    .mark:focus { outline: 3px solid #1a1a1a; outline-offset: 1px; pointer-events: auto; }
    .draw.block { border-bottom: 3px solid ${SEVERITY.block.colour}; background: rgba(179,38,30,.10); }
    .draw.warn { border-bottom: 2px dashed ${SEVERITY.warn.colour}; }
    .draw.info { border-bottom: 2px dotted ${SEVERITY.info.colour}; }
    .badge { position: fixed; pointer-events: auto; font-size: 13px; line-height: 1; padding: 6px 10px; border-radius: 14px;
             border: 1px solid #5f6368; background: #fff; color: #1f1f1f; cursor: pointer; box-shadow: 0 1px 3px rgba(0,0,0,.2); }
    .badge:focus-visible, button:focus-visible, textarea:focus-visible { outline: 3px solid #1a1a1a; outline-offset: 2px; }
    .badge .block { color: ${SEVERITY.block.colour}; font-weight: 700; }
    .badge .warn { color: ${SEVERITY.warn.colour}; font-weight: 700; }
    .badge[data-state="unavailable"] { color: #5f6368; border-style: dashed; }
    .panel { position: fixed; pointer-events: auto; width: 360px; max-height: 420px; overflow: auto; background: #fff; color: #1f1f1f;
             border: 1px solid #5f6368; border-radius: 8px; padding: 12px 14px; box-shadow: 0 4px 16px rgba(0,0,0,.25); font-size: 14px; line-height: 1.4; }
    .panel h2 { font-size: 15px; margin: 0 0 6px; }
    .panel .sev { font-weight: 700; }
    .panel .sev.block { color: ${SEVERITY.block.colour}; } .panel .sev.warn { color: ${SEVERITY.warn.colour}; } .panel .sev.info { color: ${SEVERITY.info.colour}; }
    .panel .clause { color: #3c4043; font-size: 13px; border-left: 3px solid #dadce0; padding-left: 8px; margin: 8px 0; }
    .panel ul { padding-left: 18px; margin: 6px 0; }
    .actions { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 10px; }
    button { font: inherit; font-size: 13px; padding: 6px 10px; border-radius: 6px; border: 1px solid #5f6368; background: #fff; color: #1f1f1f; cursor: pointer; }
    button.primary { background: #0b57d0; border-color: #0b57d0; color: #fff; }
    button.danger { background: #b3261e; border-color: #b3261e; color: #fff; }
    .scrim { position: fixed; inset: 0; background: rgba(0,0,0,.45); pointer-events: auto; display: flex; align-items: center; justify-content: center; }
    .dialog { position: static; width: 480px; max-height: 80vh; }
    textarea { width: 100%; min-height: 60px; font: inherit; font-size: 14px; margin-top: 4px; }
    .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
  `;

  const HIGHLIGHT_CSS = `
    ::highlight(impartial-block) { text-decoration: underline solid 3px ${SEVERITY.block.colour}; text-underline-offset: 3px; background-color: rgba(179,38,30,.10); }
    ::highlight(impartial-warn) { text-decoration: underline wavy 2px ${SEVERITY.warn.colour}; text-underline-offset: 3px; }
    ::highlight(impartial-info) { text-decoration: underline dotted 2px ${SEVERITY.info.colour}; text-underline-offset: 3px; }
  `;

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") el.className = v;
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (v !== false && v != null) el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) if (c != null) el.append(c.nodeType ? c : document.createTextNode(String(c)));
    return el;
  }

  class Overlay {
    constructor() {
      this.host = document.createElement("impartial-overlay");
      this.host.setAttribute("data-impartial-overlay", "");
      this.shadow = this.host.attachShadow({ mode: "open" });
      this.shadow.append(h("style", {}, CSS_TEXT));
      this.marks = h("div", { class: "layer", "aria-hidden": "false" });
      this.ui = h("div", { class: "layer" });
      // Polite announcements of what changed, never on every keystroke.
      this.live = h("div", { class: "sr-only", role: "status", "aria-live": "polite" });
      this.alert = h("div", { class: "sr-only", role: "alert" });
      this.shadow.append(this.marks, this.ui, this.live, this.alert);
      document.documentElement.append(this.host);
      this.useHighlights = false;
      this.card = null;
    }

    enableHighlights(renderer) {
      this.useHighlights = renderer !== "overlay" && typeof CSS !== "undefined" && !!CSS.highlights && typeof Highlight === "function";
      if (this.useHighlights && !document.getElementById("impartial-highlight-style")) {
        // ::highlight() rules must live in the page's own style scope.
        const style = document.createElement("style");
        style.id = "impartial-highlight-style";
        style.textContent = HIGHLIGHT_CSS;
        (document.head || document.documentElement).append(style);
      }
      this.host.setAttribute("data-renderer", this.useHighlights ? "highlight" : "overlay");
    }

    announce(text) {
      if (this.live.textContent !== text) this.live.textContent = text;
    }
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
                          "aria-label": `${SEVERITY[finding.severity].word}: ${finding.message} (“${finding.match}”)`,
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

  function badgeText(state, findings, metrics) {
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
    if (age) extra.push(`age ${age}`);
    if (len && len.limit) extra.push(`${len.count}/${len.limit}`);
    const label = `Impartial: ${words.join(", ")}` + (age ? `; reading age ${age}` : "") +
      (len && len.limit ? `; ${len.count} of ${len.limit} characters` : "") + ".";
    return { parts, extra, label };
  }

  const out = { Overlay, SEVERITY, h, drawMarks, clearHighlights, badgeText };
  root.Impartial = root.Impartial || {};
  root.Impartial.ui = out;
})(typeof globalThis !== "undefined" ? globalThis : this);
