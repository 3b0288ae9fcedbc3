"""An app over a fresh SQLite registry, a fixed clock, and a bearer token for every role."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.seeding import put_marketing_enterprise

from ringfence.api import Settings, create_app
from ringfence.store import records
from ringfence.store.db import make_engine, migrate, session_factory, transaction

CST = timezone(timedelta(hours=8))
NOW = datetime(2019, 3, 1, 10, 30, tzinfo=CST)
SUBSCRIBER = "+8613812345678"
OTHER = "+8613912345678"
E1_NUMBER = "+862155550001"  # in E1's marketing block


@dataclass
class Api:
    """The app, a client, and the headers of each principal."""

    app: FastAPI
    client: TestClient
    tokens: dict[str, dict[str, str]]

    def as_(self, who: str) -> dict[str, str]:
        return self.tokens[who]


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, str]]]:
    """A migrated, seeded registry file and its principals' headers, made once and copied."""
    path = tmp_path_factory.mktemp("template") / "registry.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    at = NOW.timestamp()
    with transaction(session_factory(engine)) as s:
        put_marketing_enterprise(s, actor="test", at=at, industry="finance")
        records.put_enterprise(
            s, actor="test", at=at, enterprise_id="E2", name="E2", industry="real_estate"
        )
        bindings = {
            "regulator": {"role": "regulator"},
            "carrier": {"role": "carrier"},
            "e1": {"role": "enterprise", "enterprise_id": "E1"},
            "e2": {"role": "enterprise", "enterprise_id": "E2"},
            "subscriber": {"role": "subscriber", "number": SUBSCRIBER},
        }
        tokens = {}
        for who, kwargs in bindings.items():
            token, _ = records.create_principal(s, actor="test", at=at, **kwargs)
            tokens[who] = {"Authorization": f"Bearer {token}"}
    engine.dispose()  # checkpoints the WAL: the registry is one file
    return path, tokens


@pytest.fixture
def api(tmp_path: Path, template: tuple[Path, dict[str, dict[str, str]]]) -> Iterator[Api]:
    """The app over a fresh copy of the template registry, its clock fixed at NOW."""
    source, tokens = template
    shutil.copyfile(source, tmp_path / "registry.db")
    app = create_app(
        Settings(db_url=f"sqlite:///{tmp_path / 'registry.db'}", reports_per_hour=5),
        clock=NOW.timestamp,
    )
    with TestClient(app) as client:
        yield Api(app, client, tokens)


def attempt(callee: str = SUBSCRIBER, **overrides: object) -> dict[str, object]:
    """A marketing attempt from E1's trunk at NOW."""
    body: dict[str, object] = {
        "call_id": "c1",
        "caller": E1_NUMBER,
        "callee": callee,
        "ingress": "enterprise",
        "trunk_id": "T1",
        "time": NOW.isoformat(),
    }
    body.update(overrides)
    return body
