"use strict";
// Which service addresses the extension accepts: https anywhere, plain http
// only to this computer, nothing by default.
const test = require("node:test");
const assert = require("node:assert/strict");
const { checkServerUrl, DEFAULTS } = require("../src/settings.js");

test("there is no default service", () => {
  assert.equal(DEFAULTS.serverUrl, "");
  assert.deepEqual(checkServerUrl(""), { url: "", problem: "unconfigured" });
  assert.deepEqual(checkServerUrl(undefined), { url: "", problem: "unconfigured" });
});

test("https is accepted anywhere, trailing slashes dropped", () => {
  assert.deepEqual(checkServerUrl("https://impartial.example.gov.uk/"), { url: "https://impartial.example.gov.uk", problem: null });
  assert.deepEqual(checkServerUrl("https://x.example/impartial//"), { url: "https://x.example/impartial", problem: null });
});

test("plain http only to this computer", () => {
  for (const ok of ["http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000", "http://127.1.2.3"]) {
    assert.equal(checkServerUrl(ok).problem, null, ok);
  }
  for (const bad of ["http://impartial.example.gov.uk", "http://10.0.0.5:8000", "http://localhost.example.com",
                     "http://127.0.0.1.example.com"]) {
    assert.deepEqual(checkServerUrl(bad), { url: "", problem: "insecure" }, bad);
  }
});

test("other schemes, credentials, queries and junk are refused", () => {
  for (const bad of ["ftp://x.example", "javascript:alert(1)", "https://user:pw@x.example", "https://x.example/?a=1",
                     "https://x.example/#f", "not a url"]) {
    assert.equal(checkServerUrl(bad).url, "", bad);
    assert.notEqual(checkServerUrl(bad).problem, null, bad);
  }
});
