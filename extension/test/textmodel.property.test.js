"use strict";
// Offset mapping on many generated editor trees (seeded, so a failure can be
// replayed): for every span the service could send back, the DOM range the
// extension would underline holds exactly text.slice(start, end).
const test = require("node:test");
const assert = require("node:assert/strict");
const { buildModel, rangeFor, offsetAt, caretAt } = require("../src/textmodel.js");
const { el, Node } = require("./fakedom.js");

// Small deterministic PRNG (mulberry32).
function rng(seed) {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Pieces that stress UTF-16: astral emoji, ZWJ sequences, skin tones, flags,
// combining marks, non-breaking spaces, a Draft.js soft newline inside a text node.
const PIECES = ["Vote", " ", "Labour", "a", "é", "e\u0301", "🎉", "👩‍👩‍👧", "👋🏽", "🇬🇧", "\u00a0", "𝐁old", "x\ny", "ß", "—"];
const INLINE = ["span", "strong", "em", "a", "b"];
const BLOCK = ["p", "div", "li"];

function textNode(r) {
  let s = "";
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(r() * PIECES.length)];
  return new Node(3, "#text", s);
}

function tree(r, depth) {
  const kids = [];
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const pick = r();
    if (pick < 0.45 || depth > 3) kids.push(textNode(r));
    else if (pick < 0.55) kids.push(el("br"));
    else if (pick < 0.8) kids.push(el(INLINE[Math.floor(r() * INLINE.length)], ...tree(r, depth + 1)));
    else kids.push(el(BLOCK[Math.floor(r() * BLOCK.length)], ...tree(r, depth + 1)));
  }
  return kids;
}

// The text a range covers, read back from the fake DOM in document order;
// line breaks between its nodes are the model's own "\n" segments.
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

const isLow = (c) => c >= 0xdc00 && c <= 0xdfff;

test("every span on 300 generated trees maps to a range over exactly its text", () => {
  let spans = 0;
  for (let seed = 1; seed <= 300; seed++) {
    const r = rng(seed);
    const root = el("div", ...tree(r, 0));
    const model = buildModel(root);
    const t = model.text;
    // The segments tile the text: no gaps, no overlaps.
    let at = 0;
    for (const s of model.segments) { assert.equal(s.start, at, `seed ${seed}`); at = s.end; }
    assert.equal(at, t.length, `seed ${seed}`);
    for (let k = 0; k < 40 && t.length; k++) {
      const a = Math.floor(r() * t.length);
      const b = a + 1 + Math.floor(r() * Math.min(12, t.length - a));
      // The service never splits a surrogate pair, and never starts or ends a
      // finding on a line break (it trims its matches).
      if (isLow(t.charCodeAt(a)) || (b < t.length && isLow(t.charCodeAt(b)))) continue;
      if (t[a] === "\n" || t[b - 1] === "\n") continue;
      const range = rangeFor(model, a, b);
      assert.ok(range, `seed ${seed} [${a},${b}) ${JSON.stringify(t.slice(a, b))}`);
      assert.equal(textOf(model, range), t.slice(a, b), `seed ${seed} [${a},${b})`);
      spans++;
    }
  }
  assert.ok(spans > 3000, `only ${spans} spans checked`);
});

test("a span starting where a node starts begins in that node, not at the end of the one before", () => {
  const a = new Node(3, "#text", "Vote ");
  const b = new Node(3, "#text", "Labour");
  const root = el("div", el("p", a, el("strong", b)));
  const range = rangeFor(buildModel(root), 5, 11);
  assert.equal(range.startNode, b);
  assert.equal(range.startOffset, 0);
  assert.equal(range.endNode, b);
  assert.equal(range.endOffset, 6);
  // ...and one ending where a node ends stops in it.
  const first = rangeFor(buildModel(root), 0, 4);
  assert.equal(first.endNode, a);
});

test("a caret saved as a text offset comes back to the same offset (cards and dialogs restore it)", () => {
  let carets = 0;
  for (let seed = 1; seed <= 200; seed++) {
    const model = buildModel(el("div", ...tree(rng(seed), 0)));
    if (!model.segments.some((s) => s.kind === "text")) continue;
    for (let o = 0; o <= model.text.length; o++) {
      const p = caretAt(model, o);
      // Only offsets between two line breaks have no text position.
      if (!p) { assert.ok(model.text[o] === "\n" || o === model.text.length || o === 0, `seed ${seed} @${o}`); continue; }
      assert.equal(offsetAt(model, p.node, p.offset), o, `seed ${seed} @${o}`);
      carets++;
    }
  }
  assert.ok(carets > 2000, `only ${carets} carets checked`);
});

// --- Against the DOM, not against the model itself ---------------------------------------------------------------
//
// Trees shaped as the platforms' editors render them (Lexical, ProseMirror,
// Quill, Draft.js: blocks of inline runs, <br> line breaks, an empty block
// holding a placeholder <br>), generated together with the text the editor's
// own model holds for them (as __editorText() gives it in the e2e fixtures).
// The model's text must be that text, and every range it maps a span to is
// read back by walking the DOM tree itself, in document order, from the
// range's start to its end: the text nodes' characters there must be the
// span's characters (line breaks are elements, not characters, in the DOM).

function editorTree(r) {
  const blocks = [], lines = [];
  const nBlocks = 1 + Math.floor(r() * 4);
  for (let i = 0; i < nBlocks; i++) {
    const kids = [];
    let line = "";
    if (r() < 0.15) { // an empty line: the editor keeps a placeholder <br> so it has height
      blocks.push(el(BLOCK[Math.floor(r() * 2)], el("br")));
      lines.push("");
      continue;
    }
    const runs = 1 + Math.floor(r() * 4);
    for (let k = 0; k < runs; k++) {
      const t = textNode(r);
      const text = t.nodeValue.replace(/\n/g, " "); // soft newlines are covered by the test above
      t.nodeValue = text;
      if (!text) continue;
      if (line && r() < 0.2) { kids.push(el("br")); line += "\n"; } // Shift+Enter inside a block
      kids.push(r() < 0.5 ? t : el(INLINE[Math.floor(r() * INLINE.length)], t));
      line += text;
    }
    if (!kids.length) { kids.push(new Node(3, "#text", "x")); line = "x"; }
    blocks.push(el(BLOCK[Math.floor(r() * 2)], ...kids));
    lines.push(line);
  }
  return { root: el("div", ...blocks), text: lines.join("\n") };
}

// The characters of the text nodes between two DOM positions, by a plain
// document-order walk of the tree (childNodes and parentNode only).
function domTextBetween(root, range) {
  let out = "", on = false, done = false;
  (function walk(n) {
    if (done) return;
    if (n.nodeType === 3) {
      const v = n.nodeValue;
      if (n === range.startNode && n === range.endNode) { out = v.slice(range.startOffset, range.endOffset); done = true; return; }
      if (n === range.startNode) { out += v.slice(range.startOffset); on = true; return; }
      if (n === range.endNode) { out += v.slice(0, range.endOffset); done = true; return; }
      if (on) out += v;
      return;
    }
    for (const c of n.childNodes) walk(c);
  })(root);
  assert.ok(done, "the range's end is not after its start in the DOM");
  return out;
}

test("on editor-shaped trees the model's text is the editor's and every range holds the span's characters in the DOM", () => {
  let spans = 0;
  for (let seed = 1; seed <= 300; seed++) {
    const r = rng(1000 + seed);
    const { root, text } = editorTree(r);
    const model = buildModel(root);
    assert.equal(model.text, text, `seed ${seed}`);
    for (let k = 0; k < 40 && text.length; k++) {
      const a = Math.floor(r() * text.length);
      const b = a + 1 + Math.floor(r() * Math.min(16, text.length - a));
      if (isLow(text.charCodeAt(a)) || (b < text.length && isLow(text.charCodeAt(b)))) continue;
      if (text[a] === "\n" || text[b - 1] === "\n") continue;
      const range = rangeFor(model, a, b);
      assert.ok(range, `seed ${seed} [${a},${b})`);
      assert.equal(domTextBetween(root, range), text.slice(a, b).replace(/\n/g, ""), `seed ${seed} [${a},${b})`);
      spans++;
    }
  }
  assert.ok(spans > 3000, `only ${spans} spans checked`);
});
