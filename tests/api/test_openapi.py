"""The OpenAPI description: valid, complete, and a property-based fuzzer finds no server error."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate

from incidents.accounts import credentials
from incidents.api.openapi import SPEC
from tests.factories import make_facility, make_incident, publish

# A resumable upload's part is raw bytes: schemathesis makes those only when told how.
schemathesis.openapi.media_type("application/offset+octet-stream", st.binary(max_size=64))


def test_the_description_is_valid_openapi(client):
    """Is the served API description a valid OpenAPI document?"""
    served = client.get("/api/v1/openapi.json")
    assert served.status_code == 200
    validate(served.get_json())


def test_every_api_route_is_described(app):
    """Does the API description cover every API route?"""
    described = {path.replace("{", "<").replace("}", ">") for path in SPEC["paths"]}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "api.openapi":
            route = rule.rule.replace("<int:", "<").replace("<any(csv, json):fmt>", "").rstrip(".")
            # A dossier route serves .pdf and .docx: each is a path of its own in the document.
            variants = [route.replace("<any(pdf, docx):file_format>", suffix) for suffix in ("pdf", "docx")]
            assert all(any(variant == d or (variant.endswith("incidents") and d.startswith(variant + "."))
                           for d in described) for variant in variants), rule.rule


def test_the_description_says_every_transition_names_its_version():
    """Does the API description require a transition to name the version it was made on, as well as the
    action?

    docs/api.md: ``version`` is required on a transition, as on PATCH; a client built from the
    description must send it."""
    body = SPEC["paths"]["/api/v1/incidents/{incident_id}/transitions"]["post"]["requestBody"]
    assert set(body["content"]["application/json"]["schema"]["required"]) == {"action", "version"}


@pytest.fixture
def fuzzed(app, users):
    facility = make_facility(users["contributor"])
    publish(make_incident(users["contributor"], facility), users["contributor"], users["reviewer"])
    make_incident(users["contributor"], facility)
    token = credentials.issue_api_token(users["reviewer"])
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app), token


def test_fuzzing_the_api_finds_no_server_error(fuzzed):
    """Can any input, well formed or malformed, anonymous or signed in, make an API operation answer with a
    server error?

    Every operation, fed schema-shaped and malformed input, answers without a 5xx."""
    schema, token = fuzzed
    failures, calls = [], []
    operations = list(schema.get_all_operations())
    assert len(operations) >= 14
    for operation in operations:
        operation = operation.ok()

        @settings(max_examples=25, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case):
            for headers in ({}, {"Authorization": f"Bearer {token}"}):
                response = case.call(headers=headers)
                calls.append(response.status_code)
                if response.status_code >= 500:
                    failures.append((case.method, case.formatted_path, response.status_code))

        run()
    assert len(calls) > 200 and failures == []
