"""The security baseline: Pod Security, Kyverno and its policies, default-deny networking and
team tenancy with RBAC, for both shipped stacks under Pulumi mocks."""

from __future__ import annotations

import re

import pytest

from components import charts, naming
from components.security.sizes import SIZES as SECURITY_SIZES
from components.profiles import TEAM_QUOTAS
from tests.harness import Registry, run_program, stack_config

PSA_RESTRICTED = naming.pod_security_labels("restricted")
POLICY_KINDS = ("ValidatingPolicy", "ImageValidatingPolicy")
DEV_TEAMS = {"payments", "search"}
PROD_TEAMS = {"payments", "search", "checkout", "identity", "data"}


def _team_namespaces(registry: Registry) -> dict[tuple[str, str], object]:
    """Team Namespace objects by (cluster, namespace name)."""
    return {(r.provider_name, r.get("metadata", "name")): r for r in registry.kind("Namespace")
            if naming.TEAM_LABEL in (r.get("metadata", "labels") or {})}


def _namespaced(registry: Registry, kind: str) -> dict[tuple[str, str], list]:
    found: dict[tuple[str, str], list] = {}
    for r in registry.kind(kind):
        found.setdefault((r.provider_name, r.get("metadata", "namespace")), []).append(r)
    return found


def _policies(registry: Registry) -> list:
    return [r for kind in POLICY_KINDS for r in registry.kind(kind)]


# -- namespaces and Pod Security ------------------------------------------------------------------


def test_dev_has_a_restricted_namespace_per_team_on_the_one_cluster(dev):
    namespaces = _team_namespaces(dev)
    assert set(namespaces) == {("platform", "payments-dev"), ("platform", "search-dev")}
    for namespace in namespaces.values():
        labels = namespace.get("metadata", "labels")
        assert PSA_RESTRICTED.items() <= labels.items()
        # Cost labels for the platform-cost-labels policy; no platform part-of label, so they
        # are charged to the team.
        assert set(naming.COST_LABELS) <= set(labels)
        assert naming.PART_OF_LABEL not in labels
    payments = namespaces[("platform", "payments-dev")].get("metadata", "labels")
    assert payments["team"] == payments[naming.TEAM_LABEL] == "payments"
    assert payments["env"] == "dev" and payments["department"] == "commerce"
    assert payments["owner"] == "payments-leads_at_example.com"


def test_prod_team_namespaces_follow_the_environments_each_cluster_serves(prod):
    namespaces = set(_team_namespaces(prod))
    expected = {(cluster, f"{team}-{env}")
                for cluster, env in (("prod-eu-west-1", "prod"), ("prod-us-east-1", "prod"),
                                     ("staging-eu-west-1", "staging"))
                for team in PROD_TEAMS}
    assert namespaces == expected
    assert not [n for n in namespaces if n[0] == "platform"], \
        "the platform cluster serves no environment: no team namespaces there"


def test_kyverno_namespace_carries_pod_security_labels(dev):
    labels = dev.named("security-platform-kyverno-ns").get("metadata", "labels")
    assert labels["pod-security.kubernetes.io/enforce"] == "baseline"


# -- Kyverno ----------------------------------------------------------------------------------------


def test_kyverno_chart_is_pinned_and_installed_before_its_policies(dev):
    chart = dev.named("security-platform-kyverno")
    assert chart.get("chart") == "kyverno" and chart.get("version") == "3.9.0"
    assert chart.get("repositoryOpts", "repo") == charts.CHARTS["kyverno"].repository
    assert chart.get("namespace") == "kyverno"
    assert dev.named("security-platform-kyverno-ns").urn in chart.dependencies
    for policy in _policies(dev):
        assert chart.urn in policy.dependencies, policy.name


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_webhooks_and_policies_never_touch_system_or_platform_namespaces(stack, request):
    registry = request.getfixturevalue(stack)
    for chart in registry.kind("Chart"):
        if chart.get("chart") != "kyverno":
            continue
        selector = chart.get("values", "config", "webhooks", "namespaceSelector")
        excluded = set(selector["matchExpressions"][0]["values"])
        assert selector["matchExpressions"][0]["operator"] == "NotIn"
        assert {"kube-system", "kyverno", "cert-manager", "kratix-platform-system", "argocd",
                "flux-system"} <= excluded
        assert not {n for _, n in _team_namespaces(registry)} & excluded
    for policy in _policies(registry):
        expression = policy.get("spec", "matchConstraints", "namespaceSelector",
                                "matchExpressions")[0]
        assert expression["operator"] == "NotIn" and "kube-system" in expression["values"]


def test_dev_kyverno_cannot_lock_the_cluster_and_keeps_no_admission_reports(dev):
    values = dev.named("security-platform-kyverno").get("values")
    assert values["features"]["forceFailurePolicyIgnore"] == {"enabled": True}
    assert values["features"]["admissionReports"] == {"enabled": False}
    assert values["admissionController"]["replicas"] == 1
    assert values["admissionController"]["container"]["resources"] == \
        SECURITY_SIZES["dev"].kyverno_controller.resources()


def test_prod_kyverno_fails_closed_only_with_high_availability(prod):
    values = prod.named("security-prod-eu-west-1-kyverno").get("values")
    assert values["features"]["forceFailurePolicyIgnore"] == {"enabled": False}
    assert values["features"]["excludeBootstrapResources"] == {"enabled": True}
    assert values["admissionController"]["replicas"] == 3
    assert values["admissionController"]["podDisruptionBudget"] == {"enabled": True}
    assert values["webhooksCleanup"] == {"enabled": True}


def test_dev_policies_audit_and_prod_policies_deny(dev, prod):
    dev_policies = {r.get("metadata", "name"): r.get("spec", "validationActions")
                    for r in _policies(dev)}
    assert dev_policies == {name: ["Audit"] for name in (
        "require-cost-labels", "require-requests-limits", "disallow-latest-tag",
        "allowed-registries", "disallow-privileged-and-host-namespaces")}
    prod_policies = _policies(prod)
    assert len(prod_policies) == 4 * 6
    for policy in prod_policies:
        assert policy.get("spec", "validationActions") == ["Deny"], policy.name


def test_policies_use_the_cel_kinds_on_pods(prod):
    for policy in _policies(prod):
        assert policy.type.startswith("kubernetes:policies.kyverno.io/v1alpha1:")
        rule = policy.get("spec", "matchConstraints", "resourceRules")[0]
        assert rule["resources"] == ["pods"] and rule["operations"] == ["CREATE", "UPDATE"]
        assert policy.get("spec", "validations")[0]["expression"]


def test_required_labels_are_the_cost_label_vocabulary(dev):
    policy = dev.named("security-platform-require-cost-labels")
    expression = policy.get("spec", "validations")[0]["expression"]
    for label in ("team", "owner", "department", "product", "env"):
        assert f'"{label}"' in expression


def test_allowed_registries_come_from_config(prod):
    policy = prod.named("security-prod-eu-west-1-allowed-registries")
    expression = policy.get("spec", "validations")[0]["expression"]
    assert '"registry.example.com/"' in expression and '"quay.io/"' in expression


def test_prod_verifies_signatures_keyless_for_the_configured_registries(prod):
    policy = prod.named("security-prod-eu-west-1-verify-image-signatures")
    spec = policy.get("spec")
    assert spec["matchImageReferences"] == [{"glob": "registry.example.com/*"}]
    # The configured subject `https://github.com/acme/*` is a pattern: cosign compares
    # `subject` exactly, so it goes out as an anchored regular expression.
    assert spec["attestors"] == [{"name": "cosign", "cosign": {"keyless": {"identities": [
        {"issuer": "https://token.actions.githubusercontent.com",
         "subjectRegExp": r"^https://github\.com/acme/.*$"}]}}}]
    assert "verifyImageSignatures" in spec["validations"][0]["expression"]


@pytest.mark.parametrize("subject, matches, refuses", [
    ("https://github.com/acme/*",
     "https://github.com/acme/ledger/.github/workflows/image.yaml@refs/heads/main",
     "https://github.com/acmex/ledger/.github/workflows/image.yaml@refs/heads/main"),
    ("https://github.com/acme/*/.github/workflows/image.yaml@refs/heads/main",
     "https://github.com/acme/ledger/.github/workflows/image.yaml@refs/heads/main",
     "https://github.com/acme/ledger/.github/workflows/image.yaml@refs/heads/fork"),
])
def test_a_keyless_subject_pattern_matches_what_it_says_and_no_more(subject, matches, refuses):
    from components.security.component import keyless_identity

    identity = keyless_identity("https://token.actions.githubusercontent.com", subject)
    assert "subject" not in identity
    assert re.fullmatch(identity["subjectRegExp"], matches)
    assert not re.fullmatch(identity["subjectRegExp"], refuses)


def test_an_exact_keyless_subject_stays_exact():
    from components.security.component import keyless_identity

    exact = "https://github.com/acme/ledger/.github/workflows/image.yaml@refs/heads/main"
    assert keyless_identity("issuer", exact) == {"issuer": "issuer", "subject": exact}


PUBLIC_KEY = "-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----\n"


def test_signatures_can_be_verified_with_a_public_key():
    config = stack_config("dev", lambda c: c["security"].update(imageSignatures={
        "registries": ["registry.example.com"], "publicKey": PUBLIC_KEY}))
    registry = run_program(config, "dev")
    spec = registry.named("security-platform-verify-image-signatures").get("spec")
    assert spec["attestors"][0]["cosign"] == {"key": {"data": PUBLIC_KEY}}
    assert spec["validationActions"] == ["Audit"]


def test_security_is_off_unless_enabled():
    registry = run_program(stack_config("dev", lambda c: c.pop("security")), "dev")
    assert not registry.of_type("idp:platform:SecurityBaseline")
    assert "security" not in registry.outputs


# -- networking -----------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_team_namespace_has_its_default_deny_policy(stack, request):
    registry = request.getfixturevalue(stack)
    policies = _namespaced(registry, "NetworkPolicy")
    for key, namespace in _team_namespaces(registry).items():
        by_name = {p.get("metadata", "name"): p for p in policies.get(key, [])}
        deny = by_name["default-deny"].get("spec")
        assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}, key
        assert namespace.urn in by_name["default-deny"].dependencies
        assert set(by_name) == {"default-deny", "allow-dns", "allow-same-namespace",
                                "allow-monitoring-and-ingress"}


def test_allow_policies_open_only_dns_the_namespace_and_monitoring_and_ingress(dev):
    policies = {p.get("metadata", "name"): p.get("spec")
                for p in dev.kind("NetworkPolicy")
                if p.get("metadata", "namespace") == "payments-dev"}
    dns = policies["allow-dns"]
    assert dns["policyTypes"] == ["Egress"]
    assert dns["egress"] == [{
        "to": [{"namespaceSelector": {"matchLabels": {
                    "kubernetes.io/metadata.name": "kube-system"}},
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}]
    same = policies["allow-same-namespace"]
    assert same["ingress"] == [{"from": [{"podSelector": {}}]}]
    assert same["egress"] == [{"to": [{"podSelector": {}}]}]
    peers = policies["allow-monitoring-and-ingress"]["ingress"][0]["from"]
    assert [p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
            for p in peers] == ["monitoring", "ingress-nginx"]
    # Instrumented services reach the collector agent in monitoring, on OTLP ports only.
    assert policies["allow-monitoring-and-ingress"]["egress"] == [{
        "to": [{"namespaceSelector": {"matchLabels": {
            "kubernetes.io/metadata.name": "monitoring"}}}],
        "ports": [{"protocol": "TCP", "port": 4317}, {"protocol": "TCP", "port": 4318}]}]


# -- quotas and RBAC ------------------------------------------------------------------------------


def test_quota_and_limits_follow_team_size(dev):
    quotas = {r.get("metadata", "namespace"): r.get("spec", "hard")
              for r in dev.kind("ResourceQuota")}
    assert quotas["payments-dev"] == TEAM_QUOTAS["medium"].hard()
    assert quotas["search-dev"] == TEAM_QUOTAS["small"].hard()
    limits = {r.get("metadata", "namespace"): r.get("spec", "limits")
              for r in dev.kind("LimitRange")}
    assert limits["search-dev"][0]["type"] == "Container"
    assert limits["search-dev"][0]["default"] == {"cpu": "500m", "memory": "256Mi"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_team_binding_reaches_another_teams_namespace(stack, request):
    registry = request.getfixturevalue(stack)
    namespaces = _team_namespaces(registry)
    teams = PROD_TEAMS if stack == "prod" else DEV_TEAMS
    bindings = registry.kind("RoleBinding")
    assert len(bindings) == len(namespaces)
    for binding in bindings:
        namespace = binding.get("metadata", "namespace")
        owner = namespaces[(binding.provider_name, namespace)].get(
            "metadata", "labels", naming.TEAM_LABEL)
        subjects = binding.get("subjects")
        assert subjects == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group",
                             "name": f"{owner}-developers"}], binding.name
        others = {f"{team}-developers" for team in teams if team != owner}
        assert not {s["name"] for s in subjects} & others


def test_team_role_narrows_from_dev_to_prod(dev, prod):
    assert {b.get("roleRef", "name") for b in dev.kind("RoleBinding")} == {"admin"}
    by_env = {}
    for binding in prod.kind("RoleBinding"):
        env = binding.get("metadata", "labels", "env")
        by_env.setdefault(env, set()).add(binding.get("roleRef", "name"))
    assert by_env == {"staging": {"edit"}, "prod": {"view"}}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_platform_admins_are_bound_cluster_wide_and_no_role_uses_wildcards(stack, request):
    registry = request.getfixturevalue(stack)
    bindings = [b for b in registry.kind("ClusterRoleBinding")
                if b.parent_type == "idp:platform:SecurityBaseline"]
    assert len(bindings) == len(registry.of_type("pulumi:providers:kubernetes"))
    for binding in bindings:
        assert binding.get("subjects") == [{"apiGroup": "rbac.authorization.k8s.io",
                                            "kind": "Group", "name": "platform-admins"}]
    for kind in ("Role", "ClusterRole"):
        for role in registry.kind(kind):
            for rule in role.get("rules") or []:
                assert "*" not in rule.get("verbs", []) and "*" not in rule.get("resources", [])


def test_outputs_name_the_enforcement_and_team_namespaces(prod):
    security = prod.outputs["security"]
    assert security["platform"] == {"enforce": True, "teamNamespaces": []}
    assert "payments-staging" in security["staging-eu-west-1"]["teamNamespaces"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_namespace_the_program_creates_declares_its_pod_security_class(stack, request):
    registry = request.getfixturevalue(stack)
    for namespace in registry.kind("Namespace"):
        labels = namespace.get("metadata", "labels")
        team = naming.TEAM_LABEL in labels
        # Observability's node agents and node-exporter need host access.
        monitoring = labels.get("kubernetes.io/metadata.name", namespace.get("metadata", "name")) \
            == naming.OBSERVABILITY_NAMESPACE
        level = "restricted" if team else "privileged" if monitoring else "baseline"
        expected = naming.pod_security_labels(level)
        assert expected.items() <= labels.items(), namespace.name
