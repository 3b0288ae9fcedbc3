"""Crowd reports: distinct reporters make a label, repeats and floods do not; appeals."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from tests.api.conftest import NOW, OTHER, SUBSCRIBER, Api

from ringfence.store import records
from ringfence.store.db import transaction

NUISANCE = "+8617100000009"


def _report(api: Api, headers: dict[str, str], number: str = NUISANCE) -> int:
    body = {"number": number, "category": "fraud"}
    return api.client.post("/v1/reports", json=body, headers=headers).status_code


def _subscribers(api: Api, n: int) -> list[dict[str, str]]:
    sessions = api.app.state.context.sessions
    headers = []
    with transaction(sessions) as s:
        for i in range(n):
            token, _ = records.create_principal(
                s, actor="test", at=0.0, role="subscriber", number=f"+86137000000{i:02d}"
            )
            headers.append({"Authorization": f"Bearer {token}"})
    return headers


def _look(client: TestClient, headers: dict[str, str]) -> dict[str, object]:
    answer = client.get(f"/v1/numbers/{NUISANCE}", headers=headers)
    result: dict[str, object] = answer.json()
    return result


def test_one_reporter_counts_once_and_is_rate_limited(api: Api) -> None:
    me = api.as_("subscriber")
    statuses = [_report(api, me) for _ in range(6)]
    assert statuses == [201] * 5 + [429]
    look = _look(api.client, me)
    assert (look["report_count"], look["label"]) == (1, "")


def test_distinct_reporters_make_a_label_and_an_upheld_appeal_clears_it(api: Api) -> None:
    for headers in _subscribers(api, 3):
        assert _report(api, headers) == 201
    look = _look(api.client, api.as_("subscriber"))
    assert look["report_count"] == 3 and look["categories"] == {"fraud": 3}
    assert "fraud" in str(look["label"])
    appeal = api.client.post(
        "/v1/appeals", json={"number": NUISANCE, "statement": "ours"}, headers=api.as_("regulator")
    ).json()
    resolved = api.client.post(
        f"/v1/appeals/{appeal['id']}/resolution",
        json={"upheld": True},
        headers=api.as_("regulator"),
    )
    assert resolved.json()["status"] == "upheld"
    look = _look(api.client, api.as_("subscriber"))
    assert (look["report_count"], look["label"], look["flags"]) == (0, "", [])


def test_only_a_numbers_holder_may_appeal(api: Api) -> None:
    mine = {"number": SUBSCRIBER}
    assert (
        api.client.post("/v1/appeals", json=mine, headers=api.as_("subscriber")).status_code == 201
    )
    theirs = {"number": OTHER}
    assert (
        api.client.post("/v1/appeals", json=theirs, headers=api.as_("subscriber")).status_code
        == 403
    )
    block = {"number": "+862155550009"}
    assert api.client.post("/v1/appeals", json=block, headers=api.as_("e1")).status_code == 201
    assert api.client.post("/v1/appeals", json=block, headers=api.as_("e2")).status_code == 403


def test_reports_decay_after_their_window(api: Api) -> None:
    for headers in _subscribers(api, 3):
        _report(api, headers)
    later = (NOW + timedelta(days=8)).isoformat()
    look = api.client.get(
        f"/v1/numbers/{NUISANCE}", params={"at": later}, headers=api.as_("subscriber")
    ).json()
    assert (look["report_count"], look["label"]) == (0, "")
