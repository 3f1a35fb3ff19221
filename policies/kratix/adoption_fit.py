"""Kratix pays off only where enough of the seed's five adoption criteria hold ("도입 타이밍 판단
기준": three or more of them); below that it is over-engineering."""

from __future__ import annotations

import dataclasses
import json

from pulumi_policy import (
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
)

from components.naming import FACTS_CONFIGMAP
from policies.lib import kube, promises
from policies.lib.metadata import setting, stack_policy

CONFIGMAP = "kubernetes:core/v1:ConfigMap"
CRITERIA_NEEDED = 3
FACT_KEYS = ("teams", "environments", "portal")

CONFIG = PolicyConfigSchema(properties={
    "platformTeam": {"type": "boolean", "default": True,
                     "description": "a separate platform team exists or is being formed"},
    "portalPlanned": {"type": "boolean", "default": False,
                      "description": "a self-service portal (Backstage) is planned"}})


@dataclasses.dataclass(frozen=True)
class Criterion:
    name: str
    holds: bool
    evidence: str

    def __str__(self) -> str:
        return f"{self.name} ({self.evidence})"


def facts_configmap(resources: list[PolicyResource]) -> PolicyResource | None:
    for resource in resources:
        if resource.resource_type == CONFIGMAP and \
                kube.dig(resource.props, "metadata", "name") == FACTS_CONFIGMAP:
            return resource
    return None


def names(raw: str) -> list[str]:
    """A published list (a JSON string); anything else reads as empty."""
    try:
        value = json.loads(raw)
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def criteria(facts: dict[str, str], promise_count: int, platform_team: bool,
             portal_planned: bool) -> list[Criterion]:
    teams = names(facts["teams"])
    environments = names(facts["environments"])
    portal_runs = facts["portal"] == "true"
    return [
        Criterion("3+ application teams", len(teams) >= 3,
                  f"{len(teams)}: {', '.join(teams) or 'none'}"),
        Criterion("repeated provisioning through Promises", promise_count >= 1,
                  f"{promise_count} Promise(s) offered"),
        Criterion("a separate platform team", platform_team, "policy config platformTeam"),
        Criterion("multiple environments", len(environments) >= 2,
                  f"{len(environments)}: {', '.join(environments) or 'none'}"),
        Criterion("a self-service portal, running or planned", portal_runs or portal_planned,
                  "portal running" if portal_runs else
                  "portal planned" if portal_planned else "none running or planned"),
    ]


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    configmap = facts_configmap(args.resources)
    if configmap is None:
        args.not_applicable(f"the stack publishes no {FACTS_CONFIGMAP} ConfigMap")
        return
    facts = {key: kube.lookup(configmap.props, "data", key) for key in FACT_KEYS}
    if kube.UNKNOWN in facts.values():
        args.not_applicable(f"the {FACTS_CONFIGMAP} facts are not known yet")
        return
    promise_count = sum(1 for r in args.resources if r.resource_type == promises.PROMISE)
    found = criteria({key: value or "" for key, value in facts.items()}, promise_count,
                     bool(setting(args, CONFIG, "platformTeam")),
                     bool(setting(args, CONFIG, "portalPlanned")))
    holding = [c for c in found if c.holds]
    if len(holding) < CRITERIA_NEEDED:
        missing = [c for c in found if not c.holds]
        report_violation(
            f"only {len(holding)} of {len(found)} Kratix adoption criteria hold "
            f"({CRITERIA_NEEDED} needed). Hold: {'; '.join(map(str, holding)) or 'none'}. "
            f"Missing: {'; '.join(map(str, missing))}", configmap.urn)


POLICY = stack_policy(
    "kratix-adoption-fit",
    f"At least {CRITERIA_NEEDED} of the five Kratix adoption criteria hold: 3+ application "
    "teams, repeated provisioning (a Promise is offered), a separate platform team, multiple "
    "environments, a self-service portal running or planned. Read from the "
    f"{FACTS_CONFIGMAP} ConfigMap; not applicable without it.",
    severity=Severity.LOW,
    remediation="Reconsider Kratix for this stack (Helm and Kustomize may be enough), or grow "
                "into it: onboard more teams, offer the first Promise, add environments, plan "
                "the portal (policy config portalPlanned).",
    validate=validate, config_schema=CONFIG)
