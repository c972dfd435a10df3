"""The packages `make extension` ships are the extension that the other tests
drive: the Chromium zip, unpacked, loads and underlines; each manifest carries
what its browser reads."""

import json
import os
import subprocess
import sys
import zipfile

from harness import EXTENSION, configure, open_composer
from test_extension_underlines import wait_for_marks


def build(tmp_path):
    out = tmp_path / "dist"
    # A script, not an import: an import would leave extension/__pycache__,
    # which Chromium refuses to load.
    subprocess.run([sys.executable, str(EXTENSION / "package.py"), "--out", str(out)], check=True,
                   env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"), capture_output=True)
    version = json.loads((EXTENSION / "manifest.json").read_text())["version"]
    return out / f"impartial-chromium-{version}.zip", out / f"impartial-firefox-{version}.xpi"


def test_packages_carry_each_browsers_manifest(tmp_path):
    chromium, firefox = build(tmp_path)
    with zipfile.ZipFile(chromium) as z:
        names = set(z.namelist())
        cm = json.loads(z.read("manifest.json"))
    with zipfile.ZipFile(firefox) as z:
        assert set(z.namelist()) == names
        fm = json.loads(z.read("manifest.json"))
    assert {"manifest.json", "background.js", "managed_schema.json", "src/content.js", "src/textmodel.js"} <= names
    assert not any(n.startswith(("test/", "_")) or n.endswith((".py", ".mk")) for n in names)
    assert "key" not in cm and "browser_specific_settings" not in cm and cm["background"] == {"service_worker": "background.js"}
    assert "key" not in fm and "service_worker" not in fm["background"] and fm["browser_specific_settings"]["gecko"]["id"]
    # The same content scripts and permissions in both.
    assert cm["content_scripts"] == fm["content_scripts"] and cm["host_permissions"] == fm["host_permissions"]
    assert "<all_urls>" not in json.dumps(cm)
    # Reproducible: the same source gives the same bytes.
    again, _ = build(tmp_path / "again")
    assert again.read_bytes() == chromium.read_bytes()


def test_the_chromium_package_loads_and_underlines(browser_factory, fixture_server, impartial_server, tmp_path):
    chromium, _ = build(tmp_path)
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(chromium) as z:
        z.extractall(unpacked)
    ctx, sw = browser_factory(unpacked)
    configure(sw, serverUrl=impartial_server.url)
    page = open_composer(ctx, fixture_server, "www.linkedin.com")
    page.click(".ql-editor")
    page.keyboard.type("Vote Labour on Thursday")
    marks = wait_for_marks(page, "m => m.some(x => x.severity === 'block')")
    assert any(m["start"] == 0 and m["end"] == len("Vote Labour") for m in marks)
