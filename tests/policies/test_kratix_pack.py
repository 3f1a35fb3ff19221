"""The kratix pack: a violating and a compliant case for every policy."""

import json

import pytest
from pulumi_policy.proxy import UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE

from components.naming import FACTS_CONFIGMAP, VERSIONING_ANNOTATION
from policies.kratix import (adoption_fit, pipeline_containers, pipeline_image_semver,
                             promise_api_options, promise_version_label, state_store_versioned)
from tests.policy_helpers import policy_resource, run_stack_policy, stack_violations, violations

BUCKET = "kubernetes:platform.kratix.io/v1alpha1:BucketStateStore"
GIT = "kubernetes:platform.kratix.io/v1alpha1:GitStateStore"
PROMISE = "kubernetes:platform.kratix.io/v1alpha1:Promise"
CONFIGMAP = "kubernetes:core/v1:ConfigMap"


def store(annotation=None):
    metadata = {"name": "default"}
    if annotation is not None:
        metadata["annotations"] = {VERSIONING_ANNOTATION: annotation}
    return {"metadata": metadata, "spec": {"bucketName": "kratix", "endpoint": "s3:9000"}}


@pytest.mark.parametrize("annotation", [None, "disabled"])
def test_unversioned_bucket_store_is_reported(annotation):
    found = violations(state_store_versioned.POLICY, BUCKET, store(annotation))
    assert len(found) == 1 and "BucketStateStore 'default' has no versioned bucket" in found[0]


def test_versioned_bucket_and_git_stores_pass():
    assert violations(state_store_versioned.POLICY, BUCKET, store("enabled")) == []
    assert violations(state_store_versioned.POLICY, GIT, {"metadata": {"name": "g"}}) == []


def promise(*images):
    containers = [{"name": f"step-{i}", "image": image} for i, image in enumerate(images)]
    return {"metadata": {"name": "postgresql"}, "spec": {"workflows": {"resource": {
        "configure": [{"apiVersion": "platform.kratix.io/v1alpha1", "kind": "Pipeline",
                       "metadata": {"name": "instance"}, "spec": {"containers": containers}}]}}}}


def test_pipeline_images_without_a_semantic_version_are_reported():
    found = violations(pipeline_image_semver.POLICY, PROMISE,
                       promise("ghcr.io/acme/pg-pipeline:latest", "ghcr.io/acme/pg-pipeline",
                               "ghcr.io/acme/pg-pipeline:main", "ghcr.io/acme/ok:v1.0.0"))
    assert [f.split(" image ")[1] for f in found] == [
        "ghcr.io/acme/pg-pipeline:latest uses the tag latest",
        "ghcr.io/acme/pg-pipeline has no tag (it means latest)",
        "ghcr.io/acme/pg-pipeline:main uses the tag main, which is not a semantic version "
        "(for example v1.2.3)"]
    assert found[0].startswith("pipeline resource.configure/instance container 'step-0'")


def test_pipeline_images_pinned_by_version_or_digest_pass():
    assert violations(pipeline_image_semver.POLICY, PROMISE,
                      promise("ghcr.io/acme/pg:v1.2.3", "ghcr.io/acme/pg:0.4.1-rc.1",
                              "ghcr.io/acme/pg@sha256:" + "b" * 64)) == []


def api_promise(options, required=()):
    """A Promise whose API offers `options` (name -> property schema) in its spec."""
    spec_schema = {"type": "object", "properties": options}
    if required:
        spec_schema["required"] = list(required)
    version = {"name": "v1", "served": True, "storage": True,
               "schema": {"openAPIV3Schema": {"type": "object",
                                              "properties": {"spec": spec_schema}}}}
    return {"metadata": {"name": "postgresql"}, "spec": {"api": {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "spec": {"group": "database.example.com", "versions": [version]}}}}


# The seed's own PostgreSQL API: one enum with a default, one default.
SEED_POSTGRES_OPTIONS = {"size": {"type": "string", "enum": ["small", "medium", "large"],
                                  "default": "small"},
                         "version": {"type": "string", "default": "16"}}


def test_api_with_too_many_options_is_reported():
    options = {f"option{i}": {"type": "string", "default": "x"} for i in range(8)}
    found = violations(promise_api_options.POLICY, PROMISE, api_promise(options))
    assert found == ["Promise 'postgresql' API v1 exposes 8 options (at most 7): "
                     + ", ".join(sorted(options))]


def test_api_options_without_default_or_enum_are_reported():
    options = {**SEED_POSTGRES_OPTIONS, "teamName": {"type": "string"},
               "backup": {"type": "object", "properties": {"schedule": {"type": "string"}}}}
    found = violations(promise_api_options.POLICY, PROMISE, api_promise(options))
    assert found == ["Promise 'postgresql' API v1 options without a default or enum: "
                     "teamName, backup"]


def test_api_with_few_defaulted_or_required_options_passes():
    options = {**SEED_POSTGRES_OPTIONS, "teamName": {"type": "string"}}
    assert violations(promise_api_options.POLICY, PROMISE,
                      api_promise(options, required=["teamName"])) == []
    assert violations(promise_api_options.POLICY, PROMISE, promise("ghcr.io/a/b:v1.0.0")) == []


def test_api_option_limit_comes_from_policy_config():
    found = violations(promise_api_options.POLICY, PROMISE, api_promise(SEED_POSTGRES_OPTIONS),
                       config={"maxOptions": 1.0})  # the engine hands numbers over as floats
    assert found == ["Promise 'postgresql' API v1 exposes 2 options (at most 1): size, version"]


def test_api_options_unknown_during_preview_are_not_reported():
    unknown_default = {"size": {"type": "string", "default": UNKNOWN_STRING_VALUE}}
    assert violations(promise_api_options.POLICY, PROMISE, api_promise(unknown_default)) == []
    # Which options are required is not known yet: none can be called optional.
    assert violations(promise_api_options.POLICY, PROMISE, api_promise(
        {"teamName": {"type": "string"}}, required=[UNKNOWN_STRING_VALUE])) == []


def labelled_promise(labels):
    return {"metadata": {"name": "redis", "labels": labels}, "spec": {}}


@pytest.mark.parametrize("labels", [{}, {"kratix.io/promise-version": ""}])
def test_promise_without_version_label_is_reported(labels):
    assert violations(promise_version_label.POLICY, PROMISE, labelled_promise(labels)) == [
        "Promise 'redis' has no kratix.io/promise-version label"]


def test_promise_with_version_label_or_unknown_labels_passes():
    for labels in ({"kratix.io/promise-version": "v1.2.0"}, UNKNOWN_OBJECT_VALUE):
        assert violations(promise_version_label.POLICY, PROMISE, labelled_promise(labels)) == []


def test_pipeline_with_too_many_containers_is_reported():
    found = violations(pipeline_containers.POLICY, PROMISE,
                       promise(*[f"ghcr.io/acme/step{i}:v1.0.0" for i in range(4)]))
    assert found == ["Promise 'postgresql' pipeline resource.configure/instance runs 4 "
                     "containers (at most 3)"]


def test_pipeline_within_the_container_limit_passes():
    assert violations(pipeline_containers.POLICY, PROMISE,
                      promise(*[f"ghcr.io/acme/step{i}:v1.0.0" for i in range(3)])) == []
    assert violations(pipeline_containers.POLICY, PROMISE,
                      promise(*[f"ghcr.io/acme/step{i}:v1.0.0" for i in range(4)]),
                      config={"maxContainers": 4}) == []


def facts(teams=("payments", "search"), environments=("dev",), portal="false"):
    """The facts ConfigMap as KratixPlatform publishes it (lists as JSON strings)."""
    return policy_resource(CONFIGMAP, {
        "metadata": {"name": FACTS_CONFIGMAP, "namespace": "kratix-platform-system"},
        "data": {"teams": json.dumps(list(teams)), "environments": json.dumps(list(environments)),
                 "portal": portal}}, name="kratix-facts")


def test_adoption_fit_reports_a_stack_meeting_fewer_than_three_criteria():
    found = stack_violations(adoption_fit.POLICY, [facts()])
    assert found == [
        "only 1 of 5 Kratix adoption criteria hold (3 needed). "
        "Hold: a separate platform team (policy config platformTeam). "
        "Missing: 3+ application teams (2: payments, search); "
        "repeated provisioning through Promises (0 Promise(s) offered); "
        "multiple environments (1: dev); "
        "a self-service portal, running or planned (none running or planned)"]


def test_adoption_fit_passes_with_three_criteria():
    assert stack_violations(adoption_fit.POLICY, [
        facts(), policy_resource(PROMISE, api_promise(SEED_POSTGRES_OPTIONS))],
        config={"portalPlanned": True}) == []
    assert stack_violations(adoption_fit.POLICY, [
        facts(teams=("a", "b", "c"), environments=("prod", "staging"))]) == []


def test_adoption_fit_counts_the_platform_team_from_config():
    found = stack_violations(adoption_fit.POLICY, [
        facts(teams=("a", "b", "c"), environments=("prod", "staging"))],
        config={"platformTeam": False})
    assert len(found) == 1 and found[0].startswith("only 2 of 5")


def test_adoption_fit_does_not_apply_without_known_facts():
    assert run_stack_policy(adoption_fit.POLICY, []) == (
        [], f"the stack publishes no {FACTS_CONFIGMAP} ConfigMap")
    unknown = facts(portal=UNKNOWN_STRING_VALUE)
    assert run_stack_policy(adoption_fit.POLICY, [unknown]) == (
        [], f"the {FACTS_CONFIGMAP} facts are not known yet")
