"""The OpenAPI schema is valid and complete, and the API answers what it documents.

schemathesis generates requests for every operation from the schema (valid and invalid input,
bounded per operation to keep the suite fast) and checks each answer: never a server error, never
a status code the operation does not document, and a body that matches the documented schema.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 12


def test_the_schema_validates_without_warnings(tmp_path):
    """drf-spectacular validates it against the OpenAPI 3 specification; a warning fails too."""
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def test_every_operation_documents_its_errors(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            documented = set(operation["responses"])
            assert {"401", "403", "429"} <= documented, (method, path)
            if "{id}" in path:
                assert "404" in documented, (method, path)
            if method in ("patch", "post") and path.endswith(("/submit/", "/approve/", "/return/", "{id}/")):
                assert {"412", "428"} <= documented, (method, path)
            assert operation.get("summary") or operation.get("description"), (method, path)
            error = operation["responses"]["401"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/Error"}


@pytest.fixture
def wsgi_app():
    # Requests go straight into Django, inside the test's transaction: like Django's test client,
    # keep the request signals from closing that connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_the_api_answers_as_documented(wsgi_app, world, tokens, mode):
    """Every operation, with generated valid (positive) or invalid (negative) input."""
    from assessments.aggregation import scores_full_recompute

    approved = world.approved()
    world.submitted()
    draft = world.draft(rated=True)
    scores_full_recompute()  # stored scores and the day's snapshots: the score endpoints answer with numbers
    # Valid input names objects that exist, so that success answers are checked too.
    existing = {
        "catalogues": draft.catalogue_id, "partners": approved.agreement.partners.get().pk,
        "agreements": approved.agreement_id, "assessments": draft.pk, "scores": approved.agreement_id,
    }
    api = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", wsgi_app)
    # identity: the in-process WSGI client does not decompress what GZipMiddleware compresses
    headers = {"Authorization": f"Token {tokens['write_administrator']}", "Accept-Encoding": "identity"}
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    failures = []
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 20
    assert {"/api/v1/heatmap/", "/api/v1/scores/portfolio/", "/api/v1/scores/partners/",
            "/api/v1/scores/categories/", "/api/v1/scores/agreements/{id}/"} <= {o.path for o in operations}
    for operation in operations:

        resource = operation.path.split("/")[3]
        fixed = {"id": existing[resource]} if mode == "positive" and "{id}" in operation.path else None

        @given(case=operation.as_strategy(generation_mode=GenerationMode(mode), path_parameters=fixed))
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck),
                  derandomize=True, database=None, phases=[Phase.explicit, Phase.generate])
        def answers_as_documented(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=checks)

        try:
            answers_as_documented()
        except Exception as exc:  # collect them all: one report for every operation that fails
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)
