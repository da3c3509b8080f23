"""Alembic migrations of the hub's store; run them with `hub db upgrade` (see `hub.migrate`)."""
