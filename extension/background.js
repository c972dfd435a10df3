// Service worker: the only place that talks to the Impartial service. Content
// scripts cannot make this request themselves (it would be the page's origin,
// subject to the page's CSP and CORS), and they must never see the API key.
"use strict";
if (typeof importScripts === "function" && !(self.Impartial && self.Impartial.settings)) {
  importScripts("src/settings.js");
}
const ext = self.browser || self.chrome;
const inflight = new Map(); // field key -> AbortController: one check per field at a time
const REQUEST_TIMEOUT_MS = 5000;
const LOG_LIMIT = 500;

async function appendLog(key, entry) {
  const got = await ext.storage.local.get(key);
  const list = got[key] || [];
  list.push(entry);
  await ext.storage.local.set({ [key]: list.slice(-LOG_LIMIT) });
}

async function check(msg, sender) {
  const { settings } = await self.Impartial.settings.load();
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
      body: JSON.stringify({ text: msg.text, platform: msg.platform, context: { election_period: !!settings.electionPeriod } }),
    });
    if (!res.ok) return { ok: false, error: res.status === 401 || res.status === 403 ? "unauthorised" : "http", status: res.status };
    const result = await res.json();
    flushFeedback(settings); // the service is reachable: send reports kept while it was not
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

async function postFeedback(settings, body) {
  try {
    const res = await fetch(`${settings.serverUrl}/v1/feedback`, {
      method: "POST", headers: headersFor(settings), credentials: "omit", body: JSON.stringify(body) });
    // 4xx other than auth means the service will never take this report (e.g. no such
    // endpoint on an older service): drop it from the queue rather than retry forever.
    return res.ok || (res.status >= 400 && res.status < 500 && res.status !== 401 && res.status !== 403 && res.status !== 429);
  } catch (e) {
    return false;
  }
}

async function feedback(msg) {
  const { settings } = await self.Impartial.settings.load();
  const body = { rule_id: msg.rule_id, kind: "false_positive", platform: msg.platform };
  if (await postFeedback(settings, body)) return { ok: true, sent: true };
  await appendLog("feedbackQueue", Object.assign({ at: new Date().toISOString() }, body));
  return { ok: true, sent: false };
}

// Reports made during an outage go out once a check succeeds again. One flush
// at a time; entries are removed only after the service has taken them.
let flushing = false;
async function flushFeedback(settings) {
  if (flushing) return;
  flushing = true;
  try {
    const queue = (await ext.storage.local.get("feedbackQueue")).feedbackQueue || [];
    if (!queue.length) return;
    let sent = 0;
    for (const entry of queue) {
      const { at, ...body } = entry;
      if (!(await postFeedback(settings, body))) break;
      sent++;
    }
    if (sent) {
      // Re-read: a report may have been queued while these were being sent.
      const now = (await ext.storage.local.get("feedbackQueue")).feedbackQueue || [];
      await ext.storage.local.set({ feedbackQueue: now.slice(sent) });
    }
  } finally {
    flushing = false;
  }
}

// What content scripts get: everything but the API key, which only this
// worker ever sends (to the service).
async function settingsForPage() {
  const loaded = await self.Impartial.settings.load();
  const { apiKey, ...settings } = loaded.settings;
  return Object.assign({}, loaded, { settings, locked: loaded.locked.filter((k) => k !== "apiKey") });
}

ext.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  const handle = {
    check: () => check(msg, sender),
    settings: () => settingsForPage(),
    feedback: () => feedback(msg),
    // Audit of pre-send decisions: rule ids, choice, reason, time, platform. Never the post.
    audit: () => appendLog("audit", msg.entry).then(() => ({ ok: true })),
  }[msg && msg.type];
  if (!handle) return false;
  handle().then(sendResponse, (e) => sendResponse({ ok: false, error: String(e) }));
  return true; // answer asynchronously
});

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
ext.storage.onChanged.addListener((changes, area) => { if (area !== "local") registerExtraDomains(); });
ext.runtime.onInstalled.addListener(registerExtraDomains);
// Granting a host on the options page makes its content scripts start.
if (ext.permissions && ext.permissions.onAdded) ext.permissions.onAdded.addListener(registerExtraDomains);
ext.runtime.onStartup && ext.runtime.onStartup.addListener(registerExtraDomains);
// The toolbar button opens the settings.
if (ext.action && ext.action.onClicked) ext.action.onClicked.addListener(() => ext.runtime.openOptionsPage());
