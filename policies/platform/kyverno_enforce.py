"""A Kyverno policy in audit mode only reports: what it guards still gets admitted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
)

from policies.lib import kube
from policies.lib.metadata import setting, stack_policy

# validationActions lists, of which "Deny" blocks.
CEL_POLICIES = {("policies.kyverno.io", "ValidatingPolicy"),
                ("policies.kyverno.io", "ImageValidatingPolicy")}
# validationFailureAction (per rule: validate.failureAction), of which "Enforce" blocks.
LEGACY_POLICIES = {("kyverno.io", "ClusterPolicy"), ("kyverno.io", "Policy")}

CONFIG = PolicyConfigSchema(properties={
    "requireEnforce": {"type": "boolean", "default": True,
                       "description": "every Kyverno validating policy must block (false: "
                                      "audit-only policies are accepted)"}})


def group_kind(resource: PolicyResource) -> tuple[str, str]:
    return kube.api_group(resource.resource_type), kube.kind_of(resource.resource_type)


def cel_policy_problem(spec: Any) -> str | None:
    actions = kube.known_list(spec, "validationActions")
    if actions is kube.UNKNOWN or (actions and "Deny" in actions):
        return None
    if not actions:
        return "no validationActions"
    return f"validationActions {', '.join(map(str, actions))} without Deny"


def legacy_policy_problem(spec: Any) -> str | None:
    """Rules decide for themselves since Kyverno 1.13; the spec-wide action (default Audit)
    holds for the rest. Policies without validate rules have nothing to enforce."""
    default = kube.lookup(spec, "validationFailureAction") or "Audit"
    rules = kube.known_list(spec, "rules")
    if kube.UNKNOWN in (default, rules):
        return None
    auditing = []
    for index, rule in enumerate(rules or ()):
        validate = kube.lookup(rule, "validate")
        if not isinstance(validate, Mapping):
            continue
        action = kube.lookup(validate, "failureAction") or default
        if action is not kube.UNKNOWN and str(action).lower() != "enforce":
            auditing.append(f"{kube.dig(rule, 'name') or index} ({action})")
    return f"rules only audit: {', '.join(auditing)}" if auditing else None


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    kyverno = [r for r in args.resources if group_kind(r) in CEL_POLICIES | LEGACY_POLICIES]
    if not kyverno:
        args.not_applicable("the stack has no Kyverno policies")
        return
    if not setting(args, CONFIG, "requireEnforce"):
        args.not_applicable("requireEnforce is false in this stack's policy config")
        return
    for resource in kyverno:
        spec = kube.lookup(resource.props, "spec")
        problem = (cel_policy_problem(spec) if group_kind(resource) in CEL_POLICIES
                   else legacy_policy_problem(spec))
        if problem:
            report_violation(f"{kube.kind_of(resource.resource_type)} "
                             f"'{kube.name_of(resource.props, resource.name)}' does not block: "
                             f"{problem}", resource.urn)


POLICY = stack_policy(
    "platform-kyverno-enforce",
    "Every Kyverno validating policy in the stack blocks what it rejects: ValidatingPolicy and "
    "ImageValidatingPolicy list Deny in validationActions, legacy ClusterPolicy and Policy "
    "enforce (validationFailureAction or each rule's failureAction). Not applicable to stacks "
    "without Kyverno policies, or with policy config requireEnforce: false.",
    severity=Severity.HIGH,
    remediation="Set validationActions: [Deny] (legacy policies: validationFailureAction: "
                "Enforce, or failureAction: Enforce on each rule) once the policy's audit "
                "reports are clean.",
    validate=validate, config_schema=CONFIG)
