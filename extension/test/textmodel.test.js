"use strict";
// Offset mapping: UTF-16 code units, across nested nodes, blocks and breaks.
const test = require("node:test");
const assert = require("node:assert/strict");
const { buildModel, rangeFor, spanStillValid } = require("../src/textmodel.js");
const { el } = require("./fakedom.js");

// Text covered by a range, read back from the fake DOM (start and end nodes may differ).
function textOf(model, r) {
  let out = "", on = false;
  for (const s of model.segments) {
    if (s.kind !== "text") { if (on) out += "\n"; continue; }
    const v = s.node.nodeValue;
    if (s.node === r.startNode && s.node === r.endNode) return v.slice(r.startOffset, r.endOffset);
    if (s.node === r.startNode) { out += v.slice(r.startOffset); on = true; continue; }
    if (s.node === r.endNode) { out += v.slice(0, r.endOffset); return out; }
    if (on) out += v;
  }
  return out;
}

function check(root, word) {
  const model = buildModel(root);
  const start = model.text.indexOf(word);
  assert.ok(start >= 0, `"${word}" in ${JSON.stringify(model.text)}`);
  const r = rangeFor(model, start, start + word.length);
  assert.ok(r);
  assert.equal(textOf(model, r), word);
  return { model, start, r };
}

test("emoji before the match shift offsets by two code units each", () => {
  const root = el("div", el("p", "Great news 🎉 from the ", el("strong", "Labour"), " party"));
  const { model, start } = check(root, "Labour");
  assert.equal(model.text, "Great news 🎉 from the Labour party");
  assert.equal(start, 23); // 22 code points, 23 UTF-16 units
});

test("ZWJ sequences, flags and combining marks across nested spans", () => {
  const root = el("div", el("p", el("span", "👩‍👩‍👧 "), el("span", el("em", "🇬🇧 Cafe\u0301 ")), "activist ", el("b", "lawyers")));
  const { model, r } = check(root, "activist lawyers");
  assert.equal(model.text, "👩‍👩‍👧 🇬🇧 Cafe\u0301 activist lawyers");
  assert.notEqual(r.startNode, r.endNode);
  check(root, "Cafe\u0301");
});

test("blocks become line breaks and spans cross them", () => {
  const root = el("div", el("p", "Vote"), el("p", "Labour now"));
  const { model } = check(root, "Labour");
  assert.equal(model.text, "Vote\nLabour now");
  const r = rangeFor(model, 0, 11);
  assert.equal(textOf(model, r), "Vote\nLabour");
});

test("<br> is a line break but a trailing placeholder <br> is not", () => {
  const root = el("div", el("p", "one", el("br"), "two"), el("p", el("br")), el("p", "three", el("br")));
  const model = buildModel(root);
  assert.equal(model.text, "one\ntwo\n\nthree");
  check(root, "three");
});

test("draft.js block structure (nested divs and data-text spans)", () => {
  const block = (t) => el("div", el("div", el("span", el("span", t))));
  const root = el("div", el("div", block("First line 🙂"), block("vote Labour"), block("")));
  const { model } = check(root, "vote Labour");
  // An empty last block is a trailing line, as in ContentState.getPlainText().
  assert.equal(model.text, "First line 🙂\nvote Labour\n");
});

test("a span that no longer matches the text is refused", () => {
  assert.equal(spanStillValid("vote Labour", { start: 0, end: 11, match: "vote Labour" }), true);
  assert.equal(spanStillValid("vote Labours", { start: 1, end: 12, match: "vote Labour" }), false);
});

test("out-of-range spans map to nothing", () => {
  const model = buildModel(el("div", el("p", "short")));
  assert.equal(rangeFor(model, 3, 99), null);
  assert.equal(rangeFor(model, 4, 4), null);
});
