"""The database layer: migrations match the schema, concurrent start-ups, URLs."""

import subprocess
import sys

import pytest

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from server.db import Database, default_url, metadata


def test_migrations_build_exactly_the_schema(db_url):
    db = Database(db_url)
    db.upgrade()
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == [], "server/db/schema.py and the migrations differ: add a migration"
    assert db.current_revision() == "0001"


def test_many_processes_upgrading_at_once_all_succeed(db_url, tmp_path):
    """What several instances (or workers without preload) do when they start together on a new database."""
    procs = [subprocess.Popen([sys.executable, "-m", "server.cli", "db", "upgrade", "--database-url", db_url],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(4)]
    outs = [(p.wait(timeout=120), p.stdout.read()) for p in procs]
    assert all(code == 0 and "revision 0001" in out for code, out in outs), outs
    assert Database(db_url).current_revision() == "0001"


def test_default_database_and_url_forms(tmp_path, monkeypatch):
    monkeypatch.setenv("IMPARTIAL_INSTANCE_PATH", str(tmp_path / "inst"))
    assert default_url() == f"sqlite:///{tmp_path / 'inst' / 'impartial.db'}"
    assert (tmp_path / "inst").is_dir()
    for given in ("postgres://u:secret@h/db", "postgresql://u:secret@h/db"):
        db = Database(given)
        assert db.url == "postgresql+psycopg://u:secret@h/db" and db.is_postgres
        assert "secret" not in db.describe()


def test_unreachable_database_is_reported_not_crashed(capsys):
    from server.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["keys", "list", "--database-url", "postgresql://nobody@127.0.0.1:9/none"])
    assert exc.value.code == 2
    assert "cannot reach the database" in capsys.readouterr().err
