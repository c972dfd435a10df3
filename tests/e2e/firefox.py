"""Firefox end to end: Debian's firefox-esr driven through Marionette (the
`marionette-driver` package), with the extension's Firefox package installed
as a temporary add-on and its settings from a policies.json, against the same
fixture pages and the real service.

Host names: `network.dns.localDomains` sends every fixture host to 127.0.0.1,
and pages are opened on the fixture server's port (match patterns ignore the
port). TLS: the session accepts the throwaway certificate (acceptInsecureCerts).
Policies: Firefox reads `distribution/policies.json` beside its binary at start-up;
the file is machine-wide, so writers take a file lock and remove it after the test.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from harness import IN_CI, PAGES, ROOT, free_port

FIREFOX = os.environ.get("IMPARTIAL_FIREFOX", "/usr/bin/firefox-esr")
GECKO_ID = "impartial@checks.gov.uk"
POLICY_FILE = Path(os.environ.get("IMPARTIAL_FIREFOX_POLICIES", "/usr/lib/firefox-esr/distribution/policies.json"))
_LOCK = Path(tempfile.gettempdir()) / "impartial-e2e-firefox-policy.lock"

PREFS = {
    "network.dns.localDomains": ",".join(PAGES),
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.startup.page": 0,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    "app.update.disabledForTesting": True,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "extensions.getAddons.cache.enabled": False,
    "extensions.autoDisableScopes": 0,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "dom.security.https_first": False,
    "network.proxy.type": 0,
    "intl.accept_languages": "en-GB",
    "font.name.sans-serif.x-western": "DejaVu Sans",
}


def require_firefox():
    problem = None
    if not Path(FIREFOX).exists():
        problem = f"{FIREFOX} is missing: run `make e2e-firefox` (Debian's firefox-esr)"
    else:
        try:
            import marionette_driver  # noqa: F401
        except ImportError:
            problem = "the marionette-driver package is missing: run `make e2e-firefox`"
    if problem:
        (pytest.fail if IN_CI else pytest.skip)(problem)


def firefox_package(tmp: Path) -> Path:
    """The extension's Firefox tree, as `make extension` builds it."""
    out = tmp / "ext"
    subprocess.run([sys.executable, str(ROOT / "extension" / "package.py"), "--out", str(tmp / "dist"),
                    "--unpacked", str(out)], check=True, capture_output=True, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    return out / "firefox"


class Firefox:
    def __init__(self, fixture_port: int, profile: Path, extension: Path):
        from marionette_driver.marionette import Marionette

        self.fixture_port = fixture_port
        port = free_port()
        profile.mkdir(parents=True, exist_ok=True)
        prefs = dict(PREFS, **{"marionette.port": port})
        (profile / "user.js").write_text("".join(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n" for k, v in prefs.items()))
        self.log = open(profile.parent / f"{profile.name}.log", "ab")
        self.proc = subprocess.Popen([FIREFOX, "--headless", "--marionette", "--no-remote", "--profile", str(profile),
                                      "--width", "1000", "--height", "800", "about:blank"],
                                     stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL, start_new_session=True,
                                     env=dict(os.environ, MOZ_HEADLESS="1", MOZ_CRASHREPORTER_DISABLE="1"))
        self.m = Marionette(host="127.0.0.1", port=port, startup_timeout=60)
        deadline = time.monotonic() + 60
        while True:
            try:
                self.m.start_session({"acceptInsecureCerts": True})
                break
            except Exception:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.close()
                    raise
                time.sleep(0.5)
        from marionette_driver.addons import Addons

        self.addon_id = Addons(self.m).install(str(extension), temp=True)
        assert self.addon_id == GECKO_ID, self.addon_id

    def url(self, host: str, path: str = "/") -> str:
        return f"https://{host}:{self.fixture_port}{path}"

    def open_composer(self, host: str, path: str = "/"):
        self.m.navigate(self.url(host, path))
        self.wait("return window.__editorReady === true", what="the editor")

    def js(self, script: str, args=None):
        return self.m.execute_script(script, script_args=args or [], sandbox=None)

    def wait(self, script: str, timeout: float = 15, what: str = "a condition"):
        deadline = time.monotonic() + timeout
        while True:
            value = self.js(script)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}: {script}")
            time.sleep(0.1)

    def close(self):
        with contextlib.suppress(Exception):
            self.m.delete_session()
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()
        self.log.close()


@pytest.fixture(scope="session")
def firefox_extension(tmp_path_factory):
    require_firefox()
    return firefox_package(tmp_path_factory.mktemp("firefox-package"))


@pytest.fixture
def firefox_factory(firefox_extension, fixture_server, tmp_path):
    """start(policy: dict) -> Firefox with the extension's managed settings from policies.json."""
    browsers = []
    stack = contextlib.ExitStack()

    def start(settings: dict) -> Firefox:
        if not os.access(POLICY_FILE.parent if POLICY_FILE.parent.exists() else POLICY_FILE.parent.parent, os.W_OK):
            pytest.fail(f"writing Firefox's policies ({POLICY_FILE}) needs root")
        lock = stack.enter_context(open(_LOCK, "a"))
        fcntl.flock(lock, fcntl.LOCK_EX)
        POLICY_FILE.parent.mkdir(parents=True, exist_ok=True)
        POLICY_FILE.write_text(json.dumps({"policies": {"3rdparty": {"Extensions": {GECKO_ID: settings}}}}))
        stack.callback(POLICY_FILE.unlink, missing_ok=True)
        ff = Firefox(fixture_server.port, tmp_path / f"ff-profile{len(browsers)}", firefox_extension)
        browsers.append(ff)
        return ff

    yield start
    for ff in browsers:
        ff.close()
    stack.close()
