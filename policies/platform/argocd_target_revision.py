"""An ArgoCD source that follows a moving revision deploys whatever was pushed last."""

from __future__ import annotations

from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from policies.lib import argocd, kube
from policies.lib.metadata import resource_policy


def revision_problem(revision: Any) -> str | None:
    """Why a targetRevision follows whatever comes next, or None (also while unknown)."""
    if revision is kube.UNKNOWN:
        return None
    if revision in (None, ""):
        return "has no targetRevision (it follows HEAD)"
    if revision == "HEAD":
        return "targets HEAD"
    if isinstance(revision, str) and "*" in revision:
        return f"targets the range {revision}"
    return None


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    app = argocd.application(args.resource_type, args.props)
    if app is None:
        return
    for field, source in argocd.sources(app):
        problem = revision_problem(kube.lookup(source, "targetRevision"))
        if problem:
            report_violation(
                f"{argocd.describe(args.resource_type, args.props, args.name)} {field} {problem}"
            )


POLICY = resource_policy(
    "platform-argocd-target-revision",
    "ArgoCD Applications and ApplicationSet templates pin every source's targetRevision: not "
    "missing, empty, HEAD, or a range containing *.",
    severity=Severity.HIGH,
    remediation="Set targetRevision to a tag, a commit SHA or an exact chart version, and "
    "promote a change by moving it.",
    validate=validate,
)
