import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules.json"


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


def utf16_slice(text: str, start: int, end: int) -> str:
    """What JavaScript's text.slice(start, end) returns."""
    units = text.encode("utf-16-le", "surrogatepass")
    return units[2 * start:2 * end].decode("utf-16-le", "surrogatepass")


def minimal_rule(**overrides):
    rule = {
        "id": "test.rule",
        "category": "loaded_language",
        "severity": "warn",
        "message": "m",
        "guidance": {"source": "s", "clause": "c"},
        "match": {"phrases": ["activist lawyer"]},
        "examples": {"flag": ["activist lawyers"], "pass": ["lawyers"]},
    }
    rule.update(overrides)
    return rule


def book_json(*rules, lists=None):
    data = {"version": "t1", "rules": list(rules)}
    if lists:
        data["lists"] = lists
    return json.dumps(data)
