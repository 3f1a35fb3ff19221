"""Containers without requests and limits starve neighbours and hide their cost."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from policies.lib import kube
from policies.lib.metadata import resource_policy

REQUIRED = (("requests", "cpu"), ("requests", "memory"), ("limits", "cpu"), ("limits", "memory"))


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    kind = kube.kind_of(args.resource_type)
    for container in kube.containers(kind, args.props):
        resources = kube.dig(container, "resources")
        missing = [
            f"{group}.{name}"
            for group, name in REQUIRED
            if kube.dig(resources, group, name) in (None, "")
        ]
        if missing:
            report_violation(
                f"{kind} '{kube.name_of(args.props, args.name)}' "
                f"container '{kube.dig(container, 'name')}' has no " + ", ".join(missing)
            )


POLICY = resource_policy(
    "platform-container-resources",
    "Every container sets CPU and memory requests and limits.",
    severity=Severity.MEDIUM,
    remediation="Set resources.requests and resources.limits for cpu and memory (the size "
    "profiles in components/profiles.py hold the platform's own).",
    validate=validate,
)
