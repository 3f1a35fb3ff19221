"""One way to declare a policy: name, description, severity, remediation and default level.

Every policy states how to fix what it reports, and its enforcement level can be changed per
stack through policy config (`policies/<pack>/config/<stack>.json`).
"""

from __future__ import annotations

from typing import Callable

from pulumi_policy import (EnforcementLevel, PolicyConfigSchema, ReportViolation,
                           ResourceValidationArgs, ResourceValidationPolicy, Severity,
                           StackValidationArgs, StackValidationPolicy)

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
