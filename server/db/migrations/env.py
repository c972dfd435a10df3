"""Alembic environment: always given a connection by Database.upgrade()."""

from alembic import context

from server.db.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("run migrations with `impartial db upgrade` (it supplies the connection)")
# render_as_batch: SQLite alters tables by copying them; Alembic's batch mode does that.
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
