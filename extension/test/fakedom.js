// A minimal DOM stand-in for unit tests: just what textmodel.js reads.
"use strict";
class Node {
  constructor(nodeType, nodeName, nodeValue = null) {
    this.nodeType = nodeType; this.nodeName = nodeName; this.nodeValue = nodeValue;
    this.childNodes = []; this.parentNode = null;
  }
  get nextSibling() {
    if (!this.parentNode) return null;
    const sibs = this.parentNode.childNodes;
    return sibs[sibs.indexOf(this) + 1] || null;
  }
}
function el(name, ...children) {
  const n = new Node(1, name.toUpperCase());
  for (const c of children) {
    const child = typeof c === "string" ? new Node(3, "#text", c) : c;
    child.parentNode = n;
    n.childNodes.push(child);
  }
  return n;
}
module.exports = { el, Node };
