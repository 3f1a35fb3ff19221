"""The kratix pack: a violating and a compliant case for every policy."""

import pytest

from components.naming import VERSIONING_ANNOTATION
from policies.kratix import pipeline_image_semver, state_store_versioned
from tests.policy_helpers import violations

BUCKET = "kubernetes:platform.kratix.io/v1alpha1:BucketStateStore"
GIT = "kubernetes:platform.kratix.io/v1alpha1:GitStateStore"
PROMISE = "kubernetes:platform.kratix.io/v1alpha1:Promise"


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
