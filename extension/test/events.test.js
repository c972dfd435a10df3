"use strict";
// The event outbox (src/events.js): what the service worker sends to POST /v1/events,
// how the local audit maps onto the events contract, and how retries keep their ids.
const test = require("node:test");
const assert = require("node:assert/strict");
const { toEvent, makeOutbox, OUTBOX } = require("../src/events.js");

const SERVER = "http://127.0.0.1:9";
const settings = { serverUrl: SERVER, serverProblem: null, apiKey: "k" };

function memoryStorage() {
  const data = {};
  return {
    data,
    async get(key) { return key in data ? { [key]: JSON.parse(JSON.stringify(data[key])) } : {}; },
    async set(obj) { Object.assign(data, JSON.parse(JSON.stringify(obj))); },
  };
}

function serialiser() {
  let q = Promise.resolve();
  return (task) => { const run = q.then(task); q = run.catch(() => {}); return run; };
}

// A fake service: answers with `answer(events)` ({status, body}) or throws when `down`.
function fakeService() {
  const svc = { down: false, calls: [], seen: new Set(), answer: null };
  svc.fetch = async (url, init) => {
    const events = JSON.parse(init.body).events;
    svc.calls.push({ url, init, ids: events.map((e) => e.id) });
    if (svc.down) throw new TypeError("Failed to fetch");
    const custom = svc.answer && svc.answer(events);
    if (custom) return { status: custom.status, json: async () => custom.body };
    let accepted = 0, duplicates = 0;
    for (const e of events) { if (svc.seen.has(e.id)) duplicates++; else { svc.seen.add(e.id); accepted++; } }
    return { status: 202, json: async () => ({ accepted, duplicates }) };
  };
  return svc;
}

function setup() {
  const storage = memoryStorage();
  const svc = fakeService();
  const box = makeOutbox({ storage, serially: serialiser(), fetchFn: svc.fetch,
                           headersFor: (s) => ({ "Content-Type": "application/json", Authorization: `Bearer ${s.apiKey}` }) });
  return { storage, svc, box };
}

function event(n) {
  return { id: `event-${String(n).padStart(4, "0")}`, type: "false_flag", at: "2026-11-30T12:00:00.000Z",
           platform: "x", rule_ids: ["r.one"], categories: ["attack"] };
}

const entry = (choice, extra = {}) => Object.assign({ id: "3f2c1a9e-5b7d-4c1e-9a2b-0d6e8f7a1b2c", at: "2026-11-30T12:00:00.000Z",
  platform: "facebook", choice, reason: "", rules: ["attack.shaming"], categories: ["attack"] }, extra);

test("each local audit choice maps onto the events contract", () => {
  assert.deepEqual(toEvent(entry("posted_anyway", { reason: "Quoting the minister" }), "officer-1"), {
    id: "3f2c1a9e-5b7d-4c1e-9a2b-0d6e8f7a1b2c", at: "2026-11-30T12:00:00.000Z", platform: "facebook",
    rule_ids: ["attack.shaming"], categories: ["attack"], officer: "officer-1", reason: "Quoting the minister",
    type: "presend", decision: "posted_with_reason", severity: "block" });
  assert.equal(toEvent(entry("posted_anyway"), "o").decision, "posted_after_warning");
  for (const c of ["went_back", "prevented", "prevented_unchecked"]) assert.equal(toEvent(entry(c), "o").decision, "back_to_edit");
  const unchecked = toEvent(entry("posted_unchecked", { categories: [] }), "o");
  assert.equal(unchecked.decision, "posted_unavailable");
  assert.equal(unchecked.severity, undefined);
  const ignored = toEvent(entry("ignored_must_fix", { reason: "A quotation" }), "o");
  assert.equal(ignored.type, "ignored");
  assert.equal(ignored.decision, undefined);
  assert.equal(ignored.reason, "A quotation");
  assert.equal(toEvent(entry("reported_false_flag"), "o").type, "false_flag");
  assert.equal(toEvent(entry("something_else"), "o"), null);
  assert.deepEqual(toEvent(entry("went_back", { categories: ["attack", "attack", "Bad Cat", 3] }), "o").categories, ["attack"]);
});

test("a sent event leaves the outbox; the request goes to the configured service with its key", async () => {
  const { storage, svc, box } = setup();
  await box.add(event(1), SERVER);
  assert.equal(await box.flush(settings), 0);
  assert.deepEqual(storage.data[OUTBOX], []);
  assert.equal(svc.calls.length, 1);
  const { url, init } = svc.calls[0];
  assert.equal(url, `${SERVER}/v1/events`);
  assert.equal(init.method, "POST");
  assert.equal(init.headers.Authorization, "Bearer k");
  assert.equal(init.credentials, "omit");
  assert.equal(init.redirect, "error");
});

test("while the service is unreachable events wait, then go with the same ids, once each", async () => {
  const { svc, box } = setup();
  svc.down = true;
  for (let i = 0; i < 3; i++) await box.add(event(i), SERVER);
  assert.equal(await box.flush(settings), 3);
  assert.equal(await box.flush(settings), 3);
  svc.down = false;
  assert.equal(await box.flush(settings), 0);
  const sent = svc.calls.map((c) => c.ids);
  assert.deepEqual(sent, [["event-0000", "event-0001", "event-0002"], ["event-0000", "event-0001", "event-0002"],
                          ["event-0000", "event-0001", "event-0002"]]);
  assert.equal(svc.seen.size, 3);
  assert.equal(await box.flush(settings), 0);
  assert.equal(svc.calls.length, 3); // nothing left: no request
});

test("a lost answer means a retry, which the service counts as duplicates, never twice", async () => {
  const svc = fakeService();
  let lose = true;
  const realFetch = svc.fetch;
  const flaky = async (url, init) => {
    const res = await realFetch(url, init);
    if (lose) { lose = false; throw new TypeError("connection reset after the service recorded it"); }
    return res;
  };
  const storage = memoryStorage();
  const box2 = makeOutbox({ storage, serially: serialiser(), fetchFn: flaky, headersFor: () => ({}) });
  await box2.add(event(1), SERVER);
  assert.equal(await box2.flush(settings), 1);
  assert.equal(await box2.flush(settings), 0);
  assert.equal(svc.seen.size, 1);
  assert.deepEqual(svc.calls.map((c) => c.ids), [["event-0001"], ["event-0001"]]);
});

test("more than 100 waiting events go in batches of 100", async () => {
  const { svc, box } = setup();
  for (let i = 0; i < 250; i++) await box.add(event(i), SERVER);
  assert.equal(await box.flush(settings), 0);
  assert.deepEqual(svc.calls.map((c) => c.ids.length), [100, 100, 50]);
  assert.equal(svc.seen.size, 250);
});

test("an event the service refuses (400 with its index) is dropped and the rest are sent", async () => {
  const { svc, box } = setup();
  for (let i = 0; i < 3; i++) await box.add(event(i), SERVER);
  svc.answer = (events) => (events.some((e) => e.id === "event-0001")
    ? { status: 400, body: { status: 400, index: events.findIndex((e) => e.id === "event-0001"), detail: "bad" } } : null);
  assert.equal(await box.flush(settings), 0);
  assert.deepEqual([...svc.seen].sort(), ["event-0000", "event-0002"]);
});

test("refusals that may pass later (401, 429, 503, no such endpoint) keep the events", async () => {
  for (const status of [401, 404, 429, 503]) {
    const { svc, box } = setup();
    await box.add(event(1), SERVER);
    svc.answer = () => ({ status, body: { status } });
    assert.equal(await box.flush(settings), 1, String(status));
  }
});

test("events wait for the service that was configured when they happened", async () => {
  const { svc, box } = setup();
  await box.add(event(1), "https://old.example.gov.uk");
  await box.add(event(2), SERVER);
  assert.equal(await box.flush(settings), 0);
  assert.deepEqual(svc.calls.map((c) => c.ids), [["event-0002"]]);
  assert.deepEqual(await box.pending(), ["event-0001"]);
  assert.equal(await box.flush({ serverUrl: "", serverProblem: "unconfigured" }), null);
});

test("flushes that overlap never send an event twice", async () => {
  const { svc, box } = setup();
  for (let i = 0; i < 5; i++) await box.add(event(i), SERVER);
  await Promise.all([box.flush(settings), box.flush(settings), box.flush(settings)]);
  assert.equal(svc.calls.length, 1);
  assert.equal(svc.seen.size, 5);
});

test("the same event added twice is kept once", async () => {
  const { storage, box } = setup();
  await box.add(event(1), SERVER);
  await box.add(event(1), SERVER);
  assert.equal(storage.data[OUTBOX].length, 1);
});
