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

Self-hosted fleet install (Chrome, Edge):

    python3 extension/package.py --crx-key /secure/impartial.pem \
        --update-base-url https://extensions.example.gov.uk/impartial

also writes dist/impartial-chromium-<version>.crx, a CRX3 signed with the
organisation's own RSA key (the extension id comes from that key), and
dist/updates.xml, the update manifest that ExtensionInstallForcelist or
ExtensionSettings' update_url point at (<base>/updates.xml, with the CRX at
<base>/impartial-chromium-<version>.crx). The key is read by path and never
copied; a key inside this repository is refused (it must never be committed).
Signing uses the openssl command-line tool.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import struct
import subprocess
import zipfile
from pathlib import Path
from xml.sax.saxutils import quoteattr

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


# --- CRX3: Chromium's signed package (components/crx_file/crx3.proto) -------------------------------------------------

def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, data: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _openssl(args: list[str], data: bytes | None = None) -> bytes:
    return subprocess.run(["openssl", *args], input=data, capture_output=True, check=True).stdout


def extension_id(public_der: bytes) -> str:
    """Chromium's id: the first 16 bytes of SHA-256 of the public key, hex digits 0-f written a-p."""
    return "".join(chr(ord("a") + int(c, 16)) for c in hashlib.sha256(public_der).hexdigest()[:32])


def crx3(zip_bytes: bytes, key: Path) -> tuple[bytes, str]:
    """(CRX3 file, extension id) for a zip signed with an RSA private key (PEM)."""
    public = _openssl(["pkey", "-in", str(key), "-pubout", "-outform", "DER"])
    crx_id = hashlib.sha256(public).digest()[:16]
    signed_data = _field(1, crx_id)  # SignedData.crx_id
    message = b"CRX3 SignedData\x00" + struct.pack("<I", len(signed_data)) + signed_data + zip_bytes
    signature = _openssl(["dgst", "-sha256", "-sign", str(key)], message)  # RSASSA-PKCS1-v1_5
    # CrxFileHeader: sha256_with_rsa (2) = AsymmetricKeyProof{public_key (1), signature (2)}; signed_header_data (10000).
    header = _field(2, _field(1, public) + _field(2, signature)) + _field(10000, signed_data)
    return b"Cr24" + struct.pack("<II", 3, len(header)) + header + zip_bytes, extension_id(public)


def update_manifest(ext_id: str, version: str, codebase: str) -> str:
    """The gupdate XML an update_url serves."""
    return ("<?xml version='1.0' encoding='UTF-8'?>\n"
            "<gupdate xmlns='http://www.google.com/update2/response' protocol='2.0'>\n"
            f"  <app appid={quoteattr(ext_id)}>\n"
            f"    <updatecheck codebase={quoteattr(codebase)} version={quoteattr(version)} />\n"
            "  </app>\n</gupdate>\n")


def self_hosted(zip_path: Path, key: Path, base_url: str, out: Path, version: str) -> dict[str, Path]:
    key = key.resolve()
    if not key.is_file():
        raise SystemExit(f"no such key: {key}")
    if HERE.parent in key.parents:
        raise SystemExit(f"refusing a signing key inside the repository ({key}): keep it out of the tree, never commit it")
    data, ext_id = crx3(zip_path.read_bytes(), key)
    crx = out / f"impartial-chromium-{version}.crx"
    crx.write_bytes(data)
    updates = out / "updates.xml"
    updates.write_text(update_manifest(ext_id, version, f"{base_url.rstrip('/')}/{crx.name}"), encoding="utf-8")
    (out / "EXTENSION_ID").write_text(ext_id + "\n")
    return {"crx": crx, "updates": updates, "id": out / "EXTENSION_ID"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=HERE.parent / "dist")
    ap.add_argument("--unpacked", type=Path, default=None)
    ap.add_argument("--crx-key", type=Path, default=None, help="RSA private key (PEM) to sign a self-hosted CRX3 with")
    ap.add_argument("--update-base-url", default=None, help="where the CRX and updates.xml will be served from")
    args = ap.parse_args()
    built = build(args.out, args.unpacked)
    if args.crx_key:
        if not args.update_base_url:
            raise SystemExit("--crx-key needs --update-base-url (where updates.xml and the CRX are served)")
        version = json.loads((HERE / "manifest.json").read_text(encoding="utf-8"))["version"]
        built.update(self_hosted(built["chromium"], args.crx_key, args.update_base_url, args.out, version))
    for name, path in built.items():
        print(f"{name}: {path}")


if __name__ == "__main__":
    main()
