// Platform adapters. Each says only where the composer is, what its submit
// control looks like and which keyboard shortcut sends. Everything else
// (scheduling, drawing, cards, the pre-send gate) is shared and knows nothing
// about any platform.
(function (root) {
  "use strict";
  const ctrlEnter = (e) => e.key === "Enter" && (e.ctrlKey || e.metaKey) && !e.altKey;
  // What a send control says, on every platform: its accessible name or its visible words.
  const SUBMIT_WORDS = /^(post|publish|publish!|schedule|send|share|tweet|reply|post all|toot|comment)( now)?$/i;
  // The composer's own container: a send control outside it is not this composer's.
  const SCOPE = 'form, dialog, [role="dialog"], [aria-modal="true"]';

  const ADAPTERS = [
    { name: "x", platform: "x", hosts: ["x.com", "twitter.com", "mobile.twitter.com", "mobile.x.com"],
      editors: '[data-testid^="tweetTextarea_"] [contenteditable="true"], [data-testid^="tweetTextarea_"][contenteditable="true"]',
      submit: '[data-testid="tweetButtonInline"], [data-testid="tweetButton"]', shortcut: ctrlEnter },
    { name: "facebook", platform: "facebook", hosts: ["www.facebook.com", "facebook.com", "web.facebook.com", "m.facebook.com"],
      editors: '[contenteditable="true"][role="textbox"]',
      submit: '[role="button"][aria-label="Post"], [role="button"][aria-label="Comment"], [role="button"][aria-label="Share now"]' },
    { name: "instagram", platform: "instagram", hosts: ["www.instagram.com", "instagram.com"],
      editors: '[contenteditable="true"][role="textbox"], textarea[aria-label]',
      submit: '[role="button"][aria-label="Share"], [role="button"][aria-label="Post"]' },
    { name: "threads", platform: "threads", hosts: ["www.threads.net", "threads.net", "www.threads.com", "threads.com"],
      editors: '[contenteditable="true"][role="textbox"]', submit: '[role="button"][aria-label="Post"]', shortcut: ctrlEnter },
    { name: "bluesky", platform: "bluesky", hosts: ["bsky.app"],
      editors: '.ProseMirror[contenteditable="true"]', submit: '[data-testid="composerPublishBtn"]', shortcut: ctrlEnter },
    { name: "linkedin", platform: "linkedin", hosts: ["www.linkedin.com", "linkedin.com"],
      editors: '.ql-editor[contenteditable="true"]', submit: "button.share-actions__primary-action" },
    { name: "mastodon", platform: "mastodon", hosts: ["mastodon.social", "mastodon.online", "social.network.europa.eu"],
      editors: "textarea.autosuggest-textarea__textarea, .compose-form textarea",
      submit: '.compose-form button[type="submit"]', shortcut: ctrlEnter },
    // Scheduling tools and any admin-listed domain: the biggest text box on the
    // page, and a button labelled like a send action.
    { name: "generic", platform: "generic", hosts: ["app.hootsuite.com", "publish.buffer.com", "app.sproutsocial.com"],
      editors: 'textarea, [contenteditable="true"], [contenteditable=""]', submit: null, shortcut: ctrlEnter },
  ];

  function forHost(hostname, extraDomains) {
    const host = hostname.toLowerCase();
    for (const a of ADAPTERS) if (a.hosts.includes(host)) return a;
    if ((extraDomains || []).map((d) => d.toLowerCase()).includes(host)) {
      // Mastodon instances share Mastodon's composer markup.
      return document.querySelector(".compose-form") ? ADAPTERS.find((a) => a.name === "mastodon") : ADAPTERS.find((a) => a.name === "generic");
    }
    return null;
  }

  function findEditors(adapter, doc) {
    return Array.from(doc.querySelectorAll(adapter.editors)).filter((el) => {
      if (adapter.name !== "generic") return true;
      const r = el.getBoundingClientRect(); // ignore search boxes and tiny fields
      return r.width >= 200 && r.height >= 40;
    }).filter((el) => !el.parentElement || !el.parentElement.closest('[contenteditable="true"]'));
  }

  const squash = (s) => String(s || "").replace(/\s+/g, " ").trim();

  // The name assistive technology reads for a control (the common cases of
  // the accessible-name computation: aria-labelledby, aria-label, value, text).
  function accessibleName(el) {
    const ids = (el.getAttribute("aria-labelledby") || "").split(/\s+/).filter(Boolean);
    const byIds = ids.map((id) => { const t = el.ownerDocument.getElementById(id); return t ? t.textContent : ""; }).join(" ");
    return squash(byIds) || squash(el.getAttribute("aria-label")) || squash(el.tagName === "INPUT" ? el.value : "") || squash(el.textContent);
  }

  function visibleText(el) {
    return squash(el.tagName === "INPUT" ? el.value : el.innerText);
  }

  // The composer container a control or editor belongs to: its dialog or form,
  // else the nearest ancestor that holds an editor.
  function scopeOf(node, editors) {
    const scope = node.closest(SCOPE);
    if (scope && editors.some((ed) => scope.contains(ed))) return scope;
    if (scope) return null;
    // No dialog or form: the composer's block, a few levels up at most (a
    // "Reply" far away in the timeline is not this composer's).
    let depth = 0;
    for (let a = node.parentElement; a && a !== node.ownerDocument.documentElement && depth < 6; a = a.parentElement, depth++) {
      if (editors.some((ed) => a.contains(ed))) return a;
    }
    return null;
  }

  // The submit control a click or key press landed on, if any: the platform's
  // own control, or any button whose name or visible words say "Post",
  // "Share"... inside a composer's own dialog or form.
  function submitControl(adapter, target, editors = []) {
    if (!(target instanceof Element)) return null;
    if (adapter.submit) {
      const own = target.closest(adapter.submit);
      if (own) return own;
    }
    const btn = target.closest('button, [role="button"], input[type="submit"], input[type="button"]');
    if (!btn || editors.some((ed) => ed.contains(btn))) return null;
    if (!SUBMIT_WORDS.test(accessibleName(btn)) && !SUBMIT_WORDS.test(visibleText(btn))) return null;
    return scopeOf(btn, editors) ? btn : null;
  }

  const out = { ADAPTERS, SUBMIT_WORDS, forHost, findEditors, submitControl, scopeOf, accessibleName };
  root.Impartial = root.Impartial || {};
  root.Impartial.adapters = out;
})(typeof globalThis !== "undefined" ? globalThis : this);
