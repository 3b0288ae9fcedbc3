"""Connecting to the registry database: engines, sessions and schema migrations.

SQLite (a file, ``sqlite:///ringfence.db`` by default) is the embedded default, PostgreSQL
(``postgresql://…``, driven by psycopg 3) the production database. Both are migrated by the
Alembic scripts shipped in ``ringfence/store/migrations``.

SQLite runs in WAL mode with ``synchronous=FULL``: WAL lets screeners read while the API
writes, and FULL syncs the log at every commit. ``NORMAL`` would survive a killed process
too, but can lose the last commits on a power cut or an OS crash, and a refusal that was
acknowledged must never be lost (plan measure 4); a commit costs one fsync more, and writes
are rare next to screening. ``busy_timeout`` lets several ``serve`` processes share a file.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from ringfence.core.errors import RingfenceError

DEFAULT_URL = "sqlite:///ringfence.db"
#: Advisory lock key taken by every writing transaction on PostgreSQL (see :func:`serialize`).
WRITE_LOCK = 0x52494E47  # "RING"


class DatabaseError(RingfenceError):
    """The registry database cannot be reached, or its URL is not usable."""

    code = "DATABASE_ERROR"


def normalize_url(url: str) -> str:
    """The SQLAlchemy URL for ``url``: ``postgresql://`` gets the psycopg 3 driver.

    Raises DatabaseError naming the URL when it is not a SQLite or PostgreSQL URL.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(f"database URL {url!r} is not a URL: {exc}") from exc
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if backend == "sqlite":
        return url
    raise DatabaseError(f"database URL {url!r}: use sqlite:///FILE or postgresql://HOST/DB")


def make_engine(url: str = DEFAULT_URL, **kwargs: Any) -> Engine:
    """An engine for ``url`` with the registry's connection settings (see the module doc)."""
    engine = create_engine(normalize_url(url), **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``; objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (the latest by default) with the shipped migrations."""
    config = Config()
    config.set_main_option("script_location", str(files("ringfence.store") / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed when the block ends (rolled back on an error).

    The commit is durable when this returns (see the module doc on ``synchronous``).
    """
    with factory() as session, session.begin():
        yield session


def serialize(session: Session) -> None:
    """Make this writing transaction wait for any other (PostgreSQL; SQLite does it anyway).

    Change-feed sequence numbers come from an identity column, which hands them out at insert
    time: two concurrent transactions could commit out of sequence order, and a screener
    reading ``seq > last`` would skip the late one for ever. Writes are rare (refusals,
    consents, registry edits), so serializing them costs nothing that matters.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK})
