"""The objectstorage pipeline, run the way Kratix runs it: each request becomes one ObjectBucket
composite that the cloud layer's XRD accepts, or is refused with nothing written."""

from __future__ import annotations

from typing import Any

import pytest

from promises.objectstorage import composite_api
from promises.objectstorage.api import DEFINITION as OBJECTSTORAGE
from promises.objectstorage.pipeline import OUTPUT_FILE
from promises.runtime import REFUSED
from tests.test_promise_pipelines import request, run_pipeline

_TYPES = {"string": str, "object": dict, "boolean": bool, "integer": int, "array": list}


def schema_errors(value: Any, schema: dict, path: str = "") -> list[str]:
    """What the API server would reject in `value` under a structural `schema`: wrong types,
    values outside an enum, missing required fields, fields the schema does not declare."""
    expected = _TYPES[schema["type"]]
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        return [f"{path or '.'}: expected {schema['type']}, got {type(value).__name__}"]
    errors = []
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} not in {schema['enum']}")
    if expected is dict:
        properties = schema.get("properties")
        for field in schema.get("required", []):
            if field not in value:
                errors.append(f"{path}.{field}: required")
        for field, item in value.items():
            if properties is not None and field in properties:
                errors += schema_errors(item, properties[field], f"{path}.{field}")
            elif "additionalProperties" in schema:
                errors += schema_errors(item, schema["additionalProperties"], f"{path}.{field}")
            elif properties is not None:
                errors.append(f"{path}.{field}: not declared by the XRD")
    return errors


def spec_schema() -> dict:
    schema = composite_api.xrd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema["properties"]["spec"]


def assert_a_valid_composite(composite: dict) -> None:
    assert composite["apiVersion"] == composite_api.API_VERSION
    assert composite["kind"] == composite_api.KIND
    assert schema_errors(composite["spec"], spec_schema()) == []


def test_the_schema_check_catches_what_the_api_server_would_reject():
    schema = spec_schema()
    assert schema_errors({"versioning": "Enabled"}, schema) == [".region: required"]
    assert schema_errors({"region": "mars-1"}, schema) == [
        ".region: 'mars-1' not in ['eu-west-1', 'us-east-1']"]
    assert schema_errors({"region": "eu-west-1", "size": "L"}, schema) == [
        ".size: not declared by the XRD"]
    assert schema_errors({"region": "eu-west-1", "tags": {"team": 3}}, schema) == [
        ".tags.team: expected string, got int"]


def test_the_team_assets_example_becomes_a_versioned_bucket_composite(tmp_path):
    run = run_pipeline(tmp_path, "objectstorage", "examples/team-assets.yaml", as_program=True)
    assert run.returncode == 0, run.stderr
    assert list(run.output) == [OUTPUT_FILE]
    composite = run.output[OUTPUT_FILE]
    assert_a_valid_composite(composite)
    assert composite["metadata"]["name"] == "payments-assets"
    assert composite["metadata"]["namespace"] == "payments-prod"
    # The environment the request is labelled with becomes the env cost tag too.
    assert composite["spec"] == {"region": "eu-west-1", "versioning": "Enabled",
                                 "tags": {"team": "payments", "env": "prod"}}
    labels = composite["metadata"]["labels"]
    assert labels["team"] == "payments"
    assert labels["kratix.io/promise-version"] == OBJECTSTORAGE.version
    # Labelled environment: prod, so it lands on a prod destination of the promise's selectors.
    assert run.metadata["destination-selectors.yaml"] == [
        {"directory": "", "matchLabels": {"environment": "prod"}}]
    assert run.metadata["status.yaml"]["message"] == \
        "S3 bucket in eu-west-1 with versioning Enabled requested"
    assert run.metadata["status.yaml"]["composite"] == "ObjectBucket/payments-assets"


def test_the_staging_example_keeps_its_region_versioning_and_cost_tags(tmp_path):
    run = run_pipeline(tmp_path, "objectstorage", "examples/staging-exports.yaml")
    assert run.returncode == 0, run.stderr
    composite = run.output[OUTPUT_FILE]
    assert_a_valid_composite(composite)
    assert composite["spec"] == {"region": "us-east-1", "versioning": "Suspended",
                                 "tags": {"team": "data", "department": "analytics",
                                          "env": "staging"}}


def test_an_empty_request_gets_the_defaults_and_the_namespace_as_team(tmp_path):
    run = run_pipeline(tmp_path, "objectstorage", request(OBJECTSTORAGE, namespace="search-dev"))
    assert run.returncode == 0, run.stderr
    composite = run.output[OUTPUT_FILE]
    assert_a_valid_composite(composite)
    assert composite["spec"] == {"region": "eu-west-1", "versioning": "Enabled",
                                 "tags": {"team": "search-dev"}}
    assert "destination-selectors.yaml" not in run.metadata


@pytest.mark.parametrize("spec, field, words", [
    ({"region": "ap-south-1"}, "region", "choose one of eu-west-1, us-east-1"),
    ({"versioning": "Disabled"}, "versioning", "choose one of Enabled, Suspended"),
    ({"teamName": "Payments_Team"}, "teamName", "does not match"),
    ({"public": "true"}, "public", "is not an option of this promise"),
])
def test_a_bad_request_is_refused_naming_the_field_and_writes_nothing(tmp_path, spec, field,
                                                                      words):
    run = run_pipeline(tmp_path, "objectstorage", request(OBJECTSTORAGE, **spec))
    assert run.returncode == REFUSED
    assert f"spec.{field}:" in run.stderr and words in run.stderr
    assert run.written == []


def test_a_request_of_another_promise_is_refused(tmp_path):
    other = request(OBJECTSTORAGE)
    other["kind"] = "PostgreSQL"
    run = run_pipeline(tmp_path, "objectstorage", other)
    assert run.returncode == REFUSED and run.written == []
