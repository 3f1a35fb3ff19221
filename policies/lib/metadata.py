"""One way to declare a policy: name, description, severity, remediation and default level.

Every policy states how to fix what it reports, and its enforcement level can be changed per
stack through policy config (`policies/<pack>/config/<stack>.json`). A policy's own settings
are declared once, with their defaults, in its config schema.
"""

from __future__ import annotations

from typing import Any, Callable

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


def resource_policy(name: str, description: str, *, severity: Severity, remediation: str,
                    validate: ResourceCheck,
                    level: EnforcementLevel = EnforcementLevel.MANDATORY,
                    config_schema: PolicyConfigSchema | None = None) -> ResourceValidationPolicy:
    return ResourceValidationPolicy(
        name=name, description=description, validate=validate, enforcement_level=level,
        severity=severity, remediation_steps=remediation, config_schema=config_schema)


def stack_policy(name: str, description: str, *, severity: Severity, remediation: str,
                 validate: StackCheck, level: EnforcementLevel = EnforcementLevel.MANDATORY,
                 config_schema: PolicyConfigSchema | None = None) -> StackValidationPolicy:
    return StackValidationPolicy(
        name=name, description=description, validate=validate, enforcement_level=level,
        severity=severity, remediation_steps=remediation, config_schema=config_schema)


def setting(args: ResourceValidationArgs | StackValidationArgs, schema: PolicyConfigSchema,
            name: str) -> Any:
    """A policy config value, or the default its schema declares (a pack config that gives only
    the enforcement level passes no values)."""
    return args.get_config().get(name, schema.properties[name]["default"])
