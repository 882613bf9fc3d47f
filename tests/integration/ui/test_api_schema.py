"""Schemathesis over the app's OpenAPI schema: every documented operation, with generated and
boundary inputs, answers without a server error. Real guardrails; the retriever finds nothing
relevant (answers abstain), so no model is asked."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from careguide.config import load_settings
from careguide.guardrails import open_guardrails
from careguide.ui import create_app
from tests.integration.ui.test_web_security import Passages, no_model

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def app() -> Iterator[FastAPI]:
    guard = open_guardrails(load_settings(), audit=False)
    app = create_app(load_settings(), Passages(), guard=guard, opener=no_model)  # type: ignore[arg-type]
    with TestClient(app):  # runs the lifespan, so requests below find the opened components
        yield app


def test_no_operation_answers_with_a_server_error(app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/v1/answer", "/v1/answer/stream", "/v1/search", "/search"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
        def call(case: schemathesis.Case) -> None:
            response = case.call()
            assert response.status_code < 500, f"{case.method} {case.path}: {response.text[:300]}"

        call()
