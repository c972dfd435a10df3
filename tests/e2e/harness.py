"""End-to-end harness: Debian's Chromium with the unpacked extension, driven by
Playwright, against fixture pages served under the platforms' real host names
over HTTPS, and a real Impartial service under gunicorn on 127.0.0.1.

The fixture-page contract (hosts, selectors, window hooks) is in README.md.
This module has a unique name (not conftest) so test files can import it.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
EXTENSION = ROOT / "extension"
PAGES_DIR = HERE / "pages"
DIST = HERE / "fixtures" / "dist"
CHROMIUM = os.environ.get("IMPARTIAL_CHROMIUM", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@dataclass(frozen=True)
class Page:
    """One platform's composer as a fixture page serves it."""

    host: str
    platform: str  # the service's platform id for this host
    library: str  # window.__fixture.library
    editor: str  # the element an officer types into
    post: str  # the platform's Post control
    shortcut: bool  # Ctrl/Cmd+Enter in the editor posts
    counter: bool  # a [data-fixture-counter] the page keeps from its model
    template: str
    vars: dict = field(default_factory=dict)


_X = dict(platform="x", library="draft-js", editor='[data-testid="tweetTextarea_0"]',
          post='[data-testid="tweetButtonInline"]', shortcut=True, counter=True, template="x.html")


def _lexical(platform, post, shortcut, counter):
    return dict(platform=platform, library="lexical (plain-text)", editor='[data-lexical-editor="true"]',
                post=post, shortcut=shortcut, counter=counter, template=f"{platform}.html")


_THREADS = _lexical("threads", '[role="button"][aria-label="Post"]', True, True)
PAGES = {p.host: p for p in [
    Page("x.com", **_X),
    Page("twitter.com", **_X),
    Page("www.facebook.com", **_lexical("facebook", '[role="button"][aria-label="Post"]', False, False)),
    # Instagram's header "Share": a role=button with its word as text and no aria-label.
    Page("www.instagram.com", **_lexical("instagram", '[role="dialog"] [role="button"][data-fixture-post]', False, False)),
    Page("www.threads.net", **_THREADS),
    Page("www.threads.com", **_THREADS),
    Page("bsky.app", platform="bluesky", library="tiptap", editor=".ProseMirror",
         post='[data-testid="composerPublishBtn"]', shortcut=True, counter=True, template="bluesky.html"),
    Page("www.linkedin.com", platform="linkedin", library="quill", editor=".ql-editor",
         post="button.share-actions__primary-action", shortcut=False, counter=False, template="linkedin.html"),
    Page("mastodon.social", platform="mastodon", library="textarea (React-controlled)",
         editor="textarea.autosuggest-textarea__textarea", post='.compose-form button[type="submit"]', shortcut=True,
         counter=True, template="mastodon.html"),
    Page("app.hootsuite.com", platform="generic", library="contenteditable", editor='[contenteditable="true"]',
         post="button.post", shortcut=True, counter=False, template="generic.html"),
]}
HOSTS = {host: page.template for host, page in PAGES.items()}
# One host per kind of composer (the aliases twitter.com and www.threads.com
# left out): what tests parametrize over. Selectors as tests click into them.
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


# --- Fixture pages over HTTPS --------------------------------------------------------------------------------------

_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".css": "text/css; charset=utf-8", ".json": "application/json"}


def render_page(host: str, path: str) -> bytes | None:
    """The fixture page for a Host header and path, or None (404)."""
    page = PAGES.get(host)
    if page is None:
        return None
    values = dict(page.vars)
    path, _, query = path.partition("?")
    # X's composer dialog (/compose/post) has tweetButton, in X's modal layer; the home timeline tweetButtonInline.
    compose = path.startswith("/compose/")
    values["x_button"] = "tweetButton" if compose else "tweetButtonInline"
    values["x_modal_start"] = ('<div class="modal-layer" style="z-index: 1000"><div class="modal" role="dialog" '
                               'aria-modal="true" aria-label="Compose post">') if compose else ""
    values["x_modal_end"] = "</div></div>" if compose else ""
    # Schedulers: ?composers=2 puts a second, empty message box before the main one.
    values["second_composer"] = ('<div class="composer-input second-composer" contenteditable="true" role="textbox" '
                                 'aria-multiline="true" aria-label="Message for LinkedIn" data-fixture-second></div>'
                                 if "composers=2" in query else "")
    body = (PAGES_DIR / page.template).read_text(encoding="utf-8")
    body = re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], body)
    return body.encode("utf-8")


class _Handler(BaseHTTPRequestHandler):
    # Keep-alive: one TLS handshake per connection, not per bundle.
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _resolve(self) -> tuple[bytes, str] | None:
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].lower()
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        if host not in PAGES:
            return None
        if path.startswith("/dist/"):
            target = (DIST / path[len("/dist/"):]).resolve()
            if target.parent != DIST.resolve() or not target.is_file():
                return None
            return target.read_bytes(), _TYPES.get(target.suffix, "application/octet-stream")
        if path == "/fixture.css":
            return (PAGES_DIR / "fixture.css").read_bytes(), _TYPES[".css"]
        if path == "/fixture.js":
            return (PAGES_DIR / "fixture.js").read_bytes(), _TYPES[".js"]
        if path == "/favicon.ico":
            return None
        return render_page(host, self.path.split("#", 1)[0]), _TYPES[".html"]

    def _respond(self, with_body: bool):
        found = self._resolve()
        if found is None:
            body, status, ctype = b"not a fixture\n", 404, "text/plain; charset=utf-8"
        else:
            (body, ctype), status = found, 200
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def do_GET(self):
        self._respond(True)

    def do_HEAD(self):
        self._respond(False)


class _TLSServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, context: ssl.SSLContext):
        self.context = context
        super().__init__(address, _Handler)

    def finish_request(self, request, client_address):
        # The handshake runs here, in the connection's own thread: a client that
        # connects and says nothing (Chromium preconnects) cannot stall the others.
        request.settimeout(30)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            with contextlib.suppress(OSError):
                tls.close()

    def handle_error(self, request, client_address):
        # Browsers drop connections mid-response when a page navigates; not an error.
        exc = sys.exc_info()[1]
        if not isinstance(exc, (ConnectionError, ssl.SSLError, TimeoutError, OSError)):
            super().handle_error(request, client_address)


class FixtureServer:
    def __init__(self, port: int):
        self.port = port

    def url(self, host: str, path: str = "/") -> str:
        # Chromium maps the host to 127.0.0.1:<port> itself, so the URL stays the platform's real one.
        return f"https://{host}{path}"

    def fetch(self, host: str, path: str = "/") -> tuple[int, bytes]:
        """GET from the server directly (no browser), with the given Host header."""
        ctx = ssl.create_default_context()
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        req = urllib.request.Request(f"https://127.0.0.1:{self.port}{path}", headers={"Host": host})
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for every fixture host."""
    key, cert = directory / "key.pem", directory / "cert.pem"
    san = ",".join(f"DNS:{h}" for h in PAGES)
    if shutil.which("openssl"):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-days", "2", "-subj", "/CN=impartial-e2e-fixtures", "-addext",
                        f"subjectAltName={san}", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
        return cert, key
    try:
        import datetime

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        pytest.fail("neither the openssl CLI nor the cryptography package is available to make a certificate "
                    "(`make e2e-deps` installs openssl)")
    pkey = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "impartial-e2e-fixtures")])
    now = datetime.datetime.now(datetime.timezone.utc)
    crt = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(pkey.public_key())
           .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
           .not_valid_after(now + datetime.timedelta(days=2))
           .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in PAGES]), critical=False)
           .sign(pkey, hashes.SHA256()))
    key.write_bytes(pkey.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    cert.write_bytes(crt.public_bytes(serialization.Encoding.PEM))
    return cert, key


@pytest.fixture(scope="session")
def certificate(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def fixture_server(certificate):
    missing = sorted({re.search(r'src="/dist/([^"]+)"', (PAGES_DIR / p.template).read_text()).group(1)
                      for p in PAGES.values()} - {f.name for f in DIST.glob("*.js")}) if DIST.is_dir() else ["all"]
    if missing:
        pytest.fail(f"fixture bundles are missing ({', '.join(missing)}): run `make e2e-deps`")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*map(str, certificate))
    httpd = _TLSServer(("127.0.0.1", 0), ctx)
    thread = threading.Thread(target=httpd.serve_forever, name="fixture-server", daemon=True)
    thread.start()
    yield FixtureServer(httpd.server_address[1])
    httpd.shutdown()
    httpd.server_close()


# --- The Impartial service --------------------------------------------------------------------------------------

_LIVE_SERVICES: set = set()


class Service:
    """A real Impartial service under gunicorn; stop() and start() again simulate an outage.

    env is added to the environment (IMPARTIAL_* settings, e.g. IMPARTIAL_RULES).
    tls=(cert, key) serves https (gunicorn's own TLS), as a company service is reached.
    """

    def __init__(self, port: int, env: dict | None = None, log: Path | None = None, tls: tuple | None = None):
        self.port = port
        self.env = dict(env or {})
        if tls:
            self.env["GUNICORN_CMD_ARGS"] = f"--certfile={tls[0]} --keyfile={tls[1]}"
        self.tls = bool(tls)
        self.proc = None
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
        self.log = log or Path(tempfile.gettempdir()) / f"impartial-e2e-service-{os.getpid()}-{port}.log"

    def start(self, timeout: float = 60):
        if self.running:
            return self
        env = dict(os.environ, HOST="127.0.0.1", PORT=str(self.port), WEB_CONCURRENCY="1", **self.env)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "server.app:create_app()"],
                cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        _LIVE_SERVICES.add(self)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                # /readyz, not /healthz: 200 only once a valid rulebook is loaded.
                with urllib.request.urlopen(self.url + "/readyz", timeout=2, context=_unverified()) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        tail = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
        raise RuntimeError(f"the Impartial service did not become ready on {self.url}:\n{tail}")

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.running:
            # gunicorn's arbiter and its workers share the session started above.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        _LIVE_SERVICES.discard(self)

    def check(self, text: str, platform: str = "generic", context: dict | None = None) -> dict:
        body = {"text": text, "platform": platform, **({"context": context} if context is not None else {})}
        req = urllib.request.Request(self.url + "/v1/check", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10, context=_unverified()) as r:
            return json.loads(r.read())

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _unverified() -> ssl.SSLContext:
    """For the tests' own requests to a TLS service with the throwaway certificate."""
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    return ctx


@atexit.register
def _stop_services():
    for service in list(_LIVE_SERVICES):
        service.stop()


@pytest.fixture(scope="session")
def impartial_server(tmp_path_factory):
    """The real service with default settings, shared by the whole session."""
    service = Service(free_port(), log=tmp_path_factory.mktemp("service") / "gunicorn.log").start()
    yield service
    service.stop()


@pytest.fixture
def impartial_server_factory(tmp_path):
    """make(env=None, start=True, port=None) -> Service; every one is stopped after the test."""
    made = []

    def make(env: dict | None = None, start: bool = True, port: int | None = None) -> Service:
        service = Service(port or free_port(), env, log=tmp_path / f"gunicorn-{len(made)}.log")
        made.append(service)
        return service.start() if start else service

    yield make
    for service in made:
        service.stop()


# --- Chromium ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def extension_path() -> Path:
    """The unpacked extension Chromium loads: the source directory, which runs
    unpacked as is; IMPARTIAL_EXTENSION_DIR points it at another copy."""
    return Path(os.environ.get("IMPARTIAL_EXTENSION_DIR", EXTENSION)).resolve()


def host_resolver_rules(fixture_port: int) -> str:
    # Every platform host goes to the fixture server; every other name fails to
    # resolve, so a page can never quietly reach the real network.
    rules = [f"MAP {h} 127.0.0.1:{fixture_port}" for h in PAGES]
    return ",".join(rules + ["MAP * ~NOTFOUND", "EXCLUDE 127.0.0.1", "EXCLUDE localhost"])


def chromium_args(fixture_port: int, extension: Path | None) -> list[str]:
    args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-quic", "--ignore-certificate-errors",
            "--disable-default-apps", "--no-default-browser-check", "--disable-features=Translate,MediaRouter",
            f"--host-resolver-rules={host_resolver_rules(fixture_port)}",
            "--window-size=1000,800", "--force-device-scale-factor=1", "--lang=en-GB"]
    if extension is not None:
        args += [f"--disable-extensions-except={extension}", f"--load-extension={extension}"]
    return args


def require_chromium():
    """A missing browser is a broken setup: fail in CI, skip on a developer's machine."""
    problem = None
    if not Path(CHROMIUM).exists():
        problem = f"{CHROMIUM} is missing: run `make e2e-deps` (installs Debian's chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright package is missing: run `make setup`"
    if problem:
        (pytest.fail if IN_CI else pytest.skip)(problem)


@pytest.fixture(scope="session")
def playwright_instance():
    require_chromium()
    remove_stale_policies()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


def extension_id(service_worker) -> str:
    return service_worker.url.split("/")[2]


@pytest.fixture
def browser_factory(playwright_instance, fixture_server, extension_path, tmp_path):
    """start(extension=extension_path, args=()) -> (context, service_worker).

    Each call is a fresh profile. extension=None starts Chromium without the
    extension (service_worker is then None).
    """
    contexts = []
    stack = contextlib.ExitStack()

    def start(extension: Path | None = extension_path, args=()):
        stack.enter_context(_policy_readers())
        profile = tmp_path / f"profile{len(contexts)}"
        ctx = playwright_instance.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True,
            args=chromium_args(fixture_server.port, extension) + list(args),
            viewport={"width": 1000, "height": 800}, ignore_https_errors=True)
        contexts.append(ctx)
        if extension is None:
            return ctx, None
        sw = ctx.service_workers[0] if ctx.service_workers else ctx.wait_for_event("serviceworker", timeout=15000)
        return ctx, sw

    yield start
    for ctx in contexts:
        with contextlib.suppress(Exception):
            ctx.close()
    stack.close()


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


# --- Managed policy ----------------------------------------------------------------------------------------------
#
# Chromium reads /etc/chromium/policies/managed/*.json at start-up and watches
# the directory, so a policy written by one test run reaches every Chromium on
# the machine, including other engineers' runs in this tree. A file lock keeps
# them apart: each browser holds a shared lock while it runs; a policy writer
# takes it exclusively, and a turnstile stops new browsers queueing in front.

POLICY_DIR = Path(os.environ.get("IMPARTIAL_CHROMIUM_POLICY_DIR", "/etc/chromium/policies/managed"))
_LOCKS = Path(tempfile.gettempdir())
_TURNSTILE = _LOCKS / "impartial-e2e-policy.turnstile"
_POLICY_LOCK = _LOCKS / "impartial-e2e-policy.lock"
_POLICY_PREFIX = "impartial-e2e-harness-"
_state = threading.local()  # .writing: this run owns the policy; .readers: browsers open here


def _flock(path: Path, mode: int, timeout: float, what: str):
    f = open(path, "a")
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(f, mode | fcntl.LOCK_NB)
            return f
        except BlockingIOError:
            if time.monotonic() > deadline:
                f.close()
                pytest.fail(f"timed out waiting for {what} ({path})")
            time.sleep(0.1)


@contextlib.contextmanager
def _policy_readers():
    if getattr(_state, "writing", False):  # this run wrote the policy and means its browsers to see it
        yield
        return
    # Pass the turnstile (blocked while a writer waits or holds the policy), then share the lock.
    _flock(_TURNSTILE, fcntl.LOCK_EX, 300, "another test run's managed-policy test to finish").close()
    lock = _flock(_POLICY_LOCK, fcntl.LOCK_SH, 300, "another test run's managed-policy test to finish")
    _state.readers = getattr(_state, "readers", 0) + 1
    try:
        yield
    finally:
        _state.readers -= 1
        lock.close()


def remove_stale_policies():
    """Delete policies left by a run killed mid-test, unless a writer is active now."""
    try:
        f = open(_TURNSTILE, "a")
    except OSError:
        return
    with f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return
        for stale in POLICY_DIR.glob(_POLICY_PREFIX + "*.json"):
            with contextlib.suppress(OSError):
                stale.unlink()


@pytest.fixture
def chromium_policy():
    """write(extension_id, settings) puts settings in Chromium's managed storage
    for that extension (what chrome.storage.managed returns). Call it before
    starting the browser; the file is removed after the test."""
    writable = POLICY_DIR if POLICY_DIR.exists() else POLICY_DIR.parent
    if not os.access(writable, os.W_OK) and os.geteuid() != 0:
        pytest.fail(f"writing Chromium's managed policy ({POLICY_DIR}) needs root")
    stack = contextlib.ExitStack()
    path = POLICY_DIR / f"{_POLICY_PREFIX}{os.getpid()}.json"
    policy = {"3rdparty": {"extensions": {}}}

    def write(ext_id: str, settings: dict, browser: dict | None = None) -> Path:
        """browser: top-level Chromium policies too (e.g. ExtensionInstallForcelist)."""
        if getattr(_state, "readers", 0):
            pytest.fail("chromium_policy: write the policy before starting the browser")
        if not getattr(_state, "writing", False):
            stack.enter_context(_flock(_TURNSTILE, fcntl.LOCK_EX, 300, "other test runs' browsers"))
            stack.enter_context(_flock(_POLICY_LOCK, fcntl.LOCK_EX, 300, "other test runs' browsers to close"))
            _state.writing = True
            stack.callback(setattr, _state, "writing", False)
            stack.callback(path.unlink, missing_ok=True)
            # Holding both locks, any other harness policy file is a leftover.
            for stale in POLICY_DIR.glob(_POLICY_PREFIX + "*.json"):
                stale.unlink(missing_ok=True)
            POLICY_DIR.mkdir(parents=True, exist_ok=True)
        policy["3rdparty"]["extensions"][ext_id] = settings
        policy.update(browser or {})
        # No browser runs while this is written (the lock), so no need for an atomic rename.
        path.write_text(json.dumps(policy))
        return path

    yield write
    stack.close()


def wait_for_text(page, selector: str, ok, timeout: float = 10.0) -> str:
    """Poll an element's text from Python: the options page's CSP (script-src 'self') refused
    wait_for_function's string predicate once in CI ('unsafe-eval' is not allowed), while reading textContent through a locator needs no evaluated string."""
    deadline = time.monotonic() + timeout
    while True:
        text = page.locator(selector).text_content() or ""
        if ok(text):
            return text
        assert time.monotonic() < deadline, f"{selector}: {text!r} after {timeout} s"
        time.sleep(0.05)
