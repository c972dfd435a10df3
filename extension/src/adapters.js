// Platform adapters. Each says only where the composer is, what its submit
// control looks like and which keyboard shortcut sends. Everything else
// (scheduling, drawing, cards, the pre-send gate) is shared and knows nothing
// about any platform.
(function (root) {
  "use strict";
  const ctrlEnter = (e) => e.key === "Enter" && (e.ctrlKey || e.metaKey) && !e.altKey;
  const SUBMIT_WORDS = /^(post|publish|publish!|schedule|send|share|tweet|reply|post all|toot)( now)?$/i;

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

  // The submit control a click landed on, if any.
  function submitControl(adapter, target) {
    if (!(target instanceof Element)) return null;
    if (adapter.submit) return target.closest(adapter.submit);
    const btn = target.closest('button, [role="button"], input[type="submit"]');
    if (!btn) return null;
    const label = (btn.getAttribute("aria-label") || btn.value || btn.textContent || "").trim();
    return SUBMIT_WORDS.test(label) ? btn : null;
  }

  const out = { ADAPTERS, forHost, findEditors, submitControl };
  root.Impartial = root.Impartial || {};
  root.Impartial.adapters = out;
})(typeof globalThis !== "undefined" ? globalThis : this);
