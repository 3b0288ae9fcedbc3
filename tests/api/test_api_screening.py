"""``POST /v1/screen`` and ``/v1/events``: verdicts, batches, and refusals taking effect."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.api.conftest import NOW, OTHER, SUBSCRIBER, Api, attempt

from ringfence.api.routes import screening
from ringfence.core.reasons import Reason
from ringfence.core.types import Action, Verdict


def _consent(api: Api, number: str) -> None:
    body = {
        "number": number,
        "enterprise_id": "E1",
        "channel": "web",
        "granted_at": (NOW - timedelta(days=30)).isoformat(),
        "evidence_sha256": "a" * 64,
    }
    assert api.client.post("/v1/consents", json=body, headers=api.as_("e1")).status_code == 201


def test_single_and_batch_give_verdicts_in_order(api: Api) -> None:
    single = api.client.post("/v1/screen", json=attempt(), headers=api.as_("carrier"))
    assert single.status_code == 200
    assert single.json()["action"] == "block"
    assert single.json()["reasons"] == ["NO_CONSENT"]
    batch = {"attempts": [attempt(call_id=f"c{i}", callee=OTHER) for i in range(3)]}
    answer = api.client.post("/v1/screen", json=batch, headers=api.as_("carrier")).json()
    assert [v["call_id"] for v in answer["verdicts"]] == ["c0", "c1", "c2"]


@pytest.mark.parametrize("refused", ["E1", "*"])
def test_an_acknowledged_refusal_governs_the_very_next_call(api: Api, refused: str) -> None:
    _consent(api, SUBSCRIBER)
    before = api.client.post("/v1/screen", json=attempt(), headers=api.as_("carrier")).json()
    assert before["action"] == "allow"
    body = {"number": SUBSCRIBER, "enterprise_id": refused, "channel": "app"}
    answer = api.client.post("/v1/refusals", json=body, headers=api.as_("subscriber"))
    assert answer.status_code == 201
    again = api.client.post("/v1/refusals", json=body, headers=api.as_("subscriber"))
    assert (again.status_code, again.json()["id"]) == (200, answer.json()["id"])
    after = api.client.post(
        "/v1/screen",
        json=attempt(time=(NOW + timedelta(seconds=1)).isoformat()),
        headers=api.as_("carrier"),
    ).json()
    assert after["action"] == "block" and "REFUSED" in after["reasons"]


def test_call_ends_feed_the_detectors(api: Api) -> None:
    ringer = "+8617000000001"
    ends = {
        "events": [
            {
                "start_time": (NOW + timedelta(seconds=20 * i)).isoformat(),
                "caller": ringer,
                "callee": f"+86139000000{i:02d}",
                "ingress": "interconnect",
                "ring_ms": 1500,
                "talk_ms": 0,
                "disposition": "cancelled",
            }
            for i in range(8)
        ]
    }
    answer = api.client.post("/v1/events", json=ends, headers=api.as_("carrier"))
    assert (answer.status_code, answer.json()) == (202, {"accepted": 8})
    later = (NOW + timedelta(minutes=5)).isoformat()
    verdict = api.client.post(
        "/v1/screen",
        json={"caller": ringer, "callee": OTHER, "ingress": "interconnect", "time": later},
        headers=api.as_("carrier"),
    ).json()
    assert "ONE_RING" in verdict["reasons"]
    look = api.client.get(
        f"/v1/numbers/{ringer}", params={"at": later}, headers=api.as_("subscriber")
    )
    assert look.json()["flags"][0]["reason"] == "ONE_RING" and look.json()["label"]


def test_scrub_says_who_may_be_called_and_why_not(api: Api) -> None:
    _consent(api, SUBSCRIBER)
    body = {"numbers": [SUBSCRIBER, OTHER, "12"], "time": NOW.isoformat()}
    answer = api.client.post("/v1/scrub", json=body, headers=api.as_("e1")).json()
    got = {r["number"]: (r["callable"], r["reasons"]) for r in answer["results"]}
    assert got == {
        SUBSCRIBER: (True, []),
        OTHER: (False, ["NO_CONSENT"]),
        "12": (False, ["INVALID_NUMBER"]),
    }
    evening = {"numbers": [SUBSCRIBER], "time": NOW.replace(hour=23).isoformat()}
    late = api.client.post("/v1/scrub", json=evening, headers=api.as_("e1")).json()
    assert late["results"][0]["reasons"] == ["OUTSIDE_CALLING_HOURS"]


def test_verdicts_are_the_same_bytes_with_or_without_orjson() -> None:
    orjson = pytest.importorskip("orjson")
    verdict = Verdict(
        "c1",
        Action.LABEL,
        (Reason.ONE_RING, Reason.REPORTED),
        "「响一声」 / one-ring",
        ("a\u2028b",),
    )
    content = {"verdicts": [screening._verdict(verdict)]}
    assert orjson.dumps(content) == screening._json_dumps(content)
