"""Tables. Change them only together with a new migration in migrations/versions."""

from __future__ import annotations

from sqlalchemy import (JSON, BigInteger, Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, MetaData,
                        String, Table, Text)

metadata = MetaData()

# API keys: only the sha256 of each key is kept (keys are 256-bit random, so a
# plain hash is enough; a slow hash protects guessable passwords, not these).
api_keys = Table(
    "api_keys", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    # The key's first characters, shown by `keys list` so an admin can tell keys apart.
    Column("prefix", String(16), nullable=False),
    Column("label", String(200), nullable=False),
    Column("admin", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

# One row per event a client sent; the client's id is the primary key, so a
# retried event is never stored twice.
events = Table(
    "events", metadata,
    Column("id", String(64), primary_key=True),
    Column("type", String(16), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    # The UTC day of `at`, kept so both databases group by day the same way.
    Column("day", Date, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("decision", String(32)),
    Column("severity", String(8)),
    Column("reason", String(500)),
    Column("officer", String(64)),
    # The label of the key (or the proxy's identity) that sent it.
    Column("source", String(200), nullable=False),
    Column("rule_ids", JSON, nullable=False),
    Column("categories", JSON, nullable=False),
    # Only with IMPARTIAL_STORE_TEXT_DAYS > 0, and cleared after that many days.
    Column("text", Text),
    Index("ix_events_day_type", "day", "type"),
    Index("ix_events_received_at", "received_at"),
)


def _facet(name: str, column: str, length: int) -> Table:
    """Per-rule or per-category rows of each event (day and type copied), so counts
    per rule or category over a date range need no join and no JSON functions."""
    return Table(
        name, metadata,
        Column("event_id", String(64), ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
        Column(column, String(length), primary_key=True),
        Column("day", Date, nullable=False),
        Column("type", String(16), nullable=False),
        Index(f"ix_{name}_day", "day", "type", column),
    )


event_rules = _facet("event_rules", "rule_id", 128)
event_categories = _facet("event_categories", "category", 64)

# Counters the service keeps itself, summed per UTC day: checks, findings per
# rule and per category, verdicts. Each worker adds its counts in one upsert
# every few seconds (server/counters.py).
daily_counts = Table(
    "daily_counts", metadata,
    Column("day", Date, primary_key=True),
    Column("metric", String(24), primary_key=True),
    Column("name", String(128), primary_key=True),
    Column("count", BigInteger, nullable=False),
)
