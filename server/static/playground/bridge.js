// The playground's stand-in for the extension's service worker (background.js).
// The extension's content script (content.js) runs on this page unchanged and
// asks for settings and checks with runtime.sendMessage; this bridge answers:
// the live pane's checks go to /v1/check, the candidate pane's to
// /playground/check with the candidate's digest. It also registers the page
// as a "platform" whose composers are the two post boxes.
//
// Nothing is stored: the key, the post and the candidate live in this tab's
// memory only (no localStorage, no cookies) and are gone when it closes.
(function (root) {
  "use strict";
  const I = root.Impartial;
  const REQUEST_TIMEOUT_MS = 8000;
  // A candidate may have to be compiled again on a worker that does not hold it.
  const CANDIDATE_TIMEOUT_MS = 40000;

  const nonce = document.querySelector('meta[name="impartial-style-nonce"]');
  if (nonce) I.styleNonce = nonce.content;

  // content.js numbers composers f1, f2... in document order at its first
  // scan; both boxes are in the page from the start, so f1 is the post and f2
  // its read-only copy checked with the candidate.
  const PANES = { f1: "live", f2: "candidate" };
  const adapter = { name: "playground", platform: "generic", hosts: [location.hostname.toLowerCase()],
                    editors: "#post, #candidate-post", submit: null };
  I.adapters.ADAPTERS.unshift(adapter);

  const state = { platform: "generic", election: false, key: "", candidate: null, unsent: null };
  const listeners = [];
  const inflight = {};

  function headers() {
    const h = { "Content-Type": "application/json" };
    if (state.key) h.Authorization = `Bearer ${state.key}`;
    return h;
  }

  function emit(type, detail) {
    root.dispatchEvent(new CustomEvent(`impartial-playground:${type}`, { detail }));
  }

  async function post(path, body, signal) {
    return fetch(path, { method: "POST", headers: headers(), body, signal, credentials: "omit", redirect: "error",
                         cache: "no-store" });
  }

  // Send the candidate's bytes to be compiled (again): a whole rulebook, or a
  // layer over the live set (mode "layer"); resolves to the response.
  function compile(raw, mode, signal) {
    return post(`/playground/rulebooks?as=${mode === "layer" ? "layer" : "rulebook"}`, raw, signal);
  }

  async function checkOnce(pane, text, signal) {
    const body = { text, platform: state.platform, context: { election_period: state.election } };
    if (pane === "live") return post("/v1/check", JSON.stringify(body), signal);
    const candidate = state.candidate;
    if (!candidate) return null;
    body.rulebook = candidate.digest;
    let res = await post("/playground/check", JSON.stringify(body), signal);
    if (res.status === 404) {
      // This worker does not hold the candidate (evicted, or another worker compiled it): send it, retry once.
      const again = await compile(candidate.raw, candidate.mode, signal);
      if (!again.ok) return again;
      res = await post("/playground/check", JSON.stringify(body), signal);
    }
    return res;
  }

  async function check(msg) {
    const pane = PANES[msg.fieldId] || "live";
    if (inflight[pane]) inflight[pane].abort(); // the newer text replaces it
    const controller = new AbortController();
    inflight[pane] = controller;
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; controller.abort(); },
                             pane === "live" ? REQUEST_TIMEOUT_MS : CANDIDATE_TIMEOUT_MS);
    try {
      const res = await checkOnce(pane, msg.text, controller.signal);
      if (!res) return { ok: false, error: "unavailable" };
      if (!res.ok) {
        let problem = null;
        try { problem = await res.json(); } catch (e) { /* not JSON */ }
        const error = res.status === 401 || res.status === 403 ? "unauthorised" : "http";
        emit("problem", { pane, error, status: res.status, detail: problem && problem.detail });
        return { ok: false, error, status: res.status };
      }
      const result = await res.json();
      result.unchecked_must_fix = []; // nothing is held here: there is no Post button to hold
      emit("result", { pane, text: msg.text, result });
      return { ok: true, result };
    } catch (e) {
      const error = timedOut ? "timeout" : controller.signal.aborted ? "aborted" : "unavailable";
      if (error !== "aborted") emit("problem", { pane, error, status: 0, detail: null });
      return { ok: false, error };
    } finally {
      clearTimeout(timer);
      if (inflight[pane] === controller) delete inflight[pane];
    }
  }

  // "Report a false flag" goes to the service as from the extension. Unlike the
  // extension, this page keeps no queue: why a report was not sent is left in
  // state.unsent for the page to say (content.js would promise a later send).
  async function feedback(msg) {
    state.unsent = null;
    try {
      const res = await post("/v1/feedback", JSON.stringify({ rule_id: msg.rule_id, kind: "false_positive",
                                                              platform: state.platform }));
      if (res.ok) return { ok: true, sent: true };
      state.unsent = res.status === 400 ? `the live rulebook has no rule ${msg.rule_id} (only the candidate has it)`
        : res.status === 401 || res.status === 403 ? "the service needs a valid key" : "the service answered with an error";
    } catch (e) {
      state.unsent = "the service cannot be reached";
    }
    return { ok: true, sent: false };
  }

  function settings() {
    return { settings: Object.assign({}, I.settings.DEFAULTS, {
      serverUrl: location.origin, enforcement: "advise", platforms: [adapter.name], extraDomains: [],
      electionPeriod: state.election, renderer: "auto",
    }) };
  }

  const handlers = {
    settings: async () => settings(),
    check: check,
    feedback: feedback,
    audit: async () => ({ ok: true }), // no pre-send decisions here, and nothing is recorded
  };

  root.browser = {
    runtime: {
      id: "impartial-playground",
      sendMessage: (msg) => (handlers[msg && msg.type] || (async () => null))(msg),
      onMessage: { addListener: (fn) => listeners.push(fn) },
    },
  };

  // Settings changed: content.js drops its cached answers and checks every box again.
  function recheck() {
    for (const fn of listeners) fn({ type: "settingsChanged" }, {}, () => {});
  }

  I.playground = {
    state,
    compile,
    setPlatform(platform) { state.platform = platform; adapter.platform = platform; recheck(); },
    setElection(on) { state.election = !!on; recheck(); },
    setKey(key) { state.key = key; recheck(); },
    headers,
    // {digest, raw, mode}: the candidate the second box is checked with (null: none).
    setCandidate(candidate) { state.candidate = candidate; recheck(); },
  };
})(globalThis);
