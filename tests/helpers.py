"""Helpers shared by the service tests (a module of its own: conftest names clash across folders)."""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules.json"
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
