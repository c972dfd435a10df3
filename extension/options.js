// The officer's settings. Values set by IT policy are shown but locked.
"use strict";
(async function () {
  const ext = globalThis.browser || globalThis.chrome;
  const S = globalThis.Impartial.settings;
  const { settings, locked, userAllowed } = await S.load();
  const $ = (id) => document.getElementById(id);
  const SERVER_PROBLEMS = {
    unconfigured: "Not configured: no service address is set, so nothing is checked.",
    insecure: "Refused: use an https:// address (plain http is allowed only for this computer, e.g. http://127.0.0.1:8000).",
    invalid: "Refused: not a valid service address.",
  };
  const box = $("platforms");
  for (const p of S.PLATFORMS) {
    const label = document.createElement("label");
    const input = Object.assign(document.createElement("input"), { type: "checkbox", name: "platform", value: p });
    label.append(input, ` ${p}`);
    box.append(label);
  }
  $("serverUrl").value = settings.serverUrl;
  if (settings.serverProblem) $("server-problem").textContent = SERVER_PROBLEMS[settings.serverProblem] || "";
  // A key is never written into the page: policy keys stay in policy, and the
  // officer's own key is replaced, not shown.
  const keyLocked = locked.includes("apiKey");
  $("apiKey").value = "";
  $("apiKey").placeholder = keyLocked ? "Set by your organisation" : settings.apiKey ? "Saved on this device (type to replace)" : "";
  $("enforcement").value = settings.enforcement;
  for (const cb of document.querySelectorAll("[name=platform]")) cb.checked = settings.platforms.includes(cb.value);
  $("extraDomains").value = (settings.extraDomains || []).join("\n");
  $("electionPeriod").checked = !!settings.electionPeriod;
  $("renderer").value = settings.renderer;
  const lock = (id) => { const el = $(id); if (el) { el.disabled = true; el.setAttribute("aria-describedby", "policy"); } };
  if (!userAllowed) {
    for (const el of document.querySelectorAll("input, select, textarea, button")) el.disabled = true;
    $("policy").textContent = "Your organisation manages these settings.";
  } else if (locked.length) {
    locked.forEach((k) => (k === "platforms" ? document.querySelectorAll("[name=platform]").forEach((c) => (c.disabled = true)) : lock(k)));
    $("policy").textContent = `Set by your organisation: ${locked.join(", ")}.`;
  }
  $("form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const values = {
      serverUrl: $("serverUrl").value.trim().replace(/\/+$/, ""),
      apiKey: $("apiKey").value,
      enforcement: $("enforcement").value,
      platforms: Array.from(document.querySelectorAll("[name=platform]:checked")).map((c) => c.value),
      extraDomains: $("extraDomains").value.split(/\s+/).filter(Boolean),
      electionPeriod: $("electionPeriod").checked,
      renderer: $("renderer").value,
    };
    for (const k of locked) delete values[k];
    if (!values.apiKey) delete values.apiKey; // empty: keep the saved key
    if ("serverUrl" in values && values.serverUrl) {
      const checked = S.checkServerUrl(values.serverUrl);
      if (checked.problem) {
        $("saved").textContent = SERVER_PROBLEMS[checked.problem];
        $("serverUrl").setAttribute("aria-invalid", "true");
        $("serverUrl").focus();
        return;
      }
      $("serverUrl").removeAttribute("aria-invalid");
    }
    // Ask for exactly the hosts these settings need (the service, the extra
    // domains), never every site. Must run before any other await: the
    // browser only shows the prompt during the click that saved.
    const effective = Object.assign({}, settings, values);
    const missing = await askForHosts(neededOrigins(effective));
    // The key stays on this device; everything else follows the officer's profile.
    if ("apiKey" in values) {
      await ext.storage.local.set({ apiKey: values.apiKey });
      await ext.storage.sync.remove("apiKey");
      delete values.apiKey;
    }
    await ext.storage.sync.set(values);
    $("saved").textContent = missing.length ? `Saved. Not allowed yet: ${missing.join(", ")}.` : "Saved.";
    $("apiKey").value = "";
    $("server-problem").textContent = values.serverUrl === "" ? SERVER_PROBLEMS.unconfigured : "";
  });

  function neededOrigins(s) {
    const out = [];
    const checked = S.checkServerUrl(s.serverUrl);
    if (checked.url) out.push(new URL(checked.url).origin + "/*");
    for (const d of s.extraDomains || []) if (/^[a-z0-9.-]+$/i.test(d)) out.push(`https://${d}/*`);
    return out;
  }

  // Returns the origins still not granted.
  async function askForHosts(origins) {
    if (!ext.permissions || !origins.length) return [];
    try {
      await ext.permissions.request({ origins });
    } catch (err) { /* refused or not requestable: reported below */ }
    const missing = [];
    for (const o of origins) if (!(await ext.permissions.contains({ origins: [o] }))) missing.push(o);
    return missing;
  }

  // The audit of pre-send decisions, for the officer and for IT to collect.
  // Text cells only (textContent), never markup from storage.
  const audit = (await ext.storage.local.get("audit")).audit || [];
  const CHOICES = { went_back: "Went back to edit", posted_anyway: "Posted anyway", prevented: "Stopped by policy",
                    posted_unchecked: "Posted while checks were unavailable", prevented_unchecked: "Held: not checked",
                    ignored_must_fix: "Ignored a must-fix finding", reported_false_flag: "Reported a false flag" };
  // Entries still waiting in the outbox have not reached the service yet.
  const waiting = new Set(((await ext.storage.local.get("eventOutbox")).eventOutbox || []).map((e) => e.event.id));
  const body = document.querySelector("#audit tbody");
  for (const a of audit.slice().reverse()) {
    const row = document.createElement("tr");
    for (const v of [new Date(a.at).toLocaleString(), `${a.platform} (${a.host})`, CHOICES[a.choice] || a.choice,
                     (a.rules || []).join(", "), a.reason || "", !a.id ? "Not sent" : waiting.has(a.id) ? "Waiting to send" : "Sent"]) {
      row.append(Object.assign(document.createElement("td"), { textContent: v }));
    }
    body.append(row);
  }
  $("audit").hidden = !audit.length;
  $("audit-empty").hidden = !!audit.length;
  $("audit-download").disabled = !audit.length;
  $("audit-download").addEventListener("click", () => {
    const url = URL.createObjectURL(new Blob([JSON.stringify(audit, null, 2)], { type: "application/json" }));
    const a = Object.assign(document.createElement("a"), { href: url, download: "impartial-audit.json" });
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  });

  // Policy may name a service or extra domains the browser has not granted
  // (runtime_allowed_hosts does not grant optional permissions): offer one
  // button, even when the rest of the page is locked.
  const pending = [];
  for (const o of neededOrigins(settings)) {
    if (ext.permissions && !(await ext.permissions.contains({ origins: [o] }))) pending.push(o);
  }
  if (pending.length) {
    const grant = $("grant");
    grant.hidden = false;
    grant.disabled = false;
    $("grant-hosts").textContent = pending.map((o) => o.replace(/\/\*$/, "")).join(", ");
    grant.addEventListener("click", async () => {
      const missing = await askForHosts(pending);
      $("saved").textContent = missing.length ? `Not allowed: ${missing.join(", ")}.` : "Access allowed.";
      if (!missing.length) grant.hidden = true;
    });
  }
})();
