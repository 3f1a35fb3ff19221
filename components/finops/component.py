"""CostAllocation: Kubecost on one cluster, allocating cost by the platform's one label vocabulary.

Every cluster runs Kubecost's finops-agent under its own `global.clusterId`. The platform
cluster also runs the aggregator (the query backend) and the UI. Multi-cluster, every agent
writes to one federated bucket (`idp:finops.federatedStorageSecret`) and the platform's
aggregator reads all of them: workers report to the platform cluster. A single cluster keeps its
data in the chart's local store instead.

Allocation by team, owner, department, product and env reads the labels the security baseline
requires on team namespaces and pods (naming.COST_LABELS), so what Kyverno enforces is exactly
what Kubecost groups by.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar, Mapping, Sequence

import pulumi
import pulumi_kubernetes as k8s

from components import naming
from components.charts import ResolvedChart, install_chart
from components.finops.settings import FinOps
from components.finops.sizes import SIZES
from components.naming import KUBECOST_NAMESPACE
from components.profiles import SizeProfile

# Kubecost's allocation concepts (kubecostProductConfigs.labelMappingConfigs) and the cost label
# each reads. The chart's default department label is `dept`; ours is the baseline's.
KUBECOST_LABEL_CONCEPTS: Mapping[str, str] = {
    "team_label": "team",
    "owner_label": "owner",
    "department_label": "department",
    "product_label": "product",
    "environment_label": "env",
}


@dataclasses.dataclass(frozen=True)
class CostAllocationArgs:
    provider: k8s.Provider
    """Provider of the cluster whose costs this allocates."""
    chart: ResolvedChart
    """Where the kubecost chart comes from."""
    profile: SizeProfile
    """Footprint of the agent, aggregator, UI and storage."""
    settings: FinOps
    """Federated bucket, ServiceAccount annotations, currency."""
    cluster_id: str
    """Kubecost's `global.clusterId`: the cluster's name in the stack."""
    primary: bool
    """The platform cluster: runs the aggregator and UI that every agent reports to."""
    shared_namespaces: Sequence[str]
    """Platform namespaces whose cost is shared across teams rather than charged to one."""


class CostAllocation(pulumi.ComponentResource):
    """Kubecost's agent (and, on the platform cluster, aggregator and UI) on one cluster."""

    TYPE: ClassVar[str] = "idp:platform:CostAllocation"

    cluster_id: str
    namespace: str
    primary: bool

    def __init__(
        self, name: str, args: CostAllocationArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__(self.TYPE, name, {}, opts)
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        self.cluster_id = args.cluster_id
        self.namespace = KUBECOST_NAMESPACE
        self.primary = args.primary
        self.chart = install_chart(
            naming.child_name(name, "kubecost"),
            args.chart,
            kubecost_values(args),
            namespace=KUBECOST_NAMESPACE,
            component="kubecost",
            owner=name,
            opts=child,
            namespace_resource_name=naming.child_name(name, "ns"),
        )
        self.register_outputs(
            {"clusterId": self.cluster_id, "namespace": self.namespace, "primary": self.primary}
        )


def kubecost_values(args: CostAllocationArgs) -> dict:
    """Chart values: the agent everywhere; aggregator and UI on the platform cluster only."""
    profile, settings, primary = args.profile, args.settings, args.primary
    federated = settings.federated_storage_secret or ""
    return {
        "global": {
            "clusterId": args.cluster_id,
            "federatedStorage": {"existingSecret": federated},
            # Pulumi renders the chart like a CI/CD tool: without this the chart copies the
            # live StatefulSet's claim annotations (a `lookup`), so a render after the first up
            # could differ from the one before it. Its Secret checks stay on.
            "platforms": {"cicd": {"enabled": True}},
        },
        "serviceAccount": {"annotations": dict(settings.service_account_annotations)},
        "finopsagent": {
            "enabled": True,
            "resources": SIZES[profile.name].kubecost_agent.resources(),
        },
        "aggregator": {
            "enabled": primary,
            "replicas": SIZES[profile.name].kubecost_aggregator.replicas,
            "resources": SIZES[profile.name].kubecost_aggregator.resources(),
            "aggregatorDbStorage": {
                "storageRequest": SIZES[profile.name].kubecost_aggregator_storage
            },
        },
        "frontend": {
            "enabled": primary,
            "replicas": SIZES[profile.name].kubecost_frontend.replicas,
            "resources": SIZES[profile.name].kubecost_frontend.resources(),
        },
        # Without a bucket the chart keeps agent data in its local store (single cluster).
        "localStore": {
            "enabled": not federated,
            "resources": SIZES[profile.name].kubecost_local_store.resources(),
            "persistentVolume": {"size": SIZES[profile.name].kubecost_local_store_storage},
        },
        # A hostNetwork DaemonSet the Pod Security baseline would refuse.
        "networkCosts": {"enabled": False},
        # 200m/300Mi on its own; cost history is enough for the reports this platform shows.
        "forecasting": {"enabled": False},
        # It would resize and turn down workloads behind GitOps' back.
        "clusterController": {"enabled": False},
        # Needs a cloud billing export the stack does not declare.
        "cloudCost": {"enabled": False},
        "telemetry": {"enabled": False},
        "kubecostProductConfigs": {
            "labelMappingConfigs": dict(KUBECOST_LABEL_CONCEPTS),
            "sharedNamespaces": ",".join(args.shared_namespaces),
            "currencyCode": settings.currency,
        },
    }


def allocation_query(concept_label: str, window: str = "7d") -> str:
    """The aggregator's allocation API path that totals cost per value of one cost label."""
    return f"/model/allocation?window={window}&aggregate=label:{concept_label}"
