// Text model of a rich editor: the text we send to the service, and the map
// from its UTF-16 offsets back to DOM positions. Works on any node tree with
// nodeType/nodeName/childNodes/nodeValue, so Node's test runner can check it
// without a browser.
//
// Rules, chosen to match what an officer sees as lines:
// - a text node contributes its characters as they are (UTF-16 code units);
// - a block element (p, div, li, h1...) starts a new line if text precedes it;
// - <br> is a line break, except the placeholder <br> an editor keeps at the
//   end of a block so an empty line has height (Lexical, ProseMirror, Quill,
//   Draft.js all do this).
(function (root) {
  "use strict";

  const BLOCKS = new Set(["ADDRESS", "ARTICLE", "ASIDE", "BLOCKQUOTE", "DD", "DIV", "DL", "DT", "FIGCAPTION",
    "FIGURE", "FOOTER", "H1", "H2", "H3", "H4", "H5", "H6", "HEADER", "HR", "LI", "MAIN", "NAV", "OL", "P",
    "PRE", "SECTION", "TABLE", "TBODY", "TD", "TH", "THEAD", "TR", "UL"]);
  const SKIP = new Set(["SCRIPT", "STYLE", "TEMPLATE", "NOSCRIPT"]);
  const TEXT = 3, ELEMENT = 1;

  function isBlock(node) {
    return node.nodeType === ELEMENT && BLOCKS.has(node.nodeName.toUpperCase());
  }

  // True when nothing but more placeholders follows `node` inside its block.
  function isTrailingBreak(node, blockRoot) {
    for (let n = node; n && n !== blockRoot; n = n.parentNode) {
      for (let s = n.nextSibling; s; s = s.nextSibling) {
        if (hasContent(s)) return false;
      }
      if (isBlock(n.parentNode)) return true;
    }
    return true;
  }

  function hasContent(node) {
    if (node.nodeType === TEXT) return node.nodeValue.length > 0;
    if (node.nodeType !== ELEMENT || SKIP.has(node.nodeName.toUpperCase())) return false;
    if (node.nodeName.toUpperCase() === "BR") return true;
    for (const c of node.childNodes) if (hasContent(c)) return true;
    return false;
  }

  /**
   * Build the model of `editorRoot`.
   * @returns {{text: string, segments: Array<{start:number,end:number,node:any,kind:string}>}}
   */
  function buildModel(editorRoot) {
    const parts = [];
    const segments = [];
    let length = 0;
    // True right after a block opened, until content or the block's end: a
    // block nested first in another block does not start yet another line.
    let justOpened = true;
    let closedBlock = false;

    function push(str, node, kind) {
      segments.push({ start: length, end: length + str.length, node, kind });
      parts.push(str);
      length += str.length;
      justOpened = false;
    }
    function walk(node) {
      for (const child of node.childNodes) {
        if (child.nodeType === TEXT) {
          if (child.nodeValue.length) push(child.nodeValue, child, "text");
        } else if (child.nodeType === ELEMENT) {
          const name = child.nodeName.toUpperCase();
          if (SKIP.has(name)) continue;
          if (name === "BR") {
            if (!isTrailingBreak(child, editorRoot)) push("\n", child, "br");
            continue;
          }
          if (isBlock(child)) {
            // A line before this block: text, or a block already closed (an
            // empty first paragraph is a blank first line, as editors count it).
            if ((length > 0 || closedBlock) && !justOpened) push("\n", null, "block");
            justOpened = true;
            walk(child);
            justOpened = false; // an empty block still counts as a line
            closedBlock = true;
            continue;
          }
          walk(child);
        }
      }
    }
    walk(editorRoot);
    return { text: parts.join(""), segments };
  }

  // DOM position (node + offset) for a UTF-16 offset. `affinity` chooses the
  // side at a boundary: "forward" for a range start, "backward" for its end.
  function positionAt(model, offset, affinity) {
    const segs = model.segments;
    let candidate = null;
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i];
      if (s.kind !== "text") continue;
      if (offset > s.start && offset < s.end) return { node: s.node, offset: offset - s.start };
      if (offset === s.start && affinity === "forward") return { node: s.node, offset: 0 };
      if (offset === s.end && affinity === "backward") candidate = { node: s.node, offset: s.end - s.start };
      if (offset === s.end && affinity === "forward") candidate = candidate || { node: s.node, offset: s.end - s.start };
      if (offset === s.start && affinity === "backward" && !candidate) candidate = { node: s.node, offset: 0 };
    }
    return candidate;
  }

  // {startNode,startOffset,endNode,endOffset} for [start, end), or null when
  // the span does not lie on text the model knows.
  function rangeFor(model, start, end) {
    if (start < 0 || end > model.text.length || start >= end) return null;
    const a = positionAt(model, start, "forward");
    const b = positionAt(model, end, "backward");
    if (!a || !b) return null;
    return { startNode: a.node, startOffset: a.offset, endNode: b.node, endOffset: b.offset };
  }

  // The reverse, for the caret: the model offset of a DOM position inside a
  // text node, or -1 (a caret between elements has no text offset; callers
  // fall back to the whole list of findings).
  function offsetAt(model, node, nodeOffset) {
    for (const s of model.segments) {
      if (s.kind === "text" && s.node === node) return s.start + Math.min(nodeOffset, s.end - s.start);
    }
    return -1;
  }

  // DOM position for a caret at `offset` (the end of the text before it, else
  // the start of the text after it), or null.
  function caretAt(model, offset) {
    return positionAt(model, offset, "backward") || positionAt(model, offset, "forward");
  }

  // A finding may be painted only when the text it was computed for still
  // holds its match at the same place (the officer may have typed since).
  function spanStillValid(text, finding) {
    return text.slice(finding.start, finding.end) === finding.match;
  }

  const api = { buildModel, rangeFor, offsetAt, caretAt, spanStillValid };
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  root.Impartial = root.Impartial || {};
  root.Impartial.textmodel = api;
})(typeof globalThis !== "undefined" ? globalThis : this);
