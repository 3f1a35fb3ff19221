"""Size profiles: the footprint of every workload the platform runs, per stack profile.

`dev` fits a single small node; `prod` runs controllers highly available with headroom.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping


@dataclasses.dataclass(frozen=True)
class Footprint:
    """Replicas and container resources for one workload."""

    replicas: int
    cpu_request: str
    memory_request: str
    cpu_limit: str
    memory_limit: str

    def resources(self) -> dict:
        return {
            "requests": {"cpu": self.cpu_request, "memory": self.memory_request},
            "limits": {"cpu": self.cpu_limit, "memory": self.memory_limit},
        }


@dataclasses.dataclass(frozen=True)
class TeamQuota:
    """What one team namespace may use in total, and what a container gets when it says nothing."""

    cpu_requests: str
    memory_requests: str
    cpu_limits: str
    memory_limits: str
    pods: int
    default: Footprint

    def hard(self) -> dict[str, str]:
        return {"requests.cpu": self.cpu_requests, "requests.memory": self.memory_requests,
                "limits.cpu": self.cpu_limits, "limits.memory": self.memory_limits,
                "pods": str(self.pods)}

    def container_defaults(self) -> dict:
        resources = self.default.resources()
        return {"type": "Container", "defaultRequest": resources["requests"],
                "default": resources["limits"]}


# Team sizes (idp:teams[].size), the same in every profile: a team's quota follows its size.
_CONTAINER_DEFAULT = Footprint(1, "50m", "64Mi", "500m", "256Mi")
TEAM_QUOTAS: Mapping[str, TeamQuota] = {
    "small": TeamQuota("2", "4Gi", "4", "8Gi", 20, _CONTAINER_DEFAULT),
    "medium": TeamQuota("8", "16Gi", "16", "32Gi", 50, _CONTAINER_DEFAULT),
    "large": TeamQuota("32", "64Gi", "64", "128Gi", 150, _CONTAINER_DEFAULT),
}


@dataclasses.dataclass(frozen=True)
class ObservabilityFootprint:
    """Every observability workload; storage and retention empty/0 where nothing persists."""

    prometheus: Footprint
    prometheus_retention: str
    prometheus_storage: str
    alertmanager: Footprint
    prometheus_operator: Footprint
    kube_state_metrics: Footprint
    grafana: Footprint
    grafana_sidecar: Footprint
    loki: Footprint
    loki_retention: str
    loki_storage: str
    tempo: Footprint
    tempo_retention: str
    tempo_storage: str
    otel_operator: Footprint
    collector_agent: Footprint
    collector_gateway: Footprint
    collector_cluster: Footprint
    tail_sampling_traces: int
    """Traces the gateway holds in memory while it decides whether to keep them."""

    def dev_budget_workloads(self) -> list[Footprint]:
        """One pod of each workload on the one dev node (Grafana has two sidecars)."""
        return [self.prometheus, self.alertmanager, self.prometheus_operator,
                self.kube_state_metrics, self.grafana, self.grafana_sidecar,
                self.grafana_sidecar, self.loki, self.tempo, self.otel_operator,
                self.collector_agent, self.collector_gateway]


@dataclasses.dataclass(frozen=True)
class NodePool:
    """The nodes a profile is sized for: what each cluster of such a stack offers its pods.
    The local clusters (scripts/local-cluster) are built to it, so the scheduler proves the
    footprint fits."""

    count: int
    cpu: str
    memory: str
    pods: int = 110


@dataclasses.dataclass(frozen=True)
class SizeProfile:
    name: str
    highly_available: bool
    nodes: NodePool
    kratix_controller: Footprint
    cert_manager: Footprint
    cert_manager_webhook: Footprint
    cert_manager_cainjector: Footprint
    minio: Footprint
    minio_storage: str
    argocd_controller: Footprint
    argocd_server: Footprint
    argocd_repo_server: Footprint
    argocd_applicationset: Footprint
    argocd_redis: Footprint
    secrets_controller: Footprint
    flux_controller: Footprint
    kyverno_controller: Footprint
    kyverno_admission_replicas: int
    observability: ObservabilityFootprint
    promise_operator: Footprint
    """Each promise's operator (CloudNativePG, redis-operator) on every destination."""
    # FinOps and delivery metrics (components/finops.py, components/dora.py).
    kubecost_aggregator: Footprint
    kubecost_aggregator_storage: str
    kubecost_agent: Footprint
    kubecost_local_store: Footprint
    kubecost_local_store_storage: str
    kubecost_frontend: Footprint
    argocd_notifications: Footprint
    pushgateway: Footprint
    pushgateway_storage: str | None
    portal: Footprint
    crossplane: Footprint
    """Crossplane core (optional cloud layer), on each cluster it runs on."""
    crossplane_rbac_manager: Footprint
    crossplane_package: Footprint
    """Each provider's and function's pod (sized through a DeploymentRuntimeConfig)."""
    team_quotas: Mapping[str, TeamQuota] = dataclasses.field(default_factory=lambda: TEAM_QUOTAS)


PROFILES: Mapping[str, SizeProfile] = {
    "dev": SizeProfile(
        name="dev",
        highly_available=False,
        # One small node: everything dev runs must fit it.
        nodes=NodePool(count=1, cpu="2", memory="4Gi"),
        # The Kratix chart's own default; the controller is idle most of the time.
        kratix_controller=Footprint(1, "100m", "256Mi", "200m", "256Mi"),
        cert_manager=Footprint(1, "10m", "64Mi", "100m", "128Mi"),
        cert_manager_webhook=Footprint(1, "10m", "32Mi", "100m", "64Mi"),
        cert_manager_cainjector=Footprint(1, "10m", "64Mi", "100m", "128Mi"),
        minio=Footprint(1, "50m", "256Mi", "500m", "512Mi"),
        minio_storage="5Gi",
        argocd_controller=Footprint(1, "100m", "256Mi", "500m", "512Mi"),
        argocd_server=Footprint(1, "25m", "64Mi", "250m", "128Mi"),
        argocd_repo_server=Footprint(1, "25m", "128Mi", "500m", "256Mi"),
        argocd_applicationset=Footprint(1, "25m", "64Mi", "250m", "128Mi"),
        # A single redis: redis-ha needs three nodes.
        argocd_redis=Footprint(1, "25m", "32Mi", "100m", "64Mi"),
        secrets_controller=Footprint(1, "10m", "32Mi", "100m", "64Mi"),
        flux_controller=Footprint(1, "50m", "64Mi", "500m", "256Mi"),
        kyverno_controller=Footprint(1, "50m", "128Mi", "500m", "384Mi"),
        kyverno_admission_replicas=1,
        # All together 380m CPU and 824Mi requested: the layer's share of the one dev node.
        observability=ObservabilityFootprint(
            prometheus=Footprint(1, "100m", "192Mi", "1", "512Mi"),
            prometheus_retention="2d", prometheus_storage="",
            alertmanager=Footprint(1, "10m", "24Mi", "100m", "64Mi"),
            prometheus_operator=Footprint(1, "20m", "48Mi", "200m", "128Mi"),
            kube_state_metrics=Footprint(1, "10m", "32Mi", "100m", "128Mi"),
            grafana=Footprint(1, "50m", "96Mi", "500m", "256Mi"),
            grafana_sidecar=Footprint(1, "10m", "24Mi", "100m", "64Mi"),
            loki=Footprint(1, "50m", "112Mi", "500m", "384Mi"),
            loki_retention="72h", loki_storage="",
            tempo=Footprint(1, "30m", "80Mi", "500m", "256Mi"),
            tempo_retention="24h", tempo_storage="",
            otel_operator=Footprint(1, "20m", "48Mi", "200m", "128Mi"),
            collector_agent=Footprint(1, "30m", "64Mi", "250m", "192Mi"),
            collector_gateway=Footprint(1, "40m", "80Mi", "500m", "256Mi"),
            collector_cluster=Footprint(1, "20m", "48Mi", "200m", "128Mi"),
            tail_sampling_traces=5000),
        promise_operator=Footprint(1, "25m", "64Mi", "200m", "256Mi"),
        # Everything FinOps and DORA add fits 100m CPU / 280Mi in requests; the aggregator's
        # limit leaves it room to grow on a quiet single-node cluster.
        kubecost_aggregator=Footprint(1, "40m", "112Mi", "500m", "1Gi"),
        kubecost_aggregator_storage="2Gi",
        kubecost_agent=Footprint(1, "20m", "48Mi", "200m", "256Mi"),
        kubecost_local_store=Footprint(1, "10m", "32Mi", "100m", "128Mi"),
        kubecost_local_store_storage="2Gi",
        kubecost_frontend=Footprint(1, "10m", "32Mi", "100m", "64Mi"),
        argocd_notifications=Footprint(1, "10m", "32Mi", "100m", "64Mi"),
        # Deployment events live in memory: a restart forgets the last ones (dev only).
        pushgateway=Footprint(1, "10m", "24Mi", "100m", "64Mi"),
        pushgateway_storage=None,
        # Backstage with an in-memory SQLite catalog; the budget is 100m / 384Mi in dev.
        portal=Footprint(1, "100m", "384Mi", "1", "768Mi"),
        # The cloud layer is off in dev; if turned on, one small replica of everything.
        crossplane=Footprint(1, "50m", "128Mi", "500m", "512Mi"),
        crossplane_rbac_manager=Footprint(1, "10m", "32Mi", "100m", "128Mi"),
        crossplane_package=Footprint(1, "25m", "128Mi", "500m", "512Mi"),
    ),
    "prod": SizeProfile(
        name="prod",
        highly_available=True,
        # Three nodes per cluster, so replicas spread across nodes (anti-affinity, PDBs).
        nodes=NodePool(count=3, cpu="8", memory="32Gi"),
        # Leader election keeps one active controller; the second takes over on node loss.
        kratix_controller=Footprint(2, "250m", "512Mi", "1", "1Gi"),
        cert_manager=Footprint(2, "50m", "128Mi", "500m", "256Mi"),
        cert_manager_webhook=Footprint(3, "50m", "64Mi", "250m", "128Mi"),
        cert_manager_cainjector=Footprint(2, "50m", "128Mi", "500m", "256Mi"),
        minio=Footprint(1, "250m", "1Gi", "1", "2Gi"),
        minio_storage="50Gi",
        # One application controller: more replicas shard clusters between them.
        argocd_controller=Footprint(1, "500m", "1Gi", "2", "2Gi"),
        argocd_server=Footprint(2, "100m", "128Mi", "500m", "256Mi"),
        argocd_repo_server=Footprint(2, "100m", "256Mi", "1", "512Mi"),
        argocd_applicationset=Footprint(2, "50m", "128Mi", "500m", "256Mi"),
        argocd_redis=Footprint(3, "100m", "128Mi", "500m", "256Mi"),
        secrets_controller=Footprint(2, "50m", "64Mi", "250m", "128Mi"),
        # Flux's controllers elect a leader; one replica each, restarted on failure.
        flux_controller=Footprint(1, "100m", "128Mi", "1", "512Mi"),
        kyverno_controller=Footprint(1, "100m", "256Mi", "1", "768Mi"),
        # Three admission controllers and a PDB: webhooks fail closed in prod.
        kyverno_admission_replicas=3,
        # Two Prometheus and Alertmanager replicas on separate nodes; Loki and Tempo are single
        # binaries on persistent volumes (their HA modes need object storage, Tempo 3's Kafka).
        observability=ObservabilityFootprint(
            prometheus=Footprint(2, "500m", "2Gi", "2", "4Gi"),
            prometheus_retention="15d", prometheus_storage="100Gi",
            alertmanager=Footprint(2, "50m", "64Mi", "250m", "128Mi"),
            prometheus_operator=Footprint(1, "100m", "128Mi", "500m", "256Mi"),
            kube_state_metrics=Footprint(1, "50m", "128Mi", "500m", "512Mi"),
            grafana=Footprint(1, "100m", "256Mi", "1", "512Mi"),
            grafana_sidecar=Footprint(1, "20m", "64Mi", "200m", "128Mi"),
            loki=Footprint(1, "500m", "1Gi", "2", "4Gi"),
            loki_retention="720h", loki_storage="100Gi",
            tempo=Footprint(1, "250m", "1Gi", "2", "4Gi"),
            tempo_retention="336h", tempo_storage="50Gi",
            otel_operator=Footprint(2, "50m", "128Mi", "500m", "256Mi"),
            collector_agent=Footprint(1, "100m", "128Mi", "500m", "512Mi"),
            collector_gateway=Footprint(2, "250m", "512Mi", "1", "1Gi"),
            collector_cluster=Footprint(1, "50m", "128Mi", "250m", "256Mi"),
            tail_sampling_traces=50000),
        promise_operator=Footprint(1, "100m", "128Mi", "500m", "512Mi"),
        # Kubecost's chart default for the aggregator (ClickHouse needs memory), with a block
        # volume for its database.
        kubecost_aggregator=Footprint(1, "500m", "3Gi", "2", "6Gi"),
        kubecost_aggregator_storage="128Gi",
        kubecost_agent=Footprint(1, "100m", "256Mi", "1", "1Gi"),
        kubecost_local_store=Footprint(1, "100m", "256Mi", "500m", "512Mi"),
        kubecost_local_store_storage="32Gi",
        kubecost_frontend=Footprint(2, "50m", "64Mi", "250m", "128Mi"),
        argocd_notifications=Footprint(1, "50m", "64Mi", "250m", "128Mi"),
        # One replica with a persisted store: first-deploy timestamps are pushed only once.
        pushgateway=Footprint(1, "50m", "64Mi", "250m", "128Mi"),
        pushgateway_storage="2Gi",
        # Two stateless portal replicas on PostgreSQL, behind a PDB.
        portal=Footprint(2, "250m", "512Mi", "1", "1Gi"),
        # Core and RBAC manager elect a leader: the second replica takes over on node loss.
        # Upjet providers hold a Terraform-derived schema in memory, hence the larger limit.
        crossplane=Footprint(2, "100m", "256Mi", "1", "1Gi"),
        crossplane_rbac_manager=Footprint(2, "50m", "64Mi", "250m", "256Mi"),
        crossplane_package=Footprint(1, "100m", "256Mi", "1", "1Gi"),
    ),
}
