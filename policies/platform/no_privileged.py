"""Privileged containers and pods sharing the node's namespaces can take over the node."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from policies.lib import kube
from policies.lib.metadata import resource_policy

CONTAINER_FLAGS = ("privileged", "allowPrivilegeEscalation")
POD_FLAGS = ("hostNetwork", "hostPID", "hostIPC")


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    kind = kube.kind_of(args.resource_type)
    workload = f"{kind} '{kube.name_of(args.props, args.name)}'"
    pod = kube.pod_spec(kind, args.props)
    for flag in POD_FLAGS:
        if kube.dig(pod, flag) is True:
            report_violation(f"{workload} sets {flag}: true")
    for container in kube.containers(kind, args.props):
        for flag in CONTAINER_FLAGS:
            if kube.dig(container, "securityContext", flag) is True:
                report_violation(
                    f"{workload} container '{kube.dig(container, 'name')}' sets "
                    f"securityContext.{flag}: true"
                )


POLICY = resource_policy(
    "platform-no-privileged",
    "No privileged containers, no privilege escalation, and no pods on the host's network, "
    "PID or IPC namespace.",
    severity=Severity.CRITICAL,
    remediation="Drop privileged and set allowPrivilegeEscalation: false in each container's "
    "securityContext; remove hostNetwork, hostPID and hostIPC from the pod spec "
    "(node agents that truly need them belong to the platform, reviewed one by one).",
    validate=validate,
)
