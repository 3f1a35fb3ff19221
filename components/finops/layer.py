"""The FinOps layer: how it registers, the namespaces it owns, its stack outputs and facts, and its
`LAYER` record (listed in components/topology.py).
"""

from __future__ import annotations

from components import naming
from components.config import StackConfig
from components.finops.component import (
    KUBECOST_LABEL_CONCEPTS,
    CostAllocation,
    CostAllocationArgs,
    allocation_query,
)
from components.finops.dora import DeliveryMetrics, DeliveryMetricsArgs, dora_summary
from components.finops.dora_notifications import argocd_values
from components.finops.settings import SETTINGS
from components.layer import ChartAddition, Layer, Topology
from components.naming import KUBECOST_NAMESPACE

# -- the layer: idp:finops, Kubecost on every cluster and DORA metrics where ArgoCD runs ---------

FinOpsRegistered = tuple[dict[str, CostAllocation], DeliveryMetrics | None]


def finops_layer(t: Topology) -> FinOpsRegistered:
    config = t.config
    if not SETTINGS.of(config).enabled:
        return {}, None
    shared = sorted(set(t.platform_namespaces()) | {"kube-system", naming.OBSERVABILITY_NAMESPACE})
    cost = {
        cluster.name: CostAllocation(
            f"finops-{cluster.name}",
            CostAllocationArgs(
                provider=t.providers[cluster.name],
                chart=t.chart("kubecost"),
                profile=t.profile,
                settings=SETTINGS.of(config),
                cluster_id=cluster.name,
                primary=cluster.role == "platform",
                shared_namespaces=shared,
            ),
        )
        for cluster in config.clusters
    }
    delivery = None
    if config.switched_on("gitops"):
        delivery = DeliveryMetrics(
            "dora",
            DeliveryMetricsArgs(
                provider=t.platform_provider,
                pushgateway_chart=t.chart("prometheus-pushgateway"),
                profile=t.profile,
                environments=team_environments(config),
                baseline=SETTINGS.of(config).baseline,
                monitoring_crds=t.monitoring_crds,
            ),
        )
    return cost, delivery


def team_environments(config: StackConfig) -> list[str]:
    """Environments ArgoCD deploys team services to, in the order clusters declare them: each
    cluster's is that of the first destination it syncs (as the GitOps layer labels it)."""
    environments: list[str] = []
    for cluster in config.clusters:
        hosted = [d.environment for d in config.destinations if d.cluster == cluster.name]
        if hosted and hosted[0] not in environments:
            environments.append(hosted[0])
    return environments


def argocd_addition(t: Topology) -> ChartAddition:
    """What FinOps adds to ArgoCD's chart: DORA's metrics and notifications, ServiceMonitors
    only once the observability layer's CRDs exist (and then after them)."""
    if not SETTINGS.of(t.config).enabled:
        return ChartAddition()
    values = argocd_values(
        team_environments(t.config), t.profile, service_monitors=bool(t.monitoring_crds)
    )
    return ChartAddition(values, t.monitoring_crds)


def finops_namespaces(config: StackConfig) -> set[str]:
    return {KUBECOST_NAMESPACE} if SETTINGS.of(config).enabled else set()


def finops_outputs(t: Topology, registered: FinOpsRegistered) -> dict[str, object]:
    """Where costs are allocated and how; the DORA metrics' sources and queries; the baseline."""
    cost, delivery = registered
    if not cost:
        return {}
    baseline = SETTINGS.of(t.config).baseline
    result: dict[str, object] = {
        "kubecost": {
            cluster: {
                "clusterId": layer.cluster_id,
                "role": "aggregator" if layer.primary else "agent",
            }
            for cluster, layer in cost.items()
        },
        "allocationQueries": {
            label: allocation_query(label) for label in KUBECOST_LABEL_CONCEPTS.values()
        },
        "baseline": {"date": baseline.date or "not recorded", "figures": dict(baseline.figures)},
    }
    if delivery is not None:
        result["dora"] = dora_summary(delivery.environments)
    return {"finops": result}


LAYER = Layer(
    "finops",
    finops_layer,
    finops_namespaces,
    finops_outputs,
    title="FinOps",
    components=(CostAllocation.TYPE, DeliveryMetrics.TYPE),
    settings=SETTINGS,
)
