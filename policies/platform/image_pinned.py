"""Images tagged latest (or untagged) change under a running workload without a deploy."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from policies.lib import images, kube
from policies.lib.metadata import resource_policy


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    kind = kube.kind_of(args.resource_type)
    containers = kube.containers(kind, args.props)
    for problem in images.container_problems(containers, images.floating_problem):
        report_violation(f"{kind} '{kube.name_of(args.props, args.name)}' {problem}")


POLICY = resource_policy(
    "platform-image-pinned",
    "Workload images must carry a fixed tag or digest, never latest or no tag.",
    severity=Severity.HIGH,
    remediation="Set an explicit version tag (or a digest) on the image.",
    validate=validate,
)
