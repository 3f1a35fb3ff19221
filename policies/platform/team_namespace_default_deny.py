"""A team namespace without a default-deny NetworkPolicy lets every pod talk to everything."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, Severity, StackValidationArgs

from components.naming import TEAM_LABEL
from policies.lib import kube
from policies.lib.metadata import stack_policy

NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def cluster_of(resource: PolicyResource) -> str:
    """Each cluster has its own provider: a policy protects a namespace only on its cluster."""
    return resource.provider.urn if resource.provider is not None else ""


def denies_all_traffic(props: Mapping[str, Any]) -> bool | None:
    """Whether a NetworkPolicy selects every pod of its namespace, for ingress and egress, and
    lets nothing through; None while that is not known."""
    selector = kube.lookup(props, "spec", "podSelector")
    selector_parts = (
        [kube.lookup(selector, key) for key in selector] if isinstance(selector, Mapping) else []
    )
    policy_types = kube.known_list(props, "spec", "policyTypes")
    allowed = [kube.lookup(props, "spec", direction) for direction in ("ingress", "egress")]
    if any(v is kube.UNKNOWN for v in [selector, policy_types, *selector_parts, *allowed]):
        return None
    return (
        all(kube.is_empty(part) for part in selector_parts)  # {} selects every pod
        and {"Ingress", "Egress"} <= set(policy_types or ())
        and all(kube.is_empty(rules) for rules in allowed)
    )


def covered_namespaces(resources: list[PolicyResource]) -> set[tuple[str, Any]]:
    """(cluster, namespace) pairs a default-deny policy covers; the namespace is UNKNOWN for a
    policy whose namespace is not known yet."""
    covered = set()
    for resource in resources:
        if resource.resource_type != NETWORK_POLICY:
            continue
        # A policy not fully known yet gets the benefit of the doubt.
        if denies_all_traffic(resource.props) is not False:
            namespace = kube.lookup(resource.props, "metadata", "namespace") or "default"
            covered.add((cluster_of(resource), namespace))
    return covered


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    covered = covered_namespaces(args.resources)
    for resource in args.resources:
        if resource.resource_type != NAMESPACE:
            continue
        team = kube.lookup(resource.props, "metadata", "labels", TEAM_LABEL)
        name = kube.lookup(resource.props, "metadata", "name")
        if team in (None, "", kube.UNKNOWN) or name in (None, "", kube.UNKNOWN):
            continue
        cluster = cluster_of(resource)
        if (cluster, name) in covered or (cluster, kube.UNKNOWN) in covered:
            continue
        report_violation(
            f"team namespace '{name}' (team {team}) has no default-deny NetworkPolicy", resource.urn
        )


POLICY = stack_policy(
    "platform-team-namespace-default-deny",
    f"Every Namespace labelled {TEAM_LABEL} has, in the same stack and cluster, a "
    "default-deny NetworkPolicy: empty podSelector, policyTypes Ingress and Egress, no rules.",
    severity=Severity.HIGH,
    remediation="Add a NetworkPolicy to the team namespace with podSelector: {}, policyTypes: "
    "[Ingress, Egress] and no ingress or egress rules, then allow the traffic the "
    "team needs with further policies.",
    validate=validate,
)
