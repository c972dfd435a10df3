// Bundles each fixture editor into ../fixtures/dist for the HTTPS fixture server.
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";

const out = new URL("../fixtures/dist/", import.meta.url).pathname;
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { draft: "src/draft.js", lexical: "src/lexical.js", prosemirror: "src/prosemirror.js", quill: "src/quill.js", plain: "src/plain.js" },
  bundle: true,
  outdir: out,
  format: "iife",
  target: "chrome120",
  define: { "process.env.NODE_ENV": '"production"', global: "window" },
  logLevel: "warning",
});
copyFileSync("node_modules/draft-js/dist/Draft.css", out + "draft.css");
copyFileSync("node_modules/quill/dist/quill.core.css", out + "quill.core.css");
copyFileSync("node_modules/prosemirror-view/style/prosemirror.css", out + "prosemirror.css");
// axe-core audits the extension's cards and dialogs for WCAG problems in the tests.
copyFileSync("node_modules/axe-core/axe.min.js", out + "axe.min.js");
console.log("fixtures built in", out);
