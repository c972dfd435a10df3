import os
import shutil
import tempfile

import pytest

# The service's default SQLite database goes to a folder of this test run, never
# the checkout's instance folder (gunicorn started by a test inherits this too).
os.environ["IMPARTIAL_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="impartial-instance-")

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
