"""`impartial db|keys|events`: the admin's commands for the service's database.

They use the same database as the service: DATABASE_URL when set, else SQLite
in the instance folder (IMPARTIAL_INSTANCE_PATH or Flask's default).
"""

from __future__ import annotations

import json
import os
import sys

from .config import Settings


def _database(args):
    from .db import Database

    url = args.database_url or os.environ.get("DATABASE_URL") or os.environ.get("IMPARTIAL_DATABASE_URL")
    return Database(url or None)


def _ready_database(args):
    """The database, migrated first (every command here may be the first thing run)."""
    from .db import DatabaseUnavailable

    db = _database(args)
    try:
        db.upgrade()
    except DatabaseUnavailable as exc:
        print(f"cannot reach the database {db.describe()}: {exc}", file=sys.stderr)
        raise SystemExit(2)
    return db


def cmd_db_upgrade(args) -> int:
    db = _ready_database(args)
    print(f"{db.describe()}: schema at revision {db.current_revision()}")
    return 0


def cmd_keys_create(args) -> int:
    from .keys import KeyRing

    label = args.label.strip()
    if not label or len(label) > 200:
        print("--label must be 1 to 200 characters (say who the key is for)", file=sys.stderr)
        return 2
    key_id, key = KeyRing(_ready_database(args)).create(label, admin=args.admin)
    # The key goes to standard output alone, so `key=$(impartial keys create ...)` works.
    print(f"created key {key_id} ({'admin, ' if args.admin else ''}{label}); it is shown once, store it now:",
          file=sys.stderr)
    print(key)
    return 0


def cmd_keys_list(args) -> int:
    from .keys import KeyRing

    keys = KeyRing(_ready_database(args)).list()
    if args.json:
        print(json.dumps(keys, indent=1))
        return 0
    print(f"{'id':>4}  {'prefix':12}  {'admin':5}  {'created':20}  {'revoked':20}  label")
    for k in keys:
        print(f"{k['id']:>4}  {k['prefix']:12}  {'yes' if k['admin'] else 'no':5}  {k['created_at']:20}  "
              f"{k['revoked_at'] or '-':20}  {k['label']}")
    return 0


def cmd_keys_revoke(args) -> int:
    from .keys import KeyRing

    if KeyRing(_ready_database(args)).revoke(args.id):
        cache = Settings.from_env().key_cache_seconds
        print(f"revoked key {args.id}; running services stop accepting it within {cache:g} s")
        return 0
    print(f"no unrevoked key with id {args.id}", file=sys.stderr)
    return 1


def cmd_events_purge(args) -> int:
    from .events import EventStore

    days = Settings.from_env().store_text_days if args.days is None else args.days
    cleared = EventStore(_ready_database(args), days).purge_text()
    print(f"cleared the text of {cleared} event{'s' if cleared != 1 else ''} "
          f"{'(texts are not kept)' if days == 0 else f'received more than {days} days ago'}")
    return 0


def add_parsers(sub) -> None:
    def with_db(parser):
        parser.add_argument("--database-url", help="default: $DATABASE_URL, else SQLite in the instance folder")
        return parser

    s = sub.add_parser("db", help="the service's database")
    dsub = s.add_subparsers(dest="db_cmd", required=True)
    with_db(dsub.add_parser("upgrade", help="apply the migrations (the service also does on start)")) \
        .set_defaults(fn=cmd_db_upgrade)

    s = sub.add_parser("keys", help="API keys: create, list, revoke")
    ksub = s.add_subparsers(dest="keys_cmd", required=True)
    k = with_db(ksub.add_parser("create", help="make a key (printed once)"))
    k.add_argument("--label", required=True, help="who the key is for, e.g. 'Press office'")
    k.add_argument("--admin", action="store_true", help="an admin key (admin endpoints and /admin)")
    k.set_defaults(fn=cmd_keys_create)
    k = with_db(ksub.add_parser("list", help="every key: id, prefix, label, admin, created, revoked"))
    k.add_argument("--json", action="store_true")
    k.set_defaults(fn=cmd_keys_list)
    k = with_db(ksub.add_parser("revoke", help="stop a key working"))
    k.add_argument("id", type=int)
    k.set_defaults(fn=cmd_keys_revoke)

    s = sub.add_parser("events", help="the stored events")
    esub = s.add_subparsers(dest="events_cmd", required=True)
    e = with_db(esub.add_parser("purge", help="clear texts older than IMPARTIAL_STORE_TEXT_DAYS (run daily)"))
    e.add_argument("--days", type=int, help="override IMPARTIAL_STORE_TEXT_DAYS")
    e.set_defaults(fn=cmd_events_purge)
