"""One way to declare a policy: name, description, severity, remediation and default level.

Every policy states how to fix what it reports, and its enforcement level can be changed per
stack through policy config (`policies/<pack>/config/<stack>.json`). A policy's own settings
are declared once, with their defaults, in its config schema.
"""

from __future__ import annotations

from typing import Any, Callable, NotRequired, TypedDict, Unpack

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

ResourceCheck = Callable[[ResourceValidationArgs, ReportViolation], None]
StackCheck = Callable[[StackValidationArgs, ReportViolation], None]


class Declared(TypedDict):
    """What every policy declares besides its name, description and check."""

    severity: Severity
    remediation: str
    level: NotRequired[EnforcementLevel]
    """Default MANDATORY; a stack's pack config may change it."""
    config_schema: NotRequired[PolicyConfigSchema | None]


def _declared(declared: Declared) -> dict[str, Any]:
    """`Declared` as the keyword arguments of pulumi_policy's policy classes."""
    return {
        "enforcement_level": declared.get("level", EnforcementLevel.MANDATORY),
        "severity": declared["severity"],
        "remediation_steps": declared["remediation"],
        "config_schema": declared.get("config_schema"),
    }


def resource_policy(
    name: str, description: str, *, validate: ResourceCheck, **declared: Unpack[Declared]
) -> ResourceValidationPolicy:
    return ResourceValidationPolicy(
        name=name, description=description, validate=validate, **_declared(declared)
    )


def stack_policy(
    name: str, description: str, *, validate: StackCheck, **declared: Unpack[Declared]
) -> StackValidationPolicy:
    return StackValidationPolicy(
        name=name, description=description, validate=validate, **_declared(declared)
    )


def setting(
    args: ResourceValidationArgs | StackValidationArgs, schema: PolicyConfigSchema, name: str
) -> Any:
    """A policy config value, or the default its schema declares (a pack config that gives only
    the enforcement level passes no values)."""
    return args.get_config().get(name, schema.properties[name]["default"])
