"""Pipeline images tagged latest or not by version make promises unreproducible (seed table)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from policies.lib import images, kube, promises
from policies.lib.metadata import resource_policy


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != promises.PROMISE:
        return
    for pipeline_name, pipeline in promises.pipelines(args.props):
        containers = kube.items(pipeline, "spec", "containers")
        for problem in images.container_problems(containers, images.semver_problem):
            report_violation(f"pipeline {pipeline_name} {problem}")


POLICY = resource_policy(
    "kratix-pipeline-image-semver",
    "Promise pipeline images must be pinned to a semantic version tag or a digest.",
    severity=Severity.HIGH,
    remediation="Tag each pipeline image with a semantic version (v1.2.3) when it is built and "
    "reference that tag (or its digest) in the Promise.",
    validate=validate,
)
