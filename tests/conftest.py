import os
import shutil
import tempfile

import pytest

# The service's default SQLite database goes to a folder of this test run, never
# the checkout's instance folder (gunicorn started by a test inherits this too).
os.environ["IMPARTIAL_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="impartial-instance-")
# Every process a test starts (gunicorn, the CLI) shares this run's compile cache, even those
# given a home of their own: each would otherwise parse the whole rulebook again.
from server.engine.compile_cache import CACHE  # noqa: E402

if CACHE.path is not None:
    os.environ.setdefault("IMPARTIAL_COMPILE_CACHE", str(CACHE.path.parent))

from helpers import RULES


@pytest.fixture(scope="session")
def rulebook():
    from server.engine import load_rulebook

    return load_rulebook(RULES)


@pytest.fixture(scope="session")
def checker(rulebook):
    from server.engine import Checker

    return Checker(rulebook)


@pytest.fixture
def rules_copy(tmp_path):
    """A private rules.json the test may edit."""
    path = tmp_path / "rules.json"
    shutil.copy(RULES, path)
    return path


@pytest.fixture
def app(rules_copy):
    from server.app import create_app
    from server.config import Settings

    settings = Settings(rules=str(rules_copy), reload_interval=0.0)
    return create_app(settings)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def postgres():
    """A private PostgreSQL server for this test run (tests/pg.py), or a skip saying why not."""
    from pg import Postgres, install

    why = install()
    if why:
        pytest.skip(why)
    server = Postgres()
    yield server
    server.stop()


@pytest.fixture
def pg_url(postgres):
    """A fresh database on the test run's PostgreSQL."""
    return postgres.new_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """Each database the service supports: SQLite in a temporary folder, and PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'impartial.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def make_app(rules_copy):
    """create_app on the test's rulebook copy with the given settings; stores closed afterwards."""
    from server.app import create_app
    from server.config import Settings

    made = []

    def make(**settings):
        settings.setdefault("reload_interval", 0.0)
        app = create_app(Settings(rules=str(rules_copy), **settings))
        made.append(app)
        return app

    yield make
    for app in made:
        rt = app.extensions["impartial"]
        rt.store.close()
        rt.checks.close()
        rt.db.dispose()
