"""API keys, events (with their rules and categories) and daily counts.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("admin", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("decision", sa.String(32)),
        sa.Column("severity", sa.String(8)),
        sa.Column("reason", sa.String(500)),
        sa.Column("officer", sa.String(64)),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("rule_ids", sa.JSON, nullable=False),
        sa.Column("categories", sa.JSON, nullable=False),
        sa.Column("text", sa.Text),
    )
    op.create_index("ix_events_day_type", "events", ["day", "type"])
    op.create_index("ix_events_received_at", "events", ["received_at"])
    for table, column, length in (("event_rules", "rule_id", 128), ("event_categories", "category", 64)):
        op.create_table(
            table,
            sa.Column("event_id", sa.String(64), sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
            sa.Column(column, sa.String(length), primary_key=True),
            sa.Column("day", sa.Date, nullable=False),
            sa.Column("type", sa.String(16), nullable=False),
        )
        op.create_index(f"ix_{table}_day", table, ["day", "type", column])
    op.create_table(
        "daily_counts",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("metric", sa.String(24), primary_key=True),
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("count", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in ("daily_counts", "event_categories", "event_rules", "events", "api_keys"):
        op.drop_table(table)
