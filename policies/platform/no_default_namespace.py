"""Workloads in the default namespace escape per-team quotas, network policies and RBAC."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from policies.lib import kube
from policies.lib.metadata import resource_policy

NAMESPACED_KINDS = (
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "Pod",
    "Service",
    "ConfigMap",
    "Secret",
)


def target_namespace(args: ResourceValidationArgs):
    """Where the object lands: its own namespace, else its provider's, else `default`
    (UNKNOWN while either is not known)."""
    namespace = kube.lookup(args.props, "metadata", "namespace")
    if namespace in (None, "") and args.provider is not None:
        namespace = kube.lookup(args.provider.props, "namespace")
    return namespace or "default"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    kind = kube.kind_of(args.resource_type)
    if kind not in NAMESPACED_KINDS:
        return
    if target_namespace(args) == "default":
        report_violation(
            f"{kind} '{kube.name_of(args.props, args.name)}' is in the default namespace"
        )


POLICY = resource_policy(
    "platform-no-default-namespace",
    "Namespaced workloads, Services, ConfigMaps and Secrets never go to the default namespace "
    "(no namespace set counts as default unless the provider sets one).",
    severity=Severity.MEDIUM,
    remediation="Set metadata.namespace to the owning team's or component's namespace.",
    validate=validate,
)
