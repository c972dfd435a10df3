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
  const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  const headers = { "Content-Type": "application/json" };
  if (settings.apiKey) headers.Authorization = `Bearer ${settings.apiKey}`;
  try {
    const res = await fetch(`${settings.serverUrl}/v1/check`, {
      method: "POST", headers, signal: controller.signal, credentials: "omit",
      body: JSON.stringify({ text: msg.text, platform: msg.platform, context: { election_period: !!settings.electionPeriod } }),
    });
    if (!res.ok) return { ok: false, error: "http", status: res.status };
    return { ok: true, result: await res.json() };
  } catch (e) {
    return { ok: false, error: controller.signal.aborted ? "aborted" : "unavailable" };
  } finally {
    clearTimeout(timer);
    if (inflight.get(key) === controller) inflight.delete(key);
  }
}

async function feedback(msg) {
  const { settings } = await self.Impartial.settings.load();
  const body = { rule_id: msg.rule_id, kind: "false_positive", platform: msg.platform };
  const headers = { "Content-Type": "application/json" };
  if (settings.apiKey) headers.Authorization = `Bearer ${settings.apiKey}`;
  try {
    const res = await fetch(`${settings.serverUrl}/v1/feedback`, { method: "POST", headers, body: JSON.stringify(body) });
    if (res.ok) return { ok: true, sent: true };
  } catch (e) { /* kept locally below */ }
  await appendLog("feedback", Object.assign({ at: new Date().toISOString() }, body));
  return { ok: true, sent: false };
}

ext.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  const handle = {
    check: () => check(msg, sender),
    settings: () => self.Impartial.settings.load(),
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
ext.runtime.onStartup && ext.runtime.onStartup.addListener(registerExtraDomains);
// The toolbar button opens the settings.
if (ext.action && ext.action.onClicked) ext.action.onClicked.addListener(() => ext.runtime.openOptionsPage());
