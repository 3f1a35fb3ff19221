"""The platform pack: a violating and a compliant case for every policy."""

import pytest
from pulumi_policy.proxy import (UNKNOWN_ARRAY_VALUE, UNKNOWN_BOOLEAN_VALUE, UNKNOWN_OBJECT_VALUE,
                                 UNKNOWN_STRING_VALUE)

from components.naming import SYNC_WINDOW_ANNOTATION, TEAM_LABEL
from policies.platform import (argocd_prod_prune, argocd_target_revision, container_resources,
                               cost_labels, image_pinned, kyverno_enforce, no_default_namespace,
                               no_privileged, team_namespace_default_deny)
from tests.policy_helpers import (FULL_RESOURCES, deployment, kubernetes_provider,
                                  policy_resource, run_stack_policy, stack_violations, urn_of,
                                  violations)

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
POD = "kubernetes:core/v1:Pod"
SERVICE = "kubernetes:core/v1:Service"
NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application"
APPLICATION_SET = "kubernetes:argoproj.io/v1alpha1:ApplicationSet"
VALIDATING_POLICY = "kubernetes:policies.kyverno.io/v1alpha1:ValidatingPolicy"
CLUSTER_POLICY = "kubernetes:kyverno.io/v1:ClusterPolicy"


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


def with_security(container_context=None, **pod_fields):
    props = deployment(resources=FULL_RESOURCES)
    pod = props["spec"]["template"]["spec"]
    pod.update(pod_fields)
    if container_context is not None:
        pod["containers"][0]["securityContext"] = container_context
    return props


def test_privileged_containers_and_host_namespaces_are_reported():
    found = violations(no_privileged.POLICY, DEPLOYMENT, with_security(
        {"privileged": True, "allowPrivilegeEscalation": True}, hostNetwork=True, hostPID=True))
    assert found == ["Deployment 'app' sets hostNetwork: true",
                     "Deployment 'app' sets hostPID: true",
                     "Deployment 'app' container 'app' sets securityContext.privileged: true",
                     "Deployment 'app' container 'app' sets "
                     "securityContext.allowPrivilegeEscalation: true"]
    pod = {"metadata": {"name": "debug"}, "spec": {"hostIPC": True, "containers": []}}
    assert violations(no_privileged.POLICY, POD, pod) == ["Pod 'debug' sets hostIPC: true"]


def test_unprivileged_or_unknown_security_settings_pass():
    for props in (with_security({"privileged": False, "allowPrivilegeEscalation": False},
                                hostNetwork=False),
                  with_security({"privileged": UNKNOWN_BOOLEAN_VALUE},
                                hostPID=UNKNOWN_BOOLEAN_VALUE),
                  with_security()):
        assert violations(no_privileged.POLICY, DEPLOYMENT, props) == []


def in_namespace(namespace, name="app"):
    metadata = {"name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    return {"metadata": metadata, "spec": {}}


@pytest.mark.parametrize("namespace", ["default", "", None])
def test_objects_in_or_defaulting_to_the_default_namespace_are_reported(namespace):
    assert violations(no_default_namespace.POLICY, SERVICE, in_namespace(namespace)) == [
        "Service 'app' is in the default namespace"]


def test_objects_in_a_named_namespace_pass():
    assert violations(no_default_namespace.POLICY, DEPLOYMENT, in_namespace("team-a")) == []
    # No namespace of its own: the provider's namespace applies.
    assert violations(no_default_namespace.POLICY, SERVICE, in_namespace(None),
                      provider=kubernetes_provider(namespace="team-a")) == []
    assert violations(no_default_namespace.POLICY, SERVICE,
                      in_namespace(UNKNOWN_STRING_VALUE)) == []
    # Cluster-scoped, or not a workload kind the policy covers.
    assert violations(no_default_namespace.POLICY, NAMESPACE, in_namespace(None)) == []


def team_namespace(name="payments", team="payments", provider=None):
    labels = {TEAM_LABEL: team} if team else {}
    return policy_resource(NAMESPACE, {"metadata": {"name": name, "labels": labels}},
                           name=f"{name}-ns", provider=provider)


def network_policy(namespace="payments", selector=None, types=("Ingress", "Egress"),
                   provider=None, **rules):
    spec = {"podSelector": {} if selector is None else selector, "policyTypes": list(types),
            **rules}
    return policy_resource(NETWORK_POLICY, {
        "metadata": {"name": "default-deny", "namespace": namespace}, "spec": spec},
        name=f"{namespace}-deny", provider=provider)


@pytest.mark.parametrize("policy", [
    None,
    network_policy(types=("Ingress",)),
    network_policy(namespace="search"),
    network_policy(selector={"matchLabels": {"app": "api"}}),
    network_policy(ingress=[{}], egress=[{}]),  # allows everything
], ids=["none", "ingress-only", "other-namespace", "some-pods", "allow-all"])
def test_team_namespace_without_default_deny_is_reported(policy):
    resources = [team_namespace()] + ([policy] if policy else [])
    assert stack_violations(team_namespace_default_deny.POLICY, resources) == [
        "team namespace 'payments' (team payments) has no default-deny NetworkPolicy"]


def test_default_deny_must_be_on_the_same_cluster():
    platform, worker = kubernetes_provider("platform"), kubernetes_provider("worker")
    found = stack_violations(team_namespace_default_deny.POLICY, [
        team_namespace(provider=worker), network_policy(provider=platform)])
    assert len(found) == 1


def test_team_namespace_with_default_deny_passes():
    worker = kubernetes_provider("worker")
    assert stack_violations(team_namespace_default_deny.POLICY, [
        team_namespace(provider=worker), network_policy(provider=worker),
        team_namespace("tools", team=None)]) == []
    # A policy whose namespace is not known yet may well be the one.
    assert stack_violations(team_namespace_default_deny.POLICY, [
        team_namespace(), network_policy(namespace=UNKNOWN_STRING_VALUE)]) == []


COST_LABELS = {"team": "payments", "owner": "payments-leads", "department": "finance",
               "product": "checkout", "env": "prod"}


def labelled(labels, name="payments"):
    return {"metadata": {"name": name, "labels": labels}}


def test_namespaces_and_workloads_without_cost_labels_are_reported():
    assert violations(cost_labels.POLICY, NAMESPACE, labelled({"team": "payments"})) == [
        "Namespace 'payments' has no cost allocation label owner, department, product, env"]
    props = {**deployment(resources=FULL_RESOURCES),
             **labelled({**COST_LABELS, "env": ""}, name="api")}
    assert violations(cost_labels.POLICY, DEPLOYMENT, props) == [
        "Deployment 'api' has no cost allocation label env"]


def test_cost_labelled_and_platform_objects_pass():
    assert violations(cost_labels.POLICY, NAMESPACE, labelled(COST_LABELS)) == []
    assert violations(cost_labels.POLICY, NAMESPACE, labelled(
        {"app.kubernetes.io/part-of": "idp-as-code"})) == []
    # Rendered by a chart that a platform component installs: the chart's labels, not ours.
    chart_child = urn_of(DEPLOYMENT, "cert-manager", parents=(
        "idp:platform:KratixPlatform", "kubernetes:helm.sh/v4:Chart"))
    assert violations(cost_labels.POLICY, DEPLOYMENT, labelled({}), urn=chart_child) == []
    assert violations(cost_labels.POLICY, NAMESPACE, labelled(UNKNOWN_OBJECT_VALUE)) == []
    assert violations(cost_labels.POLICY, SERVICE, labelled({})) == []


def test_cost_labels_come_from_policy_config():
    assert violations(cost_labels.POLICY, NAMESPACE, labelled({"team": "payments"}),
                      config={"requiredLabels": ["team"]}) == []


def application(*revisions, multiple=False, labels=None, annotations=None, sync_policy=None):
    sources = [{"repoURL": "https://git.example.com/apps.git", "path": "payments",
                **({} if revision is None else {"targetRevision": revision})}
               for revision in revisions]
    spec = {"project": "payments", "destination": {"name": "prod-eu-west-1"}}
    spec.update({"sources": sources} if multiple else {"source": sources[0]})
    if sync_policy is not None:
        spec["syncPolicy"] = sync_policy
    return {"metadata": {"name": "payments", "labels": labels or {},
                         "annotations": annotations or {}}, "spec": spec}


def application_set(app):
    return {"metadata": {"name": "payments-set"},
            "spec": {"generators": [{"clusters": {}}], "template": app}}


@pytest.mark.parametrize("revision,problem", [
    (None, "has no targetRevision (it follows HEAD)"),
    ("", "has no targetRevision (it follows HEAD)"),
    ("HEAD", "targets HEAD"),
    ("1.2.*", "targets the range 1.2.*"),
])
def test_moving_target_revisions_are_reported(revision, problem):
    assert violations(argocd_target_revision.POLICY, APPLICATION, application(revision)) == [
        f"Application 'payments' source {problem}"]


def test_target_revisions_are_checked_in_every_source_and_in_application_sets():
    found = violations(argocd_target_revision.POLICY, APPLICATION,
                       application("v1.4.0", "*", multiple=True))
    assert found == ["Application 'payments' sources[1] targets the range *"]
    found = violations(argocd_target_revision.POLICY, APPLICATION_SET,
                       application_set(application("HEAD")))
    assert found == ["ApplicationSet 'payments-set' template source targets HEAD"]


def test_pinned_or_unknown_target_revisions_pass():
    for revision in ("v1.4.0", "4f2c1e9", "release-2025.05", UNKNOWN_STRING_VALUE):
        assert violations(argocd_target_revision.POLICY, APPLICATION,
                          application(revision)) == []
    assert violations(argocd_target_revision.POLICY, APPLICATION_SET,
                      application_set(application("v2.0.0"))) == []


AUTO_PRUNE = {"automated": {"prune": True, "selfHeal": True}}
PROD = {"environment": "prod"}


def test_prod_applications_that_prune_automatically_are_reported():
    app = application("v1.0.0", labels=PROD, sync_policy=AUTO_PRUNE)
    assert violations(argocd_prod_prune.POLICY, APPLICATION, app) == [
        "Application 'payments' (environment: prod) prunes automatically outside sync windows"]
    assert violations(argocd_prod_prune.POLICY, APPLICATION_SET, application_set(app)) == [
        "ApplicationSet 'payments-set' template (environment: prod) prunes automatically "
        "outside sync windows"]


@pytest.mark.parametrize("labels,annotations,sync_policy", [
    (PROD, {SYNC_WINDOW_ANNOTATION: "true"}, AUTO_PRUNE),
    ({"environment": "dev"}, None, AUTO_PRUNE),
    (PROD, None, {"automated": {"prune": False}}),
    (PROD, None, {"automated": {"prune": True, "enabled": False}}),
    (PROD, None, {"automated": {"prune": UNKNOWN_BOOLEAN_VALUE}}),
    (PROD, None, None),
], ids=["sync-window", "dev", "no-prune", "automation-off", "unknown", "manual-sync"])
def test_prune_in_sync_windows_or_outside_prod_passes(labels, annotations, sync_policy):
    app = application("v1.0.0", labels=labels, annotations=annotations, sync_policy=sync_policy)
    assert violations(argocd_prod_prune.POLICY, APPLICATION, app) == []


def kyverno(resource_type, spec, name="require-labels"):
    return policy_resource(resource_type, {"metadata": {"name": name}, "spec": spec}, name=name)


def validate_rule(name, failure_action=None):
    validate = {"message": "labels required", "pattern": {"metadata": {"labels": {"team": "?*"}}}}
    if failure_action:
        validate["failureAction"] = failure_action
    return {"name": name, "validate": validate}


def test_kyverno_policies_that_only_audit_are_reported():
    found = stack_violations(kyverno_enforce.POLICY, [
        kyverno(VALIDATING_POLICY, {"validationActions": ["Audit", "Warn"]}, "vpol-audit"),
        kyverno(VALIDATING_POLICY, {}, "vpol-none"),
        kyverno(CLUSTER_POLICY, {"rules": [validate_rule("team")]}, "cpol-default"),
        kyverno(CLUSTER_POLICY, {"validationFailureAction": "Enforce",
                                 "rules": [validate_rule("team"),
                                           validate_rule("owner", "Audit")]}, "cpol-rule")])
    assert found == [
        "ValidatingPolicy 'vpol-audit' does not block: validationActions Audit, Warn without Deny",
        "ValidatingPolicy 'vpol-none' does not block: no validationActions",
        "ClusterPolicy 'cpol-default' does not block: rules only audit: team (Audit)",
        "ClusterPolicy 'cpol-rule' does not block: rules only audit: owner (Audit)"]


def test_enforcing_or_unknown_kyverno_policies_pass():
    assert stack_violations(kyverno_enforce.POLICY, [
        kyverno(VALIDATING_POLICY, {"validationActions": ["Deny", "Audit"]}),
        kyverno("kubernetes:policies.kyverno.io/v1:ImageValidatingPolicy",
                {"validationActions": ["Deny"]}),
        kyverno(CLUSTER_POLICY, {"validationFailureAction": "enforce",
                                 "rules": [validate_rule("team")]}),
        kyverno(CLUSTER_POLICY, {"rules": [validate_rule("team", "Enforce"),
                                           {"name": "add-team", "mutate": {}}]}),
        kyverno(VALIDATING_POLICY, {"validationActions": UNKNOWN_ARRAY_VALUE}),
    ]) == []


def test_kyverno_enforce_does_not_apply_without_kyverno_or_when_switched_off():
    assert run_stack_policy(kyverno_enforce.POLICY, [team_namespace()]) == (
        [], "the stack has no Kyverno policies")
    audit = kyverno(VALIDATING_POLICY, {"validationActions": ["Audit"]})
    assert run_stack_policy(kyverno_enforce.POLICY, [audit], config={"requireEnforce": False}) \
        == ([], "requireEnforce is false in this stack's policy config")
