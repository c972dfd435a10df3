"""The packages `make extension` ships are the extension that the other tests
drive: the Chromium zip, unpacked, loads and underlines; each manifest carries
what its browser reads."""

import json
import os
import subprocess
import sys
import zipfile

from content_world import ContentWorld
from gate_dialog import Gate
from harness import EXTENSION, configure, open_composer
from test_extension_behaviour import click_post
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


def test_a_signed_crx_is_force_installed_by_policy_from_a_self_hosted_update_url(
        tmp_path, chromium_policy, playwright_instance, fixture_server, impartial_server):
    """As admins deploy outside the stores: `package.py --crx-key` signs a CRX3
    with the organisation's key (a throwaway one here) and writes updates.xml;
    ExtensionInstallForcelist points Chromium at it, and the 3rdparty policy
    configures it. No --load-extension: the browser installs it itself."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from harness import CHROMIUM, _policy_readers, chromium_args, free_port

    key = tmp_path / "throwaway-key.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}/impartial"
    out = tmp_path / "site" / "impartial"
    subprocess.run([sys.executable, str(EXTENSION / "package.py"), "--out", str(out), "--crx-key", str(key),
                    "--update-base-url", base], check=True, capture_output=True, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    ext_id = (out / "EXTENSION_ID").read_text().strip()
    version = json.loads((EXTENSION / "manifest.json").read_text())["version"]
    crx = (out / f"impartial-chromium-{version}.crx").read_bytes()
    assert crx[:4] == b"Cr24" and int.from_bytes(crx[4:8], "little") == 3
    assert f"appid=\"{ext_id}\"" in (out / "updates.xml").read_text()
    # A key inside the repository is refused: it must never be committed.
    inside = EXTENSION / "test-key-refused.pem"
    inside.write_bytes(key.read_bytes())
    try:
        refused = subprocess.run([sys.executable, str(EXTENSION / "package.py"), "--out", str(tmp_path / "x"), "--crx-key",
                                  str(inside), "--update-base-url", base], capture_output=True, text=True,
                                 env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
        assert refused.returncode != 0 and "never commit" in refused.stderr
    finally:
        inside.unlink()

    served = []

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, *a):
            served.append(self.path)

        def guess_type(self, path):
            return "application/x-chrome-extension" if str(path).endswith(".crx") else "text/xml" if str(path).endswith(".xml") else super().guess_type(path)

    httpd = ThreadingHTTPServer(("127.0.0.1", port), functools.partial(Handler, directory=str(tmp_path / "site")))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    chromium_policy(ext_id, {"serverUrl": impartial_server.url, "enforcement": "prevent"},
                    browser={"ExtensionInstallForcelist": [f"{ext_id};{base}/updates.xml"]})
    try:
        with _policy_readers():
            ctx = playwright_instance.chromium.launch_persistent_context(
                str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True,
                # Background networking is what fetches force-installed extensions; every other
                # host name still fails to resolve (the harness's resolver rules).
                args=[a for a in chromium_args(fixture_server.port, None) if a != "--disable-background-networking"],
                viewport={"width": 1000, "height": 800},
                ignore_https_errors=True, ignore_default_args=["--disable-extensions", "--disable-background-networking"])  # Playwright adds both by default
            try:
                # The installed extension runs with its managed settings: there is no default service,
                # so marks prove the policy's serverUrl, and a held post with no "Post anyway" its mode.
                page = open_composer(ctx, fixture_server, "www.linkedin.com")
                page.click(".ql-editor")
                page.keyboard.type("Vote Labour on Thursday")
                wait_for_marks(page, "m => m.some(x => x.severity === 'block')", timeout=60000)
                assert any(p.endswith(".crx") for p in served), served  # fetched from the update URL
                click_post(page)
                gate = Gate(page).wait()
                assert gate.count("[data-action=post-anyway]") == 0
                # The content script runs under the id that our key gives, from the signed package.
                world = ContentWorld(page)
                assert world.eval("chrome.runtime.id") == ext_id
                assert world.eval("chrome.runtime.getManifest().version") == version
            finally:
                ctx.close()
    finally:
        httpd.shutdown()
