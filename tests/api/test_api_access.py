"""Roles and bindings: who may do what (table-driven), and the evidence's privacy."""

from __future__ import annotations

import base64

import pytest
from tests.api.conftest import NOW, OTHER, SUBSCRIBER, Api, attempt

REFUSAL = {"number": SUBSCRIBER, "enterprise_id": "E1", "channel": "app"}
CONSENT = {
    "number": SUBSCRIBER,
    "enterprise_id": "E1",
    "channel": "web",
    "granted_at": NOW.isoformat(),
    "evidence_sha256": "c" * 64,
}
SANCTION = {
    "subject_type": "enterprise",
    "subject_id": "E2",
    "authority": "MIIT",
    "starts_at": NOW.isoformat(),
}

# (who, method, path, body, allowed)
MATRIX = [
    ("carrier", "post", "/v1/screen", attempt(), True),
    ("e1", "post", "/v1/screen", attempt(), False),
    ("subscriber", "post", "/v1/screen", attempt(), False),
    ("subscriber", "post", "/v1/refusals", REFUSAL, True),
    ("subscriber", "post", "/v1/refusals", {**REFUSAL, "number": OTHER}, False),
    ("e2", "post", "/v1/refusals", REFUSAL, False),
    ("e1", "post", "/v1/consents", CONSENT, True),
    ("e2", "post", "/v1/consents", CONSENT, False),
    ("carrier", "post", "/v1/consents", CONSENT, False),
    ("carrier", "post", "/v1/sanctions", SANCTION, False),
    ("regulator", "post", "/v1/sanctions", SANCTION, True),
    ("carrier", "get", "/v1/sanctions", None, True),
    ("e1", "get", "/v1/enterprises/E1", None, True),
    ("e1", "get", "/v1/enterprises/E2", None, False),
    ("subscriber", "get", "/v1/enterprises", None, False),
    ("subscriber", "get", f"/v1/numbers/{OTHER}", None, True),
    ("e2", "post", "/v1/scrub", {"numbers": [OTHER], "enterprise_id": "E1"}, False),
    ("carrier", "get", "/v1/appeals", None, False),
]


@pytest.mark.parametrize(("who", "method", "path", "body", "allowed"), MATRIX)
def test_role_matrix(
    api: Api, who: str, method: str, path: str, body: dict[str, object] | None, allowed: bool
) -> None:
    kwargs = {"json": body} if body is not None else {}
    answer = api.client.request(method.upper(), path, headers=api.as_(who), **kwargs)
    if allowed:
        assert answer.status_code < 400, answer.json()
    else:
        assert answer.status_code == 403
        assert answer.json()["error"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    "header", [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}]
)
def test_missing_or_unknown_tokens_are_401(api: Api, header: dict[str, str]) -> None:
    answer = api.client.post("/v1/screen", json=attempt(), headers=header)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "UNAUTHENTICATED"


def test_evidence_is_readable_by_its_enterprise_and_the_regulator_only(api: Api) -> None:
    document = b"consent recording transcript"
    body = {**CONSENT, "evidence": base64.b64encode(document).decode(), "evidence_sha256": ""}
    created = api.client.post("/v1/consents", json=body, headers=api.as_("e1")).json()
    path = f"/v1/consents/{created['id']}/evidence"
    for who, status in (("e1", 200), ("regulator", 200), ("e2", 403), ("carrier", 403)):
        answer = api.client.get(path, headers=api.as_(who))
        assert answer.status_code == status, who
        if status == 200:
            assert answer.content == document
    listed = api.client.get("/v1/consents", params={"number": SUBSCRIBER}, headers=api.as_("e2"))
    assert listed.json() == []
