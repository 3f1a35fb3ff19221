"""Namespaces and workloads without cost-allocation labels cannot be charged to anyone."""

from __future__ import annotations

from pulumi_policy import PolicyConfigSchema, ReportViolation, ResourceValidationArgs, Severity

from components.naming import PART_OF, PART_OF_LABEL
from policies.lib import kube
from policies.lib.metadata import resource_policy, setting

LABELLED_KINDS = ("Namespace",) + kube.WORKLOAD_KINDS

CONFIG = PolicyConfigSchema(
    properties={
        "requiredLabels": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["team", "owner", "department", "product", "env"],
            "description": "labels every Namespace and workload must carry",
        }
    }
)


def platform_owned(args: ResourceValidationArgs) -> bool:
    """The platform's own objects are shared cost, not a team's; exempting them keeps the
    shipped stacks, which hold nothing else yet, clean. Ours carry naming.standard_labels; what
    a chart installed by a platform component renders (cert-manager, Kratix) carries the chart's
    labels instead, so it is known by its place under that component."""
    if kube.lookup(args.props, "metadata", "labels", PART_OF_LABEL) == PART_OF:
        return True
    parents = kube.parent_types(args.urn)
    return any(t.startswith("idp:") for t in parents) and any(
        t.startswith("kubernetes:helm.sh/") for t in parents
    )


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    kind = kube.kind_of(args.resource_type)
    if kind not in LABELLED_KINDS or platform_owned(args):
        return
    labels = kube.lookup(args.props, "metadata", "labels")
    if labels is kube.UNKNOWN:
        return
    missing = [
        key
        for key in setting(args, CONFIG, "requiredLabels")
        if kube.lookup(labels, key) in (None, "")
    ]
    if missing:
        report_violation(
            f"{kind} '{kube.name_of(args.props, args.name)}' has no cost "
            f"allocation label {', '.join(missing)}"
        )


POLICY = resource_policy(
    "platform-cost-labels",
    "Namespaces and workloads carry the cost-allocation labels in requiredLabels (default team, "
    "owner, department, product, env) on metadata.labels; the platform's own objects "
    f"({PART_OF_LABEL}: {PART_OF}, or rendered by a chart a platform component installs) are "
    "exempt.",
    severity=Severity.MEDIUM,
    remediation="Add the missing labels to metadata.labels (team, owner, department, product, "
    "env), or set requiredLabels in the stack's policy config.",
    validate=validate,
    config_schema=CONFIG,
)
