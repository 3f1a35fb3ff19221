"""The platform pack: a violating and a compliant case for every policy."""

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policies.platform import container_resources, image_pinned
from tests.policy_helpers import FULL_RESOURCES, deployment, violations

DEPLOYMENT = "kubernetes:apps/v1:Deployment"


@pytest.mark.parametrize("image,why", [
    ("nginx", "has no tag"),
    ("nginx:latest", "uses the tag latest"),
    ("registry.example.com:5000/team/app", "has no tag"),
])
def test_image_pinned_reports_floating_images(image, why):
    found = violations(image_pinned.POLICY, DEPLOYMENT, deployment(image, FULL_RESOURCES))
    assert len(found) == 1 and why in found[0] and image in found[0]


@pytest.mark.parametrize("image", [
    "nginx:1.27.3", "registry.example.com:5000/team/app:v2",
    "docker.io/syntasso/kratix-platform@sha256:" + "a" * 64,
])
def test_image_pinned_accepts_fixed_tags_and_digests(image):
    assert violations(image_pinned.POLICY, DEPLOYMENT, deployment(image, FULL_RESOURCES)) == []


def test_image_pinned_checks_init_containers_and_cronjobs():
    props = {"metadata": {"name": "nightly"}, "spec": {"jobTemplate": {"spec": {"template": {
        "spec": {"initContainers": [{"name": "init", "image": "busybox"}],
                 "containers": [{"name": "run", "image": "busybox:1.36"}]}}}}}}
    found = violations(image_pinned.POLICY, "kubernetes:batch/v1:CronJob", props)
    assert found == ["CronJob 'nightly' container 'init' image busybox has no tag (it means latest)"]


def test_image_pinned_tolerates_unknown_images_during_preview():
    assert violations(image_pinned.POLICY, DEPLOYMENT,
                      deployment(UNKNOWN_STRING_VALUE, FULL_RESOURCES)) == []


def test_container_resources_reports_each_missing_value():
    found = violations(container_resources.POLICY, DEPLOYMENT, deployment(
        resources={"requests": {"cpu": "100m"}, "limits": {"memory": "1Gi"}}))
    assert found == ["Deployment 'app' container 'app' has no requests.memory, limits.cpu"]


def test_container_resources_accepts_full_requests_and_limits():
    assert violations(container_resources.POLICY, DEPLOYMENT,
                      deployment(resources=FULL_RESOURCES)) == []


def test_platform_policies_ignore_objects_without_pods():
    config_map = {"metadata": {"name": "settings"}, "data": {"image": "nginx"}}
    for policy in (image_pinned.POLICY, container_resources.POLICY):
        assert violations(policy, "kubernetes:core/v1:ConfigMap", config_map) == []
