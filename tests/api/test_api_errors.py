"""Bad input gets a 4xx in the one error shape, never a 500."""

from __future__ import annotations

import pytest
from tests.api.conftest import Api, attempt


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("post", "/v1/refusals", {"number": "12ab", "channel": "sms"}, 422, "INVALID_NUMBER"),
        (
            "post",
            "/v1/refusals",
            {"number": "+8613812345678", "enterprise_id": "E404"},
            422,
            "UNKNOWN_REFERENCE",
        ),
        ("post", "/v1/screen", {"caller": 1}, 422, "INVALID_REQUEST"),
        ("post", "/v1/screen", attempt(time="2019-03-01T10:00:00"), 422, "INVALID_REQUEST"),
        ("post", "/v1/screen", {"attempts": [attempt()] * 1001}, 413, "PAYLOAD_TOO_LARGE"),
        (
            "post",
            "/v1/enterprises",
            {"enterprise_id": "E1", "name": "x", "industry": "hr"},
            409,
            "CONFLICT",
        ),
        (
            "post",
            "/v1/enterprises",
            {"enterprise_id": "E3", "name": "x", "industry": "casino"},
            422,
            "INVALID_REQUEST",
        ),
        ("delete", "/v1/enterprises/E1", None, 409, "CONFLICT"),
        ("get", "/v1/trunks/T404", None, 404, "NOT_FOUND"),
        ("get", "/v1/number-blocks/abc", None, 422, "INVALID_REQUEST"),
        (
            "post",
            "/v1/consents",
            {
                "number": "+8613812345678",
                "enterprise_id": "E1",
                "channel": "web",
                "granted_at": "2019-01-01T00:00:00Z",
                "evidence": "%%%",
            },
            422,
            "INVALID_RECORD",
        ),
        ("get", "/v1/nowhere", None, 404, "HTTP_404"),
    ],
)
def test_error_shape(
    api: Api, method: str, path: str, body: object, status: int, code: str
) -> None:
    kwargs = {"json": body} if body is not None else {}
    answer = api.client.request(method.upper(), path, headers=api.as_("regulator"), **kwargs)
    assert answer.status_code == status
    error = answer.json()["error"]
    assert error["code"] == code and error["message"]


def test_oversize_bodies_are_refused_before_reading(api: Api) -> None:
    answer = api.client.post(
        "/v1/screen", content=b"[" + b" " * (2 << 20) + b"]", headers=api.as_("carrier")
    )
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
