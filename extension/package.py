"""Build the installable packages from the one source tree in extension/.

    python3 extension/package.py [--out dist] [--unpacked build/extension]

writes dist/impartial-chromium-<version>.zip and dist/impartial-firefox-<version>.xpi,
and (with --unpacked) the two trees they were zipped from, for `web-ext lint` and
for loading in a browser.

The source manifest serves both browsers unpacked (Chrome reads
background.service_worker, Firefox background.scripts). Each package gets only
what its browser reads, so neither store shows warnings:
- Chromium: no background.scripts or gecko settings; no "key" either (the Chrome
  Web Store refuses packages with one, and a self-hosted CRX takes its id from
  the key it is signed with; the committed key only pins the id of the unpacked
  tree used in development and the e2e tests).
- Firefox: no service_worker (Firefox runs background.scripts), no key, no
  minimum_chrome_version.

Run it as a script, never import it: an imported module leaves
extension/__pycache__, and Chromium refuses to load an unpacked extension with
a name starting with "_".

Zips are reproducible: sorted entries, fixed timestamps and permissions, so the
same source gives byte-identical packages.
"""

from __future__ import annotations

import argparse
import json
import shutil
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
# What ships: the manifest's own files, nothing from tests or the build.
SHIP = ["manifest.json", "managed_schema.json", "background.js", "options.html", "options.js", "src"]
EPOCH = (1980, 1, 1, 0, 0, 0)


def manifests(source: dict) -> dict[str, dict]:
    chromium = json.loads(json.dumps(source))
    chromium.pop("key", None)
    chromium.pop("browser_specific_settings", None)
    chromium["background"] = {"service_worker": source["background"]["service_worker"]}

    firefox = json.loads(json.dumps(source))
    firefox.pop("key", None)
    firefox.pop("minimum_chrome_version", None)
    firefox["background"] = {"scripts": source["background"]["scripts"]}
    return {"chromium": chromium, "firefox": firefox}


def files(src: Path) -> list[Path]:
    out = []
    for name in SHIP:
        p = src / name
        out.extend(sorted(q for q in p.rglob("*") if q.is_file()) if p.is_dir() else [p])
    return out


def write_zip(path: Path, entries: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, entries[name])


def build(out: Path, unpacked: Path | None = None, src: Path = HERE) -> dict[str, Path]:
    source = json.loads((src / "manifest.json").read_text(encoding="utf-8"))
    version = source["version"]
    out.mkdir(parents=True, exist_ok=True)
    built = {}
    for browser, manifest in manifests(source).items():
        entries = {str(p.relative_to(src)): p.read_bytes() for p in files(src)}
        entries["manifest.json"] = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        suffix = "xpi" if browser == "firefox" else "zip"
        target = out / f"impartial-{browser}-{version}.{suffix}"
        write_zip(target, entries)
        built[browser] = target
        if unpacked is not None:
            tree = unpacked / browser
            shutil.rmtree(tree, ignore_errors=True)
            for name, data in entries.items():
                (tree / name).parent.mkdir(parents=True, exist_ok=True)
                (tree / name).write_bytes(data)
            built[f"{browser}-tree"] = tree
    return built


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=HERE.parent / "dist")
    ap.add_argument("--unpacked", type=Path, default=None)
    args = ap.parse_args()
    for name, path in build(args.out, args.unpacked).items():
        print(f"{name}: {path}")


if __name__ == "__main__":
    main()
