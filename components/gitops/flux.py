"""FluxBucketAgent: Flux's source and kustomize controllers on a cluster that syncs a bucket store.

ArgoCD cannot read S3, so destinations on bucket state stores are synced by Flux (a `Bucket`
and two `Kustomization`s, see destination_sync.py). This installs only the two controllers that
needs; Flux's Helm, image and notification controllers stay off. With an IAM bucket store,
source-controller reads the bucket with the node's role.

Private to the GitOps layer: only its own modules (components/gitops/) import it.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import pulumi
import pulumi_kubernetes as k8s

from components import naming
from components.charts import ResolvedChart, install_chart
from components.gitops.sizes import FLUX_SIZES
from components.naming import FLUX_NAMESPACE
from components.profiles import SizeProfile

UNUSED_CONTROLLERS = (
    "helmController",
    "imageAutomationController",
    "imageReflectionController",
    "notificationController",
)


@dataclasses.dataclass(frozen=True)
class FluxBucketAgentArgs:
    provider: k8s.Provider
    """Provider of the cluster that syncs the bucket."""
    chart: ResolvedChart
    """Where the flux2 chart comes from (upstream or the mirror)."""
    profile: SizeProfile
    """Footprint of the controllers."""
    helm_controller: bool = False
    """Also run helm-controller: promises deliver their operators as HelmReleases."""


class FluxBucketAgent(pulumi.ComponentResource):
    """Flux's source-controller and kustomize-controller in `flux-system`."""

    TYPE: ClassVar[str] = "idp:platform:FluxBucketAgent"

    chart: k8s.helm.v4.Chart
    """The flux2 chart; Bucket and Kustomization objects depend on it (it installs the CRDs)."""

    def __init__(
        self, name: str, args: FluxBucketAgentArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__(self.TYPE, name, {}, opts)
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        self.chart = install_chart(
            naming.child_name(name, "controllers"),
            args.chart,
            flux_values(args),
            namespace=FLUX_NAMESPACE,
            component="flux",
            owner=name,
            opts=child,
            namespace_resource_name=naming.child_name(name, "ns"),
        )
        self.register_outputs({"namespace": FLUX_NAMESPACE})


def flux_values(args: FluxBucketAgentArgs) -> dict:
    footprint = FLUX_SIZES[args.profile.name].flux_controller.resources()
    values: dict = {controller: {"create": False} for controller in UNUSED_CONTROLLERS}
    if args.helm_controller:
        values["helmController"] = {"create": True, "resources": footprint}
    values["installCRDs"] = True
    values["sourceController"] = {"create": True, "resources": footprint}
    values["kustomizeController"] = {"create": True, "resources": footprint}
    return values
