"""What officers did with the findings (docs/events.md): validation, storage, queries."""

from .store import EventStore
from .validate import MAX_EVENTS, parse_events

__all__ = ["EventStore", "parse_events", "MAX_EVENTS"]
