"""Automated pruning in prod deletes live objects the moment they leave git, at any hour."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from components.naming import ENVIRONMENT_LABEL, SYNC_WINDOW_ANNOTATION
from policies.lib import argocd, kube
from policies.lib.metadata import resource_policy

PROD = "prod"


def prunes_automatically(app: Mapping[str, Any]) -> bool:
    automated = kube.lookup(app, "spec", "syncPolicy", "automated")
    # ArgoCD 3 can keep the block but switch automation off with enabled: false.
    return (
        kube.lookup(automated, "prune") is True and kube.lookup(automated, "enabled") is not False
    )


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    app = argocd.application(args.resource_type, args.props)
    if app is None or kube.lookup(app, "metadata", "labels", ENVIRONMENT_LABEL) != PROD:
        return
    if not prunes_automatically(app):
        return
    if kube.lookup(app, "metadata", "annotations", SYNC_WINDOW_ANNOTATION) in (
        "true",
        kube.UNKNOWN,
    ):
        return
    report_violation(
        f"{argocd.describe(args.resource_type, args.props, args.name)} "
        f"({ENVIRONMENT_LABEL}: {PROD}) prunes automatically outside sync windows"
    )


POLICY = resource_policy(
    "platform-argocd-prod-prune",
    f"ArgoCD Applications (and ApplicationSet templates) labelled {ENVIRONMENT_LABEL}: {PROD} "
    "do not prune automatically (syncPolicy.automated.prune), unless annotated "
    f'{SYNC_WINDOW_ANNOTATION}: "true", meaning their AppProject lets them sync only inside '
    "sync windows.",
    severity=Severity.MEDIUM,
    remediation="Turn off syncPolicy.automated.prune and prune by hand after review, or restrict "
    "the Application's AppProject to sync windows and annotate it "
    f'{SYNC_WINDOW_ANNOTATION}: "true".',
    validate=validate,
)
