"""A private PostgreSQL for the tests: Debian's server binaries, a cluster in a
temporary folder, listening on a free 127.0.0.1 port (and a socket in that
folder), run as a non-root user when the tests run as root, stopped at the end."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from served import free_port


def find_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def install() -> str | None:
    """Install Debian's postgresql when missing and root; None when done, else why not."""
    if find_bin():
        return None
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "PostgreSQL is not installed and this is not root: apt-get install postgresql to run these tests"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                                                "postgresql"]):
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        if r.returncode:
            return f"apt-get could not install postgresql: {r.stderr.strip()[-300:]}"
    return None if find_bin() else "postgresql installed but no initdb under /usr/lib/postgresql"


class Postgres:
    def __init__(self):
        self.bin = find_bin()
        self.base = Path(tempfile.mkdtemp(prefix="impartial-pg-"))
        self.data, self.sock = self.base / "data", self.base / "sock"
        self.sock.mkdir()
        self.port = free_port()
        self.user = None
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            name = "postgres" if _exists("postgres") else "nobody"
            self.user = name
            pw = pwd.getpwnam(name)
            os.chmod(self.base, 0o755)
            for p in (self.base, self.sock):
                os.chown(p, pw.pw_uid, pw.pw_gid)
        self._run([self.bin / "initdb", "-D", self.data, "-A", "trust", "-U", "impartial", "-E", "UTF8",
                   "--no-sync", "--locale=C"])
        opts = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.sock} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run([self.bin / "pg_ctl", "-D", self.data, "-o", opts, "-l", self.base / "log", "-w", "-t", "60",
                   "start"])
        self.url = f"postgresql://impartial@127.0.0.1:{self.port}/postgres"
        self._n = 0

    def _run(self, cmd):
        cmd = [str(c) for c in cmd]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=self.base)
        if r.returncode:
            raise RuntimeError(f"{' '.join(cmd)} failed: {r.stdout[-500:]} {r.stderr[-1000:]}")
        return r.stdout

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""
        import psycopg

        self._n += 1
        name = f"t{os.getpid()}_{self._n}"
        with psycopg.connect(self.url.replace("postgresql://", "postgresql://", 1), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://impartial@127.0.0.1:{self.port}/{name}"

    def stop(self):
        try:
            self._run([self.bin / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop"])
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


def _exists(user: str) -> bool:
    try:
        pwd.getpwnam(user)
        return True
    except KeyError:
        return False
