// The playground page around the extension's drawing: the platform and
// election settings, the verdict, reading age and length of the post, loading
// a candidate rulebook and what it changes. Underlines, cards, the badge and
// its list are the extension's own (content.js and ui.js, via bridge.js).
(function (root) {
  "use strict";
  const I = root.Impartial;
  const { ui, playground } = I;
  const { h, SEVERITY, categoryName } = ui;
  const $ = (sel) => document.querySelector(sel);

  const post = $("#post");
  const copy = $("#candidate-post");
  const latest = { live: null, candidate: null }; // {text, result} of each pane's last answer
  let announced = "";

  const VERDICT = {
    block: { word: SEVERITY.block.word, icon: SEVERITY.block.icon },
    warn: { word: SEVERITY.warn.word, icon: SEVERITY.warn.icon },
    pass: { word: "No issues", icon: "✓" },
  };
  const PROBLEM = {
    unauthorised: "The service refused the key. Enter a valid service key above.",
    timeout: "The service is too slow to answer. Keep writing; the check runs again when you pause.",
    unavailable: "The service cannot be reached. Keep writing; the check runs again when you pause.",
    http: "The service answered with an error.",
  };

  // -- one polite voice: the verdict, and what the extension's drawing has to say
  function announce(text) {
    if (!text || text === announced) return;
    announced = text;
    $("#announcer").textContent = text;
  }
  // The extension's overlay would announce its badge summary too; the verdict
  // below says the same, so only its other messages ("Ignored once.") pass.
  I.announcer = (text) => {
    text = String(text);
    if (text.startsWith("Impartial:")) return;
    // The extension queues a report it could not send; this page keeps nothing, so it says what happened.
    if (text.startsWith("Saved your report")) text = `Report not sent: ${playground.state.unsent || "the service did not take it"}.`;
    announce(text);
  };

  // -- settings

  $("#platform").addEventListener("change", (e) => playground.setPlatform(e.target.value));
  $("#election").addEventListener("change", (e) => playground.setElection(e.target.checked));
  $("#settings").addEventListener("submit", (e) => e.preventDefault());

  $("#key-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    playground.setKey($("#api-key").value.trim());
    const got = await loadLiveBook();
    $("#key-status").textContent = got === "refused" ? "The service refused this key. Check it and try again."
      : got === "ok" ? "Key accepted: posts are checked." : "The service cannot answer just now; the key is kept for when it can.";
  });

  // The live rulebook's version for the heading: "ok", "refused" (the service wants a valid key) or "unavailable".
  async function loadLiveBook() {
    const book = $("#live-book");
    try {
      const res = await fetch("/v1/rules", { headers: playground.headers(), credentials: "omit", cache: "no-store" });
      if (res.status === 401) {
        $("#key-section").hidden = false;
        book.textContent = "Live rulebook (needs the service key)";
        return "refused";
      }
      if (!res.ok) { book.textContent = "Live rulebook (not available)"; return "unavailable"; }
      const data = await res.json();
      book.textContent = `Live rulebook ${data.version} · ${data.rules.length} rules`;
    } catch (e) {
      book.textContent = "Live rulebook (service not reachable)";
      return "unavailable";
    }
    return "ok";
  }

  // -- the post and its copy

  function mirror() {
    const text = playground.state.candidate ? post.value : "";
    if (copy.value === text) return;
    copy.value = text;
    copy.scrollTop = post.scrollTop;
    copy.dispatchEvent(new Event("input")); // content.js checks a box when it hears input
  }

  post.addEventListener("input", () => {
    mirror();
    for (const pane of ["live", "candidate"]) render(pane);
  });
  post.addEventListener("scroll", () => { copy.scrollTop = post.scrollTop; });

  function fresh(pane) {
    const got = latest[pane];
    return got && got.text === post.value ? got.result : null;
  }

  function counts(findings) {
    const n = { block: 0, warn: 0, info: 0 };
    for (const f of findings) n[f.severity]++;
    const parts = [];
    if (n.block) parts.push(`${n.block} must fix`);
    if (n.warn) parts.push(`${n.warn} to check`);
    if (n.info) parts.push(`${n.info} advice`);
    return parts.join(", ") || "none";
  }

  function lengthText(len) {
    if (!len) return "–";
    if (!len.limit) return `${len.count.toLocaleString("en-GB")} characters`;
    const over = len.count - len.limit;
    return `${len.count.toLocaleString("en-GB")} of ${len.limit.toLocaleString("en-GB")}` +
      (over > 0 ? ` (${over.toLocaleString("en-GB")} over)` : "");
  }

  function render(pane) {
    const box = $(pane === "live" ? "#live-summary" : "#candidate-summary");
    const result = fresh(pane);
    const verdict = box.querySelector(".verdict");
    const value = box.querySelector(".verdict-value");
    if (!post.value.trim()) {
      box.dataset.state = "empty";
      verdict.dataset.verdict = "none";
      value.textContent = "Nothing checked yet";
      box.querySelectorAll("dd").forEach((dd) => { dd.textContent = "–"; });
      box.querySelector(".service-problem").hidden = true;
      if (pane === "candidate") renderDifferences();
      return;
    }
    if (!result) {
      box.dataset.state = "checking"; // the last answer is for other words: shown dimmed until the new one
      return;
    }
    box.dataset.state = "ready";
    box.querySelector(".service-problem").hidden = true;
    const v = VERDICT[result.verdict] || VERDICT.pass;
    verdict.dataset.verdict = result.verdict;
    value.replaceChildren(h("span", { "aria-hidden": "true" }, v.icon + " "), v.word);
    box.querySelector(".counts").textContent = counts(result.findings);
    const metrics = result.metrics || {};
    const age = box.querySelector(".reading-age");
    if (age) age.textContent = metrics.readability && metrics.readability.reading_age != null
      ? String(metrics.readability.reading_age) : "–";
    const length = box.querySelector(".length");
    if (length) {
      length.textContent = lengthText(metrics.length);
      length.classList.toggle("over", !!(metrics.length && metrics.length.limit && metrics.length.count > metrics.length.limit));
    }
    if (pane === "candidate" || playground.state.candidate) renderDifferences();
  }

  function speak() {
    const live = fresh("live");
    if (!live) return;
    const v = VERDICT[live.verdict] || VERDICT.pass;
    const age = live.metrics && live.metrics.readability && live.metrics.readability.reading_age;
    let text = `Verdict: ${v.word}. Findings: ${counts(live.findings)}.` + (age != null ? ` Reading age ${age}.` : "");
    if (playground.state.candidate) {
      const cand = fresh("candidate");
      if (!cand) return; // wait for both, then say it once
      const c = VERDICT[cand.verdict] || VERDICT.pass;
      text += ` With the candidate: ${c.word}, ${counts(cand.findings)}.`;
    }
    announce(text);
  }

  root.addEventListener("impartial-playground:result", (e) => {
    latest[e.detail.pane] = { text: e.detail.text, result: e.detail.result };
    render(e.detail.pane);
    speak();
  });

  root.addEventListener("impartial-playground:problem", (e) => {
    const { pane, error, status, detail } = e.detail;
    const box = $(pane === "live" ? "#live-summary" : "#candidate-summary");
    const p = box.querySelector(".service-problem");
    p.hidden = false;
    p.textContent = error === "http" && detail ? `${PROBLEM.http} ${detail}` : PROBLEM[error] || PROBLEM.unavailable;
    box.dataset.state = "problem";
    if (status === 401) $("#key-section").hidden = false;
    announce(p.textContent);
  });

  // -- what the candidate changes

  const key = (f) => `${f.rule_id}|${f.start}|${f.end}`;

  function item(f, note) {
    const sev = SEVERITY[f.severity];
    return h("li", { "data-rule": f.rule_id, "data-severity": f.severity },
      h("span", { class: `sev ${f.severity}` }, h("span", { "aria-hidden": "true" }, sev.icon + " "), sev.word),
      ` · ${categoryName(f.category)}: “${f.match.length > 60 ? f.match.slice(0, 60) + "…" : f.match}”`,
      h("span", { class: "rule" }, ` ${f.rule_id}`), note ? h("span", { class: "note" }, ` ${note}`) : null);
  }

  function group(id, title, items) {
    if (!items.length) return null;
    return h("section", { class: "diff-group", "data-group": id, "aria-labelledby": `diff-${id}` },
      h("h4", { id: `diff-${id}` }, `${title} (${items.length})`), h("ul", {}, items));
  }

  function renderDifferences() {
    const out = $("#differences");
    const live = fresh("live"), cand = fresh("candidate");
    if (!post.value.trim()) { out.replaceChildren(h("p", {}, "Type a post to compare.")); return; }
    if (!live || !cand) { out.replaceChildren(h("p", {}, "Checking with both rulebooks…")); return; }
    const before = new Map(live.findings.map((f) => [key(f), f]));
    const after = new Map(cand.findings.map((f) => [key(f), f]));
    const added = cand.findings.filter((f) => !before.has(key(f))).map((f) => item(f));
    const removed = live.findings.filter((f) => !after.has(key(f))).map((f) => item(f));
    const changed = cand.findings.filter((f) => before.has(key(f)) && before.get(key(f)).severity !== f.severity)
      .map((f) => item(f, `(was ${SEVERITY[before.get(key(f)).severity].word})`));
    const lv = VERDICT[live.verdict] || VERDICT.pass, cv = VERDICT[cand.verdict] || VERDICT.pass;
    const verdict = live.verdict === cand.verdict
      ? h("p", { class: "diff-verdict", "data-changed": "false" }, `Same verdict: ${cv.word}.`)
      : h("p", { class: "diff-verdict", "data-changed": "true" }, "Verdict changes from ", h("strong", {}, lv.word),
          " (live) to ", h("strong", {}, cv.word), " (candidate).");
    const groups = [group("added", "Found only by the candidate", added),
                    group("removed", "Found only by the live rulebook", removed),
                    group("changed", "Severity changed", changed)].filter(Boolean);
    out.replaceChildren(verdict, ...(groups.length ? groups : [h("p", { class: "diff-none" }, "The same findings on this post.")]));
  }

  // -- loading a candidate

  const form = $("#candidate-form");
  const status = $("#candidate-status");
  const errors = $("#candidate-errors");

  function showErrors(detail, list) {
    errors.querySelector(".error-detail").textContent = detail || "";
    errors.querySelector(".error-list").replaceChildren(...(list || []).map((e) => {
      // Where first (the rule or list, a layer's section), then the field, then what is wrong.
      const head = e.rule ? [h("strong", {}, `Rule ${e.rule}`), e.index != null ? ` (rules[${e.index}])` : ""]
        : e.list ? [h("strong", {}, `List ${e.list}`)] : e.section ? [h("strong", {}, e.section)]
        : e.index != null ? [h("strong", {}, `rules[${e.index}]`)] : [];
      const field = e.field ? [head.length ? ", field " : "Field ", h("code", {}, e.field)] : [];
      const what = e.message ? [head.length || field.length ? ": " : "", e.message] : [e.problem];
      return h("li", {}, ...head, ...field, ...what);
    }));
    errors.hidden = false;
    errors.focus(); // the maintainer's next step is to read this (an error summary, as GOV.UK forms do)
  }

  function clearErrors() {
    errors.hidden = true;
    errors.querySelector(".error-list").replaceChildren();
  }

  async function load(raw) {
    clearErrors();
    if (!raw.trim()) {
      showErrors("Paste a rulebook or choose a file first.", []);
      return;
    }
    status.textContent = "Checking the candidate rulebook…";
    $("#candidate-load").disabled = true;
    const mode = form.elements.kind.value;
    let res, body;
    try {
      res = await playground.compile(raw, mode);
      body = await res.json();
    } catch (e) {
      status.textContent = "";
      showErrors("The service could not be reached. Try again.", []);
      return;
    } finally {
      $("#candidate-load").disabled = false;
    }
    if (!res.ok) {
      status.textContent = "";
      if (res.status === 401) $("#key-section").hidden = false;
      showErrors(body.detail, body.errors || []);
      return;
    }
    const ex = body.examples, lint = body.lint;
    status.replaceChildren(h("p", {}, h("strong", {}, `${mode === "layer" ? "Live rulebook with the layer" : "Candidate"} ${body.version} loaded`),
      `: ${body.rules} rules. ${ex.total - ex.failed} of ${ex.total} examples pass. Lint: ${lint.summary}.`),
      ...(ex.failed ? [h("details", { class: "example-failures" },
        h("summary", {}, `${ex.failed} example${ex.failed > 1 ? "s" : ""} fail (as impartial lint reports them)`),
        h("ul", {}, ex.failures.map((f) => h("li", {}, f))))] : []),
      ...(lint.problems.length ? [h("details", { class: "lint-problems", "data-errors": String(lint.errors) },
        h("summary", {}, lint.errors ? `${lint.errors} lint error${lint.errors > 1 ? "s" : ""} and ${lint.advice} advice`
          : `${lint.advice} lint advice`),
        h("ul", {}, lint.problems.map((p) => h("li", { "data-kind": p.kind, "data-level": p.level },
          h("strong", {}, `${p.level} ${p.kind}`), ` ${p.where}: ${p.message}`, h("br", {}), `Fix: ${p.hint}`))))] : []));
    $("#candidate-book").textContent = `Candidate ${body.version} · ${body.rules} rules`;
    $("#candidate-view").hidden = false;
    $("#candidate-remove").disabled = false;
    latest.candidate = null;
    playground.setCandidate({ digest: body.digest, raw, mode });
    mirror();
    render("candidate");
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    load($("#candidate-text").value);
  });

  $("#candidate-file").addEventListener("change", async (e) => {
    const file = e.target.files && e.target.files[0];
    if (!file) return;
    const limit = Number(form.dataset.maxBytes);
    if (file.size > limit) { // the service would refuse it too; no need to read it all first
      showErrors(`The file is ${file.size.toLocaleString("en-GB")} bytes; the limit is ${limit.toLocaleString("en-GB")}.`, []);
      return;
    }
    const text = await file.text();
    $("#candidate-text").value = text;
    load(text);
  });

  $("#candidate-remove").addEventListener("click", () => {
    playground.setCandidate(null);
    latest.candidate = null;
    clearErrors();
    mirror();
    $("#candidate-view").hidden = true;
    $("#candidate-remove").disabled = true;
    $("#candidate-book").textContent = "For rule maintainers";
    status.textContent = "Candidate removed: only the live rulebook checks the post.";
    $("#candidate-text").focus();
  });

  loadLiveBook();
  render("live");
})(globalThis);
