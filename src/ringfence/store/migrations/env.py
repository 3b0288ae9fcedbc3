"""Alembic environment: runs on the connection passed in by :func:`ringfence.store.db.migrate`,
or on ``sqlalchemy.url`` when run from the ``alembic`` command line (to author a revision)."""

from alembic import context
from sqlalchemy import create_engine

from ringfence.store.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
