"""KratixPlatform: cert-manager, then the Kratix controller, on the platform cluster."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Mapping

import pulumi
import pulumi_kubernetes as k8s

from components import naming
from components.cert_manager import cert_manager_values
from components.charts import ResolvedChart, install_chart
from components.kratix.sizes import SIZES
from components.naming import CERT_MANAGER_NAMESPACE, KRATIX_NAMESPACE
from components.profiles import SizeProfile

CONTROLLER_DEPLOYMENT = "kratix-platform-controller-manager"


@dataclasses.dataclass(frozen=True)
class KratixPlatformArgs:
    provider: k8s.Provider
    """Provider of the platform cluster."""
    cert_manager_chart: ResolvedChart
    """Where the cert-manager chart comes from (upstream or the mirror)."""
    kratix_chart: ResolvedChart
    """Where the kratix chart comes from (upstream or the mirror)."""
    profile: SizeProfile
    """Footprint of the controllers."""
    controller_image: str
    """Kratix controller image, pinned by digest because the chart version never moves."""
    service_account_annotations: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Annotations on the controller ServiceAccount (IAM role for IAM bucket auth)."""
    facts: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Platform facts to publish in the `idp-platform-facts` ConfigMap (JSON strings)."""


class KratixPlatform(pulumi.ComponentResource):
    """Kratix on the platform cluster, with cert-manager for its webhook certificates."""

    TYPE: ClassVar[str] = "idp:platform:KratixPlatform"

    namespace: str
    """Namespace the Kratix controller runs in."""
    controller: k8s.helm.v4.Chart
    """The Kratix chart; depend on it before creating Kratix objects."""
    cert_manager: k8s.helm.v4.Chart
    """cert-manager on the platform cluster; depend on it before creating Certificates."""

    def __init__(
        self, name: str, args: KratixPlatformArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__(self.TYPE, name, {}, opts)
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        profile = args.profile

        self.cert_manager = cert_manager = install_chart(
            naming.child_name(name, "cert-manager"),
            args.cert_manager_chart,
            cert_manager_values(profile),
            namespace=CERT_MANAGER_NAMESPACE,
            component="cert-manager",
            owner=name,
            opts=child,
            namespace_resource_name=naming.child_name(name, "cert-manager-ns"),
        )

        transforms = []
        if SIZES[profile.name].kratix_controller.replicas > 1:
            transforms.append(
                controller_replicas_transform(SIZES[profile.name].kratix_controller.replicas)
            )
        # The kratix chart creates its namespace itself. Its Issuer and Certificate objects need
        # cert-manager first.
        self.controller = install_chart(
            naming.child_name(name, "controller"),
            args.kratix_chart,
            kratix_values(args),
            namespace=KRATIX_NAMESPACE,
            component="kratix",
            owner=name,
            opts=child,
            depends_on=[cert_manager],
            transforms=transforms,
        )
        self.namespace = KRATIX_NAMESPACE
        k8s.core.v1.ConfigMap(
            naming.child_name(name, "facts"),
            metadata={
                "name": naming.FACTS_CONFIGMAP,
                "namespace": KRATIX_NAMESPACE,
                "labels": naming.standard_labels("platform-facts", name),
            },
            data=dict(args.facts),
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(depends_on=[self.controller])
            ),
        )
        self.register_outputs({"namespace": self.namespace})


def kratix_values(args: KratixPlatformArgs) -> dict:
    values: dict = {
        # The chart's default creates a BucketStateStore whose Secret uses the wrong key names;
        # this program creates state stores and destinations itself.
        "stateStores": [],
        "destinations": [],
        "additionalResources": [],
        "image": args.controller_image,
        "resources": SIZES[args.profile.name].kratix_controller.resources(),
    }
    if args.service_account_annotations:
        values["serviceAccount"] = {"annotations": dict(args.service_account_annotations)}
    return values


def controller_replicas_transform(replicas: int):
    """The kratix chart hard-codes one replica; leader election makes more safe for HA."""

    def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        if args.type_ != "kubernetes:apps/v1:Deployment":
            return None
        props: dict[str, Any] = dict(args.props)
        metadata = props.get("metadata") or {}
        if metadata.get("name") != CONTROLLER_DEPLOYMENT:
            return None
        props["spec"] = {**(props.get("spec") or {}), "replicas": replicas}
        return pulumi.ResourceTransformResult(props=props, opts=args.opts)

    return transform
