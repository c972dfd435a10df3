// Effective settings: IT policy (chrome.storage.managed) wins over the
// officer's options page (chrome.storage.sync), which wins over defaults.
// Shared by the service worker, the content scripts and the options page.
(function (root) {
  "use strict";
  const api = root.browser || root.chrome;
  const PLATFORMS = ["x", "facebook", "linkedin", "instagram", "threads", "bluesky", "mastodon", "generic"];
  const DEFAULTS = Object.freeze({
    // No default service: drafts go nowhere until IT (or the officer) names one.
    serverUrl: "",
    apiKey: "",
    enforcement: "confirm",          // advise | confirm | prevent
    failClosed: false,               // prevent: hold posts that could not be checked
    platforms: PLATFORMS,            // which adapters run
    extraDomains: [],                // Mastodon instances and scheduling tools
    allowUserChanges: true,          // may officers change these on the options page?
    electionPeriod: false,           // pre-election rules on
    renderer: "auto",                // auto (CSS Highlight API when available) | overlay
    debounceMs: 250,
  });
  const KEYS = Object.keys(DEFAULTS);

  // Plain http only to this computer: anything else would carry the API key
  // and every draft in cleartext.
  const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;
  function checkServerUrl(raw) {
    const value = String(raw || "").trim();
    if (!value) return { url: "", problem: "unconfigured" };
    let u;
    try { u = new URL(value); } catch (e) { return { url: "", problem: "invalid" }; }
    if (u.username || u.password || u.search || u.hash) return { url: "", problem: "invalid" };
    if (u.protocol === "https:") return { url: (u.origin + u.pathname).replace(/\/+$/, ""), problem: null };
    if (u.protocol === "http:") {
      if (LOOPBACK.test(u.hostname)) return { url: (u.origin + u.pathname).replace(/\/+$/, ""), problem: null };
      return { url: "", problem: "insecure" };
    }
    return { url: "", problem: "invalid" };
  }

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
      return {}; // Firefox without policies.json, a managed schema error, or a content script without access
    }
  }

  // {settings, locked: [keys set by policy], userAllowed}. settings.serverProblem
  // says why there is no usable service URL ("unconfigured", "insecure", "invalid").
  async function load() {
    const managed = await readArea("managed");
    const user = await readArea("sync");
    // The officer's API key stays on this device (storage.local): storage.sync
    // would copy it to the browser vendor's sync servers. An older key left in
    // sync still counts until the options page is saved again.
    const local = await readArea("local");
    if (local.apiKey !== undefined) user.apiKey = local.apiKey;
    delete user.failClosed; // only IT can make checks mandatory
    const userAllowed = managed.allowUserChanges !== false;
    const settings = Object.assign({}, DEFAULTS, userAllowed ? user : {}, managed);
    const server = checkServerUrl(settings.serverUrl);
    settings.serverUrl = server.url;
    settings.serverProblem = server.problem;
    if (!["advise", "confirm", "prevent"].includes(settings.enforcement)) settings.enforcement = DEFAULTS.enforcement;
    settings.failClosed = settings.failClosed === true;
    return { settings, locked: Object.keys(managed), userAllowed };
  }

  const out = { DEFAULTS, PLATFORMS, KEYS, load, checkServerUrl };
  root.Impartial = root.Impartial || {};
  root.Impartial.settings = out;
  if (typeof module !== "undefined" && module.exports) module.exports = out;
})(typeof globalThis !== "undefined" ? globalThis : this);
