// Bundles each fixture editor into ../fixtures/dist for the HTTPS fixture server.
//
// Other test runs in the same working tree may be serving dist/ while this
// writes it, so every file is written beside its final name and renamed into
// place: a reader sees the old file or the new one, never half of one.
import { build } from "esbuild";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename } from "node:path";

const out = new URL("../fixtures/dist/", import.meta.url).pathname;
mkdirSync(out, { recursive: true });

function put(name, data) {
  const tmp = `${out}.${name}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, out + name);
}

const result = await build({
  entryPoints: {
    draft: "src/draft.js", lexical: "src/lexical.js", tiptap: "src/tiptap.js",
    quill: "src/quill.js", mastodon: "src/mastodon.js", contenteditable: "src/contenteditable.js",
  },
  bundle: true,
  write: false,
  outdir: out,
  format: "iife",
  target: "chrome120",
  // Production React and Lexical: the builds the platforms ship.
  define: { "process.env.NODE_ENV": '"production"', global: "window" },
  logLevel: "warning",
});
for (const file of result.outputFiles) put(basename(file.path), file.contents);

const copies = {
  "draft.css": "node_modules/draft-js/dist/Draft.css",
  "quill.core.css": "node_modules/quill/dist/quill.core.css",
  // axe-core audits the extension's cards and dialogs for WCAG problems in the tests.
  "axe.min.js": "node_modules/axe-core/axe.min.js",
};
for (const [name, from] of Object.entries(copies)) put(name, readFileSync(from));
console.log("fixtures built in", out);
