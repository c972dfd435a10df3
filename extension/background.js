// Service worker: the only place that talks to the Impartial service. Content
// scripts cannot make this request themselves (it would be the page's origin,
// subject to the page's CSP and CORS), and they must never see the API key.
"use strict";
if (typeof importScripts === "function" && !(self.Impartial && self.Impartial.settings && self.Impartial.events)) {
  importScripts("src/settings.js", "src/events.js");
}
const ext = self.browser || self.chrome;
const inflight = new Map(); // field key -> AbortController: one check per field at a time
const REQUEST_TIMEOUT_MS = 5000;
const LOG_LIMIT = 500;
const REASON_LIMIT = 500;
const CHOICES = ["went_back", "posted_anyway", "prevented", "posted_unchecked", "prevented_unchecked", "ignored_must_fix"];
const RULE_ID = /^[A-Za-z0-9_.:-]{1,120}$/;
const CATEGORY = /^[a-z][a-z0-9_]{0,39}$/;

// Content scripts run inside pages that may be hostile: keep the key, the
// audit and the report queue out of their reach where the browser allows it
// (Chrome 102+ for some areas; elsewhere the content scripts simply never ask).
const accessLevels = {};
for (const area of ["local", "sync"]) {
  try {
    const p = ext.storage[area].setAccessLevel && ext.storage[area].setAccessLevel({ accessLevel: "TRUSTED_CONTEXTS" });
    if (p && p.then) p.then(() => { accessLevels[area] = "TRUSTED_CONTEXTS"; }, (e) => { accessLevels[area] = `unsupported: ${e && e.message}`; });
    else accessLevels[area] = "unsupported";
  } catch (e) {
    accessLevels[area] = `unsupported: ${e && e.message}`;
  }
}

// One read-modify-write of storage at a time: two appends that overlap would
// each read the old list and the second write would drop the first entry.
let storageQueue = Promise.resolve();
function serially(task) {
  const run = storageQueue.then(task);
  storageQueue = run.catch(() => {});
  return run;
}

function appendLog(key, entry) {
  return serially(async () => {
    const got = await ext.storage.local.get(key);
    const list = Array.isArray(got[key]) ? got[key] : [];
    list.push(entry);
    await ext.storage.local.set({ [key]: list.slice(-LOG_LIMIT) });
  });
}

// An audit entry as the worker records it: only known fields, of known shapes;
// host, enforcement and time come from the worker, not from the page.
function auditEntry(raw, sender, settings) {
  if (!raw || typeof raw !== "object") return null;
  if (!CHOICES.includes(raw.choice)) return null;
  if (!self.Impartial.settings.PLATFORMS.includes(raw.platform)) return null;
  const rules = raw.rules === undefined ? [] : raw.rules;
  if (!Array.isArray(rules) || rules.length > 50 || !rules.every((r) => typeof r === "string" && RULE_ID.test(r))) return null;
  const reason = raw.reason === undefined || raw.reason === null ? "" : raw.reason;
  if (typeof reason !== "string" || reason.length > REASON_LIMIT) return null;
  const categories = raw.categories === undefined ? [] : raw.categories;
  if (!Array.isArray(categories) || categories.length > 50 || !categories.every((c) => typeof c === "string" && CATEGORY.test(c))) return null;
  const rulebook = typeof raw.rulebook === "string" && raw.rulebook.length <= 64 ? raw.rulebook : null;
  return { id: self.Impartial.events.newId(), at: new Date().toISOString(), host: hostOf(sender), platform: raw.platform,
           enforcement: settings.enforcement, choice: raw.choice, reason: reason.trim(), rules: Array.from(new Set(rules)),
           categories: Array.from(new Set(categories)), rulebook };
}

function hostOf(sender) {
  try { return new URL(sender.url || (sender.tab && sender.tab.url) || "").hostname; } catch (e) { return ""; }
}

// Severity of each rule, per rulebook digest, to know whether a rule the
// service skipped ("incomplete") was a must-fix one.
let severities = { digest: null, map: null };
async function mustFixSkipped(settings, result) {
  const skipped = Array.isArray(result.incomplete) ? result.incomplete : [];
  if (!skipped.length) return [];
  const digest = result.rulebook && result.rulebook.digest;
  if (!severities.map || severities.digest !== digest) {
    try {
      const res = await fetch(`${settings.serverUrl}/v1/rules`, { headers: headersFor(settings), credentials: "omit", redirect: "error" });
      const book = res.ok ? await res.json() : null;
      severities = book ? { digest, map: new Map(book.rules.map((r) => [r.id, r.severity])) } : { digest: null, map: null };
    } catch (e) {
      severities = { digest: null, map: null };
    }
  }
  // A rule whose severity cannot be learned counts as must-fix.
  return skipped.filter((id) => !severities.map || (severities.map.get(id) || "block") === "block");
}

async function check(msg, sender) {
  const { settings } = await self.Impartial.settings.load();
  if (settings.serverProblem) return { ok: false, error: settings.serverProblem };
  const key = `${sender.tab ? sender.tab.id : "x"}:${sender.frameId || 0}:${msg.fieldId}`;
  const previous = inflight.get(key);
  if (previous) previous.abort(); // the newer text replaces it
  const controller = new AbortController();
  inflight.set(key, controller);
  // A slow service must end in "unavailable", not look like a superseded check
  // (which the page silently ignores and would leave the badge "checking").
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; controller.abort(); }, REQUEST_TIMEOUT_MS);
  try {
    const res = await fetch(`${settings.serverUrl}/v1/check`, {
      method: "POST", headers: headersFor(settings), signal: controller.signal, credentials: "omit",
      redirect: "error", // never resend the draft and the key to wherever a redirect points
      body: JSON.stringify({ text: msg.text, platform: msg.platform, context: { election_period: !!settings.electionPeriod } }),
    });
    if (!res.ok) return { ok: false, error: res.status === 401 || res.status === 403 ? "unauthorised" : "http", status: res.status };
    const result = await res.json();
    result.unchecked_must_fix = await mustFixSkipped(settings, result);
    outbox.flush(settings); // the service is reachable: send what was kept while it was not
    return { ok: true, result };
  } catch (e) {
    return { ok: false, error: timedOut ? "timeout" : controller.signal.aborted ? "aborted" : "unavailable" };
  } finally {
    clearTimeout(timer);
    if (inflight.get(key) === controller) inflight.delete(key);
  }
}

function headersFor(settings) {
  const headers = { "Content-Type": "application/json" };
  if (settings.apiKey) headers.Authorization = `Bearer ${settings.apiKey}`;
  return headers;
}

// The service's copy of the audit: every entry becomes an event in the outbox
// (src/events.js), sent now if the service answers, else when it is back.
const outbox = self.Impartial.events.makeOutbox({
  storage: ext.storage.local, serially, fetchFn: (...a) => fetch(...a), headersFor,
  log: (m) => console.warn(`Impartial: ${m}`),
});

// A pseudonymous id for this officer: IT may set one by policy (officerId),
// else one random id per installation. Never a name or an address.
async function officerId() {
  try {
    const managed = ext.storage.managed && (await ext.storage.managed.get("officerId"));
    const id = managed && managed.officerId;
    if (typeof id === "string" && /^[A-Za-z0-9_.:@-]{1,64}$/.test(id)) return id;
  } catch (e) { /* no policy */ }
  return serially(async () => {
    const got = await ext.storage.local.get("officerId");
    if (got.officerId) return got.officerId;
    const id = self.Impartial.events.newId();
    await ext.storage.local.set({ officerId: id });
    return id;
  });
}

// Kept locally for the officer (the options page), and queued for the service
// that is configured now; sent at once when it answers.
async function record(entry, settings) {
  const sendable = settings.serverUrl && !settings.serverProblem;
  const event = sendable ? self.Impartial.events.toEvent(entry, await officerId()) : null;
  if (!event) delete entry.id; // the options page shows it as not sent
  await appendLog("audit", entry);
  if (!event) return false;
  await outbox.add(event, settings.serverUrl);
  await outbox.flush(settings);
  return !(await outbox.pending(settings.serverUrl)).includes(event.id);
}

async function feedback(msg, sender) {
  const { settings } = await self.Impartial.settings.load();
  if (typeof msg.rule_id !== "string" || !RULE_ID.test(msg.rule_id) || !self.Impartial.settings.PLATFORMS.includes(msg.platform)) {
    return { ok: false, error: "invalid" };
  }
  const category = typeof msg.category === "string" && CATEGORY.test(msg.category) ? [msg.category] : [];
  const entry = { id: self.Impartial.events.newId(), at: new Date().toISOString(), host: hostOf(sender), platform: msg.platform,
                  enforcement: settings.enforcement, choice: "reported_false_flag", reason: "", rules: [msg.rule_id],
                  categories: category, rulebook: null };
  return { ok: true, sent: await record(entry, settings) };
}

// Reports kept by an older version (POST /v1/feedback while offline) join the outbox once.
async function adoptOldFeedbackQueue() {
  const { settings } = await self.Impartial.settings.load();
  const old = (await ext.storage.local.get("feedbackQueue")).feedbackQueue;
  if (!Array.isArray(old)) return;
  if (settings.serverUrl && !settings.serverProblem) {
    const officer = await officerId();
    for (const r of old) {
      if (typeof r.rule_id !== "string" || !RULE_ID.test(r.rule_id)) continue;
      const entry = { id: self.Impartial.events.newId(), at: r.at || new Date().toISOString(), platform: r.platform,
                      choice: "reported_false_flag", reason: "", rules: [r.rule_id], categories: [] };
      await outbox.add(self.Impartial.events.toEvent(entry, officer), settings.serverUrl);
    }
  }
  await ext.storage.local.remove("feedbackQueue");
}

async function flushEvents() {
  const { settings } = await self.Impartial.settings.load();
  return outbox.flush(settings);
}

// What content scripts get: everything but the API key, which only this
// worker ever sends (to the service).
async function settingsForPage() {
  const loaded = await self.Impartial.settings.load();
  const { apiKey, ...settings } = loaded.settings;
  return Object.assign({}, loaded, { settings, locked: loaded.locked.filter((k) => k !== "apiKey") });
}

ext.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (sender.id !== ext.runtime.id) return false;
  const handle = {
    check: () => check(msg, sender),
    settings: () => settingsForPage(),
    feedback: () => feedback(msg, sender),
    // Audit of pre-send decisions: rule ids, categories, choice, reason, time, platform. Never the post.
    audit: async () => {
      const { settings } = await self.Impartial.settings.load();
      const entry = auditEntry(msg.entry, sender, settings);
      if (!entry) return { ok: false, error: "invalid" };
      return { ok: true, sent: await record(entry, settings) };
    },
  }[msg && msg.type];
  if (!handle) return false;
  handle().then(sendResponse, (e) => sendResponse({ ok: false, error: String(e) }));
  return true; // answer asynchronously
});

// Content scripts may have no storage access of their own: tell them when
// settings change (a new key after "key refused", a new service, a new mode).
async function tellContentScripts() {
  if (!ext.tabs || !ext.tabs.query) return;
  let tabs = [];
  try { tabs = await ext.tabs.query({}); } catch (e) { return; }
  for (const tab of tabs) {
    try {
      const p = ext.tabs.sendMessage(tab.id, { type: "settingsChanged" });
      if (p && p.catch) p.catch(() => {});
    } catch (e) { /* no content script in that tab */ }
  }
}

// Admin-listed extra domains (Mastodon instances, scheduling tools) get the
// same content scripts, where the browser has granted the host permission.
async function registerExtraDomains() {
  if (!ext.scripting || !ext.scripting.registerContentScripts) return;
  const { settings } = await self.Impartial.settings.load();
  const matches = (settings.extraDomains || []).filter((d) => /^[a-z0-9.-]+$/i.test(d)).map((d) => `https://${d}/*`);
  try { await ext.scripting.unregisterContentScripts({ ids: ["impartial-extra"] }); } catch (e) { /* none yet */ }
  if (!matches.length) return;
  try {
    await ext.scripting.registerContentScripts([{
      id: "impartial-extra", matches, allFrames: true, runAt: "document_idle",
      js: ["src/textmodel.js", "src/settings.js", "src/adapters.js", "src/ui.js", "src/content.js"],
    }]);
  } catch (e) { /* no permission for those hosts yet: the options page asks */ }
}
ext.storage.onChanged.addListener((changes, area) => {
  // Local storage holds the audit log and the report queue, and the API key:
  // only a new key is a reason to check again.
  if (area === "local" && !("apiKey" in changes)) return;
  if (area !== "local") registerExtraDomains();
  tellContentScripts();
});
ext.runtime.onInstalled.addListener(registerExtraDomains);
// Each time the worker starts (the browser opened, or woken by a page): send what waits.
adoptOldFeedbackQueue().then(flushEvents).catch(() => {});
// Granting a host on the options page makes its content scripts start.
if (ext.permissions && ext.permissions.onAdded) ext.permissions.onAdded.addListener(registerExtraDomains);
ext.runtime.onStartup && ext.runtime.onStartup.addListener(registerExtraDomains);
// The toolbar button opens the settings.
if (ext.action && ext.action.onClicked) ext.action.onClicked.addListener(() => ext.runtime.openOptionsPage());
