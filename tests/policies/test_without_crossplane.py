"""kratix-without-crossplane: cloud-backed Promises need the Crossplane layer."""

from __future__ import annotations

import pytest
from pulumi_policy.proxy import UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE

from components.naming import FACTS_CONFIGMAP
from policies.kratix import without_crossplane
from policies.lib import promises as promise_vocabulary
from promises.definition import BACKEND_LABEL
from promises.objectstorage.api import DEFINITION as OBJECTSTORAGE
from promises.redis.api import DEFINITION as REDIS
from tests.policies.test_packs import shipped_stack
from tests.policy_helpers import policy_resource, run_stack_policy, stack_violations

PROMISE = "kubernetes:platform.kratix.io/v1alpha1:Promise"
CONFIGMAP = "kubernetes:core/v1:ConfigMap"
POLICY = without_crossplane.POLICY


def facts(crossplane: str):
    return policy_resource(CONFIGMAP, {
        "metadata": {"name": FACTS_CONFIGMAP, "namespace": "kratix-platform-system"},
        "data": {"crossplane": crossplane}}, name="kratix-facts")


def promise(definition, labels=None):
    """A Promise object as the KratixPromise component registers it."""
    document = definition.promise("registry.example.com/promises", {}, [])
    if labels is not None:
        document["metadata"]["labels"] = labels
    return policy_resource(PROMISE, document, name=f"promise-{definition.name}-promise")


def test_cloud_backed_promise_without_crossplane_is_reported_with_the_fix():
    found = stack_violations(POLICY, [facts("false"), promise(OBJECTSTORAGE), promise(REDIS)])
    assert len(found) == 1
    message = found[0]
    assert message.startswith("Kratix without Crossplane: Promise(s) objectstorage are "
                              "cloud-backed (idp-as-code.io/promise-backend: crossplane;")
    assert "composite nothing reconciles" in message
    for fix in ("idp:crossplane.enabled: true", "destinationSelectors",
                "idp:crossplaneCredentials.aws.*", "workloadIdentity", "awsRoleArn"):
        assert fix in message, fix


def test_the_pack_reads_the_label_the_promises_set():
    assert promise_vocabulary.BACKEND_LABEL == BACKEND_LABEL


def test_cloud_backed_promise_with_crossplane_on_passes():
    assert stack_violations(POLICY, [facts("true"), promise(OBJECTSTORAGE)]) == []


def test_in_cluster_promises_without_crossplane_pass():
    assert stack_violations(POLICY, [facts("false"), promise(REDIS)]) == []


def test_not_applicable_without_facts_or_while_they_are_unknown():
    assert run_stack_policy(POLICY, [promise(OBJECTSTORAGE)]) == (
        [], f"the stack publishes no {FACTS_CONFIGMAP} ConfigMap")
    for resources in ([facts(UNKNOWN_STRING_VALUE), promise(OBJECTSTORAGE)],
                      [facts("false"), promise(OBJECTSTORAGE, labels=UNKNOWN_OBJECT_VALUE)]):
        found, reason = run_stack_policy(POLICY, resources)
        assert found == [] and reason and "not known yet" in reason


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_shipped_stacks_comply(stack):
    # dev: the layer is off and no cloud-backed promise is offered; prod: the layer is on.
    _, resources = shipped_stack(stack)
    found, reason = run_stack_policy(POLICY, resources)
    assert (found, reason) == ([], None)
