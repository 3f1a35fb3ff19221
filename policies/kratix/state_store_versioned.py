"""A bucket state store without versioning loses state for good (seed anti-pattern table)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from components.naming import KRATIX_API, VERSIONING_ANNOTATION, kubernetes_type
from policies.lib import kube
from policies.lib.metadata import resource_policy


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != kubernetes_type(KRATIX_API, "BucketStateStore"):
        return
    value = kube.dig(kube.annotations(args.props), VERSIONING_ANNOTATION)
    if value != "enabled":
        name = kube.name_of(args.props, args.name)
        report_violation(f"BucketStateStore '{name}' has no versioned bucket "
                         f"({VERSIONING_ANNOTATION}: {value or 'missing'}); an overwritten or "
                         "deleted document cannot be recovered")


POLICY = resource_policy(
    "kratix-state-store-versioned",
    "Bucket state stores must have object versioning (or use a git state store).",
    severity=Severity.HIGH,
    remediation="Enable object versioning on the bucket and set versioning: true on the "
                "state store in the stack config, or use a git state store.",
    validate=validate)
