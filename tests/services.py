"""Real PostgreSQL and Redis for the tests: reach them, or skip saying how to enable them.

PostgreSQL: 127.0.0.1:5432, trust authentication, database ``test`` (user ``postgres`` or
``root``). Redis: 127.0.0.1:6379. When one is unreachable the tests that need it are
skipped with a message — except with ``CI=true``, where they fail: CI must run them.
Each test session works in a schema (PostgreSQL) or under key prefixes (Redis) of its own,
so parallel runs do not collide.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

PG_USERS = ("postgres", "root")
PG_HOST = "127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/0"


def unavailable(service: str, how: str, error: object) -> None:
    """Skip the test (or fail it under ``CI=true``) because ``service`` is unreachable."""
    message = f"{service} unreachable ({error}); {how}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A database URL whose connections work in a fresh schema, dropped afterwards."""
    import psycopg

    errors = []
    for user in PG_USERS:
        try:
            conn = psycopg.connect(f"postgresql://{user}@{PG_HOST}/test", autocommit=True)
        except psycopg.OperationalError as exc:
            errors.append(exc)
            continue
        break
    else:
        unavailable(
            "PostgreSQL",
            "start PostgreSQL on 127.0.0.1:5432 with trust auth and a database 'test'",
            errors[-1],
        )
    schema = f"rf_test_{uuid.uuid4().hex[:12]}"
    with conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        try:
            yield f"postgresql://{user}@{PG_HOST}/test?options=-csearch_path%3D{schema}"
        finally:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def redis_url() -> str:
    """The Redis URL, once it answered a PING."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        unavailable("Redis", "start redis-server on 127.0.0.1:6379", exc)
    return REDIS_URL


def unique_key(prefix: str) -> str:
    """A Redis key no other test run uses."""
    return f"{prefix}:{uuid.uuid4().hex[:12]}"
