"""The admin page's tables as CSV, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io

# Each table: its columns and how one row of query.summary() fills them.
TABLES = {
    "checks": ("checks_per_day", ["day", "checks"], lambda r: [r["day"], r["checks"]]),
    "categories": ("findings_per_category", ["category", "findings"], lambda r: [r["name"], r["count"]]),
    "rules": ("findings_per_rule", ["rule_id", "findings"], lambda r: [r["name"], r["count"]]),
    "decisions": ("decisions", ["decision", "count"], lambda r: [r["decision"], r["count"]]),
    "after-warning": ("presend_after_warning",
                      ["at", "platform", "decision", "severity", "rule_ids", "categories", "reason", "officer",
                       "source", "id"],
                      lambda r: [r["at"], r["platform"], r["decision"], r["severity"] or "", " ".join(r["rule_ids"]),
                                 " ".join(r["categories"]), r["reason"] or "", r["officer"] or "", r["source"],
                                 r["id"]]),
    "false-flags": ("false_flags_per_rule", ["rule_id", "reports", "last"],
                    lambda r: [r["rule_id"], r["count"], r["last"]]),
}

# A cell a spreadsheet would run as a formula (reasons are free text from officers).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def to_csv(table: str, summary: dict) -> str:
    key, header, row = TABLES[table]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for r in summary[key]:
        writer.writerow([_cell(v) for v in row(r)])
    return out.getvalue()
