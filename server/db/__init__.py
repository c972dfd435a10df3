"""The service's database: SQLite in the Flask instance folder by default,
PostgreSQL when DATABASE_URL names one. Schema changes go through Alembic
migrations shipped in this package (server/db/migrations)."""

from .database import Database, DatabaseUnavailable, default_url, utc_iso
from .schema import api_keys, daily_counts, event_categories, event_rules, events, metadata

__all__ = ["Database", "DatabaseUnavailable", "default_url", "utc_iso", "metadata", "api_keys", "events", "event_rules",
           "event_categories", "daily_counts"]
