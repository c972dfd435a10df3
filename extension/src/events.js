// What the officer decided, sent to the service (POST /v1/events, docs/events.md)
// as well as kept in the local audit. Used by the service worker only.
//
// Each event gets its id (a UUID) when it happens and keeps it in the outbox
// (storage.local) until the service has answered 202 for it, so a retry after
// a timeout or a restart sends the same id and the service counts it once.
// An event is sent only to the service that was configured when it happened,
// with that service's key; events for another service wait (and age out).
(function (root) {
  "use strict";
  const OUTBOX = "eventOutbox";
  const OUTBOX_LIMIT = 1000;   // oldest dropped beyond this (a long outage)
  const BATCH = 100;           // the service takes 1..100 events per request
  const TIMEOUT_MS = 5000;
  const CATEGORY = /^[a-z][a-z0-9_]{0,39}$/;

  // The local audit's choices as the service's decisions (docs/events.md).
  const PRESEND = {
    went_back: "back_to_edit",
    prevented: "back_to_edit",
    prevented_unchecked: "back_to_edit",
    posted_unchecked: "posted_unavailable",
  };

  function cleanCategories(list) {
    if (!Array.isArray(list)) return [];
    return Array.from(new Set(list.filter((c) => typeof c === "string" && CATEGORY.test(c)))).slice(0, 20);
  }

  // A local audit entry (background.js auditEntry) as an event, or null when
  // it is not one the service records.
  function toEvent(entry, officer) {
    const base = { id: entry.id, at: entry.at, platform: entry.platform, rule_ids: entry.rules.slice(0, 100),
                   categories: cleanCategories(entry.categories) };
    if (officer) base.officer = officer;
    if (entry.reason) base.reason = entry.reason;
    if (entry.choice === "ignored_must_fix") return Object.assign(base, { type: "ignored", severity: "block" });
    if (entry.choice === "reported_false_flag") return Object.assign(base, { type: "false_flag" });
    let decision = PRESEND[entry.choice];
    if (entry.choice === "posted_anyway") decision = entry.reason ? "posted_with_reason" : "posted_after_warning";
    if (!decision) return null;
    const event = Object.assign(base, { type: "presend", decision });
    if (decision !== "posted_unavailable") event.severity = "block"; // the gate holds must-fix findings only
    return event;
  }

  function newId() {
    return root.crypto.randomUUID();
  }

  // storage: {get(key) -> Promise<obj>, set(obj) -> Promise}; serially(task):
  // the worker's one-writer-at-a-time queue; fetchFn: fetch.
  function makeOutbox({ storage, serially, fetchFn, headersFor, log = () => {} }) {
    let inflight = null;

    async function read() {
      const got = await storage.get(OUTBOX);
      return Array.isArray(got[OUTBOX]) ? got[OUTBOX] : [];
    }

    function add(event, server) {
      return serially(async () => {
        const list = await read();
        if (list.some((e) => e.event.id === event.id)) return; // the same event twice is one event
        list.push({ server, event });
        await storage.set({ [OUTBOX]: list.slice(-OUTBOX_LIMIT) });
      });
    }

    function remove(ids) {
      const gone = new Set(ids);
      return serially(async () => {
        const list = await read();
        await storage.set({ [OUTBOX]: list.filter((e) => !gone.has(e.event.id)) });
      });
    }

    async function post(settings, events) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
      try {
        const res = await fetchFn(`${settings.serverUrl}/v1/events`, {
          method: "POST", headers: headersFor(settings), credentials: "omit", redirect: "error",
          signal: controller.signal, body: JSON.stringify({ events }) });
        let body = null;
        try { body = await res.json(); } catch (e) { /* not JSON */ }
        return { status: res.status, body };
      } catch (e) {
        return { status: 0, body: null }; // unreachable, timed out or redirected: keep and retry later
      } finally {
        clearTimeout(timer);
      }
    }

    // Send what waits for this service, 100 at a time, until it is all taken or
    // the service cannot take more now. Returns how many still wait for it.
    async function sendAll(settings) {
      for (let round = 0; round < 50; round++) {
        const batch = (await read()).filter((e) => e.server === settings.serverUrl).slice(0, BATCH);
        if (!batch.length) return 0;
        const { status, body } = await post(settings, batch.map((e) => e.event));
        if (status === 202) {
          await remove(batch.map((e) => e.event.id)); // accepted or already there: either way, taken
          continue;
        }
        if (status === 400 && body && Number.isInteger(body.index) && batch[body.index]) {
          // That event will never be accepted; the rest of the batch may be.
          log(`event dropped by the service: ${body.detail || "invalid"}`);
          await remove([batch[body.index].event.id]);
          continue;
        }
        break; // offline, 401, 429, 5xx, an older service without /v1/events: try again later
      }
      return (await read()).filter((e) => e.server === settings.serverUrl).length;
    }

    // One flush at a time; a caller during a flush waits for that one and then,
    // if events were added meanwhile, for another.
    async function flush(settings) {
      if (!settings.serverUrl || settings.serverProblem) return null;
      while (inflight) await inflight.catch(() => {});
      inflight = sendAll(settings);
      try {
        return await inflight;
      } finally {
        inflight = null;
      }
    }

    async function pending(server) {
      return (await read()).filter((e) => !server || e.server === server).map((e) => e.event.id);
    }

    return { add, flush, pending, read };
  }

  const out = { toEvent, newId, makeOutbox, OUTBOX, OUTBOX_LIMIT, BATCH };
  root.Impartial = root.Impartial || {};
  root.Impartial.events = out;
  if (typeof module !== "undefined" && module.exports) module.exports = out;
})(typeof globalThis !== "undefined" ? globalThis : this);
