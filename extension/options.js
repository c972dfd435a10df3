// The officer's settings. Values set by IT policy are shown but locked.
"use strict";
(async function () {
  const ext = globalThis.browser || globalThis.chrome;
  const S = globalThis.Impartial.settings;
  const { settings, locked, userAllowed } = await S.load();
  const $ = (id) => document.getElementById(id);
  const box = $("platforms");
  for (const p of S.PLATFORMS) {
    const label = document.createElement("label");
    const input = Object.assign(document.createElement("input"), { type: "checkbox", name: "platform", value: p });
    label.append(input, ` ${p}`);
    box.append(label);
  }
  $("serverUrl").value = settings.serverUrl;
  $("apiKey").value = settings.apiKey;
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
      serverUrl: $("serverUrl").value.trim(),
      apiKey: $("apiKey").value,
      enforcement: $("enforcement").value,
      platforms: Array.from(document.querySelectorAll("[name=platform]:checked")).map((c) => c.value),
      extraDomains: $("extraDomains").value.split(/\s+/).filter(Boolean),
      electionPeriod: $("electionPeriod").checked,
      renderer: $("renderer").value,
    };
    for (const k of locked) delete values[k];
    // Ask for the service's host permission only (not every site).
    try {
      const origin = new URL(values.serverUrl).origin + "/*";
      if (ext.permissions && ext.permissions.request) await ext.permissions.request({ origins: [origin] });
    } catch (err) { /* invalid URL: saved anyway, checks will say unavailable */ }
    await ext.storage.sync.set(values);
    $("saved").textContent = "Saved.";
  });
})();
