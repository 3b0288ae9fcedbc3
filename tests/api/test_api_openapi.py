"""The OpenAPI document describes every operation, its JSON fields and its errors."""

from __future__ import annotations

from tests.api.conftest import Api


def test_every_operation_is_documented(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    operations = [
        (path, method, op)
        for path, methods in spec["paths"].items()
        for method, op in methods.items()
    ]
    undocumented = [(p, m) for p, m, op in operations if not op.get("description")]
    assert undocumented == []
    attempt = spec["components"]["schemas"]["Attempt"]["properties"]
    assert {"caller", "callee", "ingress", "trunk_id", "time", "identity"} <= set(attempt)
    assert "ErrorOut" in spec["components"]["schemas"]
