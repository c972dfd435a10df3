"""A real gunicorn (gunicorn.conf.py) on 127.0.0.1 for the tests, and plain HTTP calls to it."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from helpers import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(base, path, body=None, timeout=10):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


class Gunicorn:
    """A real gunicorn (gunicorn.conf.py) on 127.0.0.1, its log in a file."""

    def __init__(self, workdir: Path, rules: Path, port: int | None = None, **env):
        # A given port: the same instance started again (a restart behind a load balancer).
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.rules = rules
        self.home = workdir / "home"
        self.home.mkdir(exist_ok=True)
        self.log_path = workdir / f"gunicorn-{self.port}-{time.time_ns()}.log"
        full_env = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}
        full_env.update({"IMPARTIAL_RULES": str(rules), "IMPARTIAL_RELOAD_INTERVAL": "0.2", "HOST": "127.0.0.1",
                         "PORT": str(self.port), "WEB_CONCURRENCY": "2", "HOME": str(self.home), **env})
        gunicorn = Path(sys.executable).parent / "gunicorn"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([str(gunicorn), "-c", str(ROOT / "gunicorn.conf.py"), "server.app:create_app()"],
                                     cwd=ROOT, env=full_env, stdout=self.log, stderr=subprocess.STDOUT)
        # A limit on a hung start, not a speed figure: a cold rulebook load (no compile cache)
        # on a slow machine, beside another instance starting, takes over a minute.
        deadline = time.monotonic() + 240
        while True:
            try:
                if request(self.base, "/healthz", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("gunicorn did not start: " + self.log_text()[-2000:])
            time.sleep(0.2)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def workers(self) -> list[int]:
        pids = []
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            pids += [int(p) for p in (task / "children").read_text().split()]
        return sorted(pids)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
