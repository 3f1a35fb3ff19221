"""A Promise without a version label cannot be told apart from its next release."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from components.naming import PROMISE_VERSION_LABEL as VERSION_LABEL
from policies.lib import kube, promises
from policies.lib.metadata import resource_policy


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != promises.PROMISE:
        return
    version = kube.lookup(args.props, "metadata", "labels", VERSION_LABEL)
    if version in (None, ""):
        report_violation(f"Promise '{kube.name_of(args.props, args.name)}' has no "
                         f"{VERSION_LABEL} label")


POLICY = resource_policy(
    "kratix-promise-version-label",
    f"Every Promise carries a {VERSION_LABEL} label, so each release of its API and pipelines "
    "is versioned.",
    severity=Severity.LOW,
    remediation=f"Label the Promise with {VERSION_LABEL}: v1.2.3 and bump it with every change "
                "to its API, pipelines or dependencies.",
    validate=validate)
