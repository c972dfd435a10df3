"""Post-level detection on hand-written posts (tests/data/regressions.jsonl):
neutral official posts that name parties and politicians must pass; partisan
posts in styles the dev corpus lacks must be flagged. Written by us, not copied
from any corpus; each line once exposed a miss or a false alarm."""

import json
from pathlib import Path

import pytest

CASES = [json.loads(line) for line in (Path(__file__).parent / "data" / "regressions.jsonl").read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:40] for c in CASES])
def test_post_level_detection(checker, case):
    result = checker.check(case["text"])
    found = [(f.rule_id, case["text"][f.start:f.end]) for f in result.findings if f.severity != "info"]
    assert result.flagged() == (case["label"] == "political"), found
