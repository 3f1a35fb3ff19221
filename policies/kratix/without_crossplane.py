"""The seed's anti-pattern "Kratix without Crossplane" ("Crossplane 없이 Kratix만 사용": cloud
resources are awkward to manage; use Kratix on top of Crossplane): a stack that offers
cloud-backed Promises needs the Crossplane layer to reconcile what their pipelines emit."""

from __future__ import annotations

from pulumi_policy import ReportViolation, Severity, StackValidationArgs

from components.naming import FACTS_CONFIGMAP
from policies.kratix.adoption_fit import facts_configmap
from policies.lib import kube, promises
from policies.lib.metadata import stack_policy
from policies.lib.promises import BACKEND_LABEL

CLOUD_BACKEND = "crossplane"
FIX = (
    "turn the Crossplane layer on in this stack: `idp:crossplane.enabled: true`, "
    "`destinationSelectors` matching the destinations these Promises schedule to, a cloud "
    "provider plus kubernetes in `providers`, and credentials (`idp:crossplaneCredentials."
    "aws.*` as secret config, or `credentials: workloadIdentity` with `awsRoleArn`); or stop "
    "offering these Promises here"
)


def cloud_backed_promises(args: StackValidationArgs) -> list[str] | None:
    """Names of the Promises labelled cloud-backed; None while any Promise's labels are not
    known yet."""
    names = []
    for resource in args.resources:
        if resource.resource_type != promises.PROMISE:
            continue
        backend = kube.lookup(resource.props, "metadata", "labels", BACKEND_LABEL)
        if backend is kube.UNKNOWN:
            return None
        if backend == CLOUD_BACKEND:
            names.append(kube.name_of(resource.props, resource.name))
    return sorted(names)


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    configmap = facts_configmap(args.resources)
    if configmap is None:
        args.not_applicable(f"the stack publishes no {FACTS_CONFIGMAP} ConfigMap")
        return
    crossplane = kube.lookup(configmap.props, "data", "crossplane")
    cloud_backed = cloud_backed_promises(args)
    if crossplane is kube.UNKNOWN or cloud_backed is None:
        args.not_applicable(
            "whether Crossplane runs or which Promises are cloud-backed is not known yet"
        )
        return
    if cloud_backed and crossplane != "true":
        report_violation(
            f"Kratix without Crossplane: Promise(s) {', '.join(cloud_backed)} are cloud-backed "
            f"({BACKEND_LABEL}: {CLOUD_BACKEND}; their pipelines emit Crossplane composite "
            "resources) but the Crossplane layer is off, so every request writes a composite "
            "nothing reconciles and the cloud resources end up made by hand. Fix: " + FIX,
            configmap.urn,
        )


POLICY = stack_policy(
    "kratix-without-crossplane",
    "Kratix orchestrates, Crossplane talks to the cloud: a stack offering cloud-backed "
    f"Promises ({BACKEND_LABEL}: {CLOUD_BACKEND}) runs the Crossplane layer (the "
    f'{FACTS_CONFIGMAP} ConfigMap says crossplane: "true").',
    severity=Severity.MEDIUM,
    remediation=FIX[0].upper() + FIX[1:] + ".",
    validate=validate,
)
