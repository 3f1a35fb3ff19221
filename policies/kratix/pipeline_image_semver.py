"""Pipeline images tagged latest or not by version make promises unreproducible (seed table)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from policies.lib import images, kube, promises
from policies.lib.metadata import resource_policy


def pipeline_containers(props):
    """(pipeline, container) for every container of every workflow of a Promise."""
    for pipeline_name, pipeline in promises.pipelines(props):
        for container in kube.items(pipeline, "spec", "containers"):
            yield pipeline_name, container


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != promises.PROMISE:
        return
    for pipeline, container in pipeline_containers(args.props):
        image = kube.dig(container, "image")
        if not isinstance(image, str):
            continue
        problem = images.semver_problem(image)
        if problem:
            report_violation(f"pipeline {pipeline} container "
                             f"'{kube.dig(container, 'name')}' image {image} {problem}")


POLICY = resource_policy(
    "kratix-pipeline-image-semver",
    "Promise pipeline images must be pinned to a semantic version tag or a digest.",
    severity=Severity.HIGH,
    remediation="Tag each pipeline image with a semantic version (v1.2.3) when it is built and "
                "reference that tag (or its digest) in the Promise.",
    validate=validate)
