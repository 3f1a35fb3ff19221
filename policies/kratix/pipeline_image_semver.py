"""Pipeline images tagged latest or not by version make promises unreproducible (seed table)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from policies.lib import images, kube
from policies.lib.metadata import resource_policy

LIFECYCLES = ("resource", "promise")
ACTIONS = ("configure", "delete")


def pipeline_containers(props):
    """(pipeline name, container) for every container of every workflow of a Promise."""
    for lifecycle in LIFECYCLES:
        for action in ACTIONS:
            pipelines = kube.dig(props, "spec", "workflows", lifecycle, action)
            if not kube.is_list(pipelines):
                continue
            for index in range(len(pipelines)):
                name = kube.dig(pipelines, index, "metadata", "name") or f"{action}[{index}]"
                items = kube.dig(pipelines, index, "spec", "containers")
                for position in range(len(items) if kube.is_list(items) else 0):
                    container = kube.dig(items, position)
                    if container is not None:
                        yield f"{lifecycle}.{action}/{name}", container


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != "kubernetes:platform.kratix.io/v1alpha1:Promise":
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
