"""Crash safety: acknowledged refusals and consents survive SIGKILL and govern screening."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.serve.conftest import Server, token
from tests.services import postgres_schema

CONSENTED = [f"+86138000001{i:02d}" for i in range(8)]
REFUSED = CONSENTED[:4]  # consent first, then a refusal: the refusal wins
REFUSED_ALL = [f"+86139000002{i:02d}" for i in range(4)]
CALLER = "+862155550001"  # in E1's marketing block


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.db'}"
    else:
        with postgres_schema() as url:
            yield url


def _attempt(callee: str) -> dict[str, str]:
    return {
        "caller": CALLER,
        "callee": callee,
        "ingress": "enterprise",
        "trunk_id": "T1",
        "time": "2030-03-01T10:30:00+08:00",
    }


def test_acknowledged_writes_survive_sigkill(
    db: str, servers: list[Server], tmp_path: Path
) -> None:
    regulator = token(db, "regulator")
    server = Server(["--db", db], tmp_path / "serve.log")
    servers.append(server)
    server.start()
    seed = [
        ("/v1/enterprises", {"enterprise_id": "E1", "name": "Acme", "industry": "finance"}),
        ("/v1/trunks", {"trunk_id": "T1", "enterprise_id": "E1", "marketing": True}),
        (
            "/v1/number-blocks",
            {
                "first": "+862155550000",
                "last": "+862155559999",
                "holder_type": "enterprise",
                "holder_id": "E1",
                "purpose": "marketing",
            },
        ),
    ]
    for path, body in seed:
        assert server.post(path, regulator, body).status_code == 201
    for number in CONSENTED:
        consent = {
            "number": number,
            "enterprise_id": "E1",
            "channel": "web",
            "granted_at": "2020-01-01T00:00:00+08:00",
            "evidence_sha256": "d" * 64,
        }
        assert server.post("/v1/consents", regulator, consent).status_code == 201
    for number, enterprise in [(n, "E1") for n in REFUSED] + [(n, "*") for n in REFUSED_ALL]:
        refusal = {"number": number, "enterprise_id": enterprise, "channel": "sms"}
        assert server.post("/v1/refusals", regulator, refusal).status_code == 201
    server.kill()  # right after the last acknowledgement

    server.start()
    for number in CONSENTED + REFUSED_ALL:
        refusals = server.get("/v1/refusals", regulator, number=number).json()
        assert (len(refusals) == 1) is (number in REFUSED or number in REFUSED_ALL), number
    for number in CONSENTED:
        assert len(server.get("/v1/consents", regulator, number=number).json()) == 1
    verdicts = {
        n: server.post("/v1/screen", regulator, _attempt(n)).json() for n in CONSENTED + REFUSED_ALL
    }
    for number, verdict in verdicts.items():
        refused = number in REFUSED or number in REFUSED_ALL
        assert ("REFUSED" in verdict["reasons"]) is refused, (number, verdict)
        assert verdict["action"] == ("block" if refused else "allow"), (number, verdict)
