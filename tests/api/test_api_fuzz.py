"""Fuzz every operation of the app's own OpenAPI (in process, as the regulator): no input
makes a 500, and every error has the one shape.

Operations are driven through their Hypothesis strategies directly (schemathesis's pytest
plugin does not yet support pytest 9's fixtures).
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from tests.api.conftest import Api

EXAMPLES = 8


def test_no_server_errors(api: Api) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    headers = api.as_("regulator")
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def no_server_error(case: schemathesis.Case) -> None:
            response = case.call(headers=headers)
            where = f"{case.method} {case.formatted_path}"
            assert response.status_code < 500, (where, response.text)
            if response.status_code >= 400:
                assert set(response.json()) == {"error"}, (where, response.text)

        no_server_error()
