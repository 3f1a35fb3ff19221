"""A pipeline of many containers is business logic creeping into the Promise (seed
anti-pattern "Pipeline에 비즈니스 로직 과다": keep pipelines to generating manifests)."""

from __future__ import annotations

from pulumi_policy import PolicyConfigSchema, ReportViolation, ResourceValidationArgs, Severity

from policies.lib import kube, promises
from policies.lib.metadata import resource_policy, setting

CONFIG = PolicyConfigSchema(
    properties={
        "maxContainers": {
            "type": "integer",
            "minimum": 1,
            "default": 3,
            "description": "most containers one Promise pipeline may run",
        }
    }
)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != promises.PROMISE:
        return
    max_containers = int(setting(args, CONFIG, "maxContainers"))
    for pipeline_name, pipeline in promises.pipelines(args.props):
        containers = kube.dig(pipeline, "spec", "containers")
        if kube.is_list(containers) and len(containers) > max_containers:
            report_violation(
                f"Promise '{kube.name_of(args.props, args.name)}' pipeline "
                f"{pipeline_name} runs {len(containers)} containers "
                f"(at most {max_containers})"
            )


POLICY = resource_policy(
    "kratix-pipeline-containers",
    "A Promise pipeline runs at most maxContainers (default 3) containers.",
    severity=Severity.LOW,
    remediation="Keep pipelines to generating manifests: move business logic into the "
    "services the Promise deploys, and merge steps that belong together.",
    validate=validate,
    config_schema=CONFIG,
)
