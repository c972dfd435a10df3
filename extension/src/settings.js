// Effective settings: IT policy (chrome.storage.managed) wins over the
// officer's options page (chrome.storage.sync), which wins over defaults.
// Shared by the service worker, the content scripts and the options page.
(function (root) {
  "use strict";
  const api = root.browser || root.chrome;
  const PLATFORMS = ["x", "facebook", "linkedin", "instagram", "threads", "bluesky", "mastodon", "generic"];
  const DEFAULTS = Object.freeze({
    serverUrl: "http://127.0.0.1:8000",
    apiKey: "",
    enforcement: "confirm",          // advise | confirm | prevent
    platforms: PLATFORMS,            // which adapters run
    extraDomains: [],                // Mastodon instances and scheduling tools
    allowUserChanges: true,          // may officers change these on the options page?
    electionPeriod: false,           // pre-election rules on
    renderer: "auto",                // auto (CSS Highlight API when available) | overlay
    debounceMs: 250,
  });
  const KEYS = Object.keys(DEFAULTS);

  function clean(obj) {
    const out = {};
    for (const k of KEYS) if (obj && obj[k] !== undefined) out[k] = obj[k];
    return out;
  }

  async function readArea(area) {
    try {
      if (!api || !api.storage || !api.storage[area]) return {};
      return clean(await api.storage[area].get(KEYS));
    } catch (e) {
      return {}; // Firefox without policies.json, or a managed schema error
    }
  }

  // {settings, locked: [keys set by policy], userAllowed}
  async function load() {
    const managed = await readArea("managed");
    const user = await readArea("sync");
    // The officer's API key stays on this device (storage.local): storage.sync
    // would copy it to the browser vendor's sync servers. An older key left in
    // sync still counts until the options page is saved again.
    const local = await readArea("local");
    if (local.apiKey !== undefined) user.apiKey = local.apiKey;
    const userAllowed = managed.allowUserChanges !== false;
    const settings = Object.assign({}, DEFAULTS, userAllowed ? user : {}, managed);
    settings.serverUrl = String(settings.serverUrl || DEFAULTS.serverUrl).replace(/\/+$/, "");
    if (!["advise", "confirm", "prevent"].includes(settings.enforcement)) settings.enforcement = DEFAULTS.enforcement;
    return { settings, locked: Object.keys(managed), userAllowed };
  }

  const out = { DEFAULTS, PLATFORMS, KEYS, load };
  root.Impartial = root.Impartial || {};
  root.Impartial.settings = out;
  if (typeof module !== "undefined" && module.exports) module.exports = out;
})(typeof globalThis !== "undefined" ? globalThis : this);
