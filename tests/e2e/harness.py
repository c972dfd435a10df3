"""End-to-end harness: Debian's Chromium with the unpacked extension, driven by
Playwright, against fixture pages served under the platforms' real host names
over HTTPS, and a real Impartial service under gunicorn on 127.0.0.1."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
EXTENSION = ROOT / "extension"
CHROMIUM = os.environ.get("IMPARTIAL_CHROMIUM", "/usr/bin/chromium")

# Host -> fixture page. The extension's manifest matches these real hosts.
HOSTS = {
    "x.com": "x.html", "twitter.com": "x.html",
    "www.facebook.com": "lexical.html", "www.instagram.com": "lexical.html",
    "www.threads.net": "lexical.html", "www.threads.com": "lexical.html",
    "bsky.app": "bluesky.html", "www.linkedin.com": "linkedin.html",
    "mastodon.social": "mastodon.html", "app.hootsuite.com": "generic.html",
}
# Facebook, Instagram and Threads all compose with Lexical; their Post buttons differ.
TEMPLATE = {
    "www.facebook.com": {"platform": "Facebook", "post_label": "Post"},
    "www.instagram.com": {"platform": "Instagram", "post_label": "Share"},
    "www.threads.net": {"platform": "Threads", "post_label": "Post"},
    "www.threads.com": {"platform": "Threads", "post_label": "Post"},
}
# Each platform's composer, as the tests click into it.
EDITORS = {
    "x.com": ".public-DraftEditor-content",
    "www.facebook.com": "[data-lexical-editor]",
    "www.instagram.com": "[data-lexical-editor]",
    "www.threads.net": "[data-lexical-editor]",
    "bsky.app": ".ProseMirror",
    "www.linkedin.com": ".ql-editor",
    "mastodon.social": "textarea",
    "app.hootsuite.com": "[contenteditable]",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):
        host = (self.headers.get("Host") or "").split(":")[0]
        path = self.path.split("?")[0]
        if path.startswith("/dist/"):
            target = HERE / "fixtures" / "dist" / path[len("/dist/"):]
        elif path == "/fixture.css":
            target = HERE / "pages" / "fixture.css"
        elif host in HOSTS:
            target = HERE / "pages" / HOSTS[host]
        else:
            target = None
        if target is None or not target.is_file():
            self.send_error(404)
            return
        body = target.read_bytes()
        for key, value in TEMPLATE.get(host, {}).items():
            body = body.replace(("{{%s}}" % key).encode(), value.encode())
        ctype = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".css": "text/css; charset=utf-8"}.get(target.suffix, "application/octet-stream")
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)


class FixtureServer:
    def __init__(self, port: int):
        self.port = port

    def url(self, host: str, path: str = "/") -> str:
        return f"https://{host}{path}"


@pytest.fixture(scope="session")
def certificate(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    key, cert = d / "key.pem", d / "cert.pem"
    san = ",".join(f"DNS:{h}" for h in HOSTS)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=impartial-fixtures", "-addext", f"subjectAltName={san}",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


@pytest.fixture(scope="session")
def fixture_server(certificate):
    if not (HERE / "fixtures" / "dist" / "draft.js").exists():
        pytest.fail("fixture bundles are missing: run `make e2e-deps`")
    port = free_port()
    httpd = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*map(str, certificate))
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield FixtureServer(port)
    httpd.shutdown()


class Service:
    """A real Impartial service under gunicorn; stop() and start() simulate an outage."""

    def __init__(self, port: int, env: dict):
        self.port = port
        self.env = env
        self.proc = None
        self.url = f"http://127.0.0.1:{port}"

    def start(self):
        gunicorn = Path(sys.executable).parent / "gunicorn"
        env = dict(os.environ, HOST="127.0.0.1", PORT=str(self.port), WEB_CONCURRENCY="1", **self.env)
        self.proc = subprocess.Popen([str(gunicorn), "-c", str(ROOT / "gunicorn.conf.py"), "server.app:create_app()"],
                                     cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/readyz", timeout=2).read()
                return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the Impartial service did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def check(self, text: str, platform: str = "generic") -> dict:
        req = urllib.request.Request(self.url + "/v1/check", data=json.dumps({"text": text, "platform": platform}).encode(),
                                     headers={"Content-Type": "application/json"})
        return json.loads(urllib.request.urlopen(req, timeout=10).read())


@pytest.fixture(scope="session")
def impartial_server():
    service = Service(free_port(), {}).start()
    yield service
    service.stop()


def chromium_args(fixture_port: int, extension: Path) -> list[str]:
    rules = ",".join(f"MAP {h} 127.0.0.1:{fixture_port}" for h in HOSTS)
    return ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-quic", "--ignore-certificate-errors",
            f"--host-resolver-rules={rules}", f"--disable-extensions-except={extension}", f"--load-extension={extension}",
            "--window-size=1000,800", "--force-device-scale-factor=1", "--lang=en-GB"]


@pytest.fixture(scope="session")
def playwright_instance():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make e2e-deps` (installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture
def browser_factory(playwright_instance, fixture_server, tmp_path):
    """Starts Chromium with the extension; yields (context, service_worker)."""
    contexts = []

    def start(extension: Path = EXTENSION):
        profile = tmp_path / f"profile{len(contexts)}"
        ctx = playwright_instance.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=chromium_args(fixture_server.port, extension),
            viewport={"width": 1000, "height": 800}, ignore_https_errors=True)
        contexts.append(ctx)
        sw = ctx.service_workers[0] if ctx.service_workers else ctx.wait_for_event("serviceworker", timeout=15000)
        return ctx, sw

    yield start
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def browser(browser_factory, impartial_server):
    """Chromium with the extension pointed at the test service."""
    ctx, sw = browser_factory()
    configure(sw, serverUrl=impartial_server.url)
    return ctx, sw


def configure(sw, **settings):
    """What an officer would set on the options page (chrome.storage.sync)."""
    sw.evaluate("s => chrome.storage.sync.set(s)", settings)


def open_composer(ctx, fixture_server, host: str, path: str = "/"):
    page = ctx.new_page()
    page.goto(fixture_server.url(host, path))
    page.wait_for_function("window.__editorReady === true")
    return page
