"""The observability layer's share of each size profile (`SIZES[profile]`): what each of its
pieces requests, how many run, and their storage.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

from components.profiles import Footprint, per_profile


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
        return [
            self.prometheus,
            self.alertmanager,
            self.prometheus_operator,
            self.kube_state_metrics,
            self.grafana,
            self.grafana_sidecar,
            self.grafana_sidecar,
            self.loki,
            self.tempo,
            self.otel_operator,
            self.collector_agent,
            self.collector_gateway,
        ]


SIZES: Mapping[str, ObservabilityFootprint] = per_profile(
    # All together 380m CPU and 824Mi requested: the layer's share of the one dev node.
    dev=ObservabilityFootprint(
        prometheus=Footprint(1, "100m", "192Mi", "1", "512Mi"),
        prometheus_retention="2d",
        prometheus_storage="",
        alertmanager=Footprint(1, "10m", "24Mi", "100m", "64Mi"),
        prometheus_operator=Footprint(1, "20m", "48Mi", "200m", "128Mi"),
        kube_state_metrics=Footprint(1, "10m", "32Mi", "100m", "128Mi"),
        grafana=Footprint(1, "50m", "96Mi", "500m", "256Mi"),
        grafana_sidecar=Footprint(1, "10m", "24Mi", "100m", "64Mi"),
        loki=Footprint(1, "50m", "112Mi", "500m", "384Mi"),
        loki_retention="72h",
        loki_storage="",
        tempo=Footprint(1, "30m", "80Mi", "500m", "256Mi"),
        tempo_retention="24h",
        tempo_storage="",
        otel_operator=Footprint(1, "20m", "48Mi", "200m", "128Mi"),
        collector_agent=Footprint(1, "30m", "64Mi", "250m", "192Mi"),
        collector_gateway=Footprint(1, "40m", "80Mi", "500m", "256Mi"),
        collector_cluster=Footprint(1, "20m", "48Mi", "200m", "128Mi"),
        tail_sampling_traces=5000,
    ),
    # Two Prometheus and Alertmanager replicas on separate nodes; Loki and Tempo are single
    # binaries on persistent volumes (their HA modes need object storage, Tempo 3's Kafka).
    prod=ObservabilityFootprint(
        prometheus=Footprint(2, "500m", "2Gi", "2", "4Gi"),
        prometheus_retention="15d",
        prometheus_storage="100Gi",
        alertmanager=Footprint(2, "50m", "64Mi", "250m", "128Mi"),
        prometheus_operator=Footprint(1, "100m", "128Mi", "500m", "256Mi"),
        kube_state_metrics=Footprint(1, "50m", "128Mi", "500m", "512Mi"),
        grafana=Footprint(1, "100m", "256Mi", "1", "512Mi"),
        grafana_sidecar=Footprint(1, "20m", "64Mi", "200m", "128Mi"),
        loki=Footprint(1, "500m", "1Gi", "2", "4Gi"),
        loki_retention="720h",
        loki_storage="100Gi",
        tempo=Footprint(1, "250m", "1Gi", "2", "4Gi"),
        tempo_retention="336h",
        tempo_storage="50Gi",
        otel_operator=Footprint(2, "50m", "128Mi", "500m", "256Mi"),
        collector_agent=Footprint(1, "100m", "128Mi", "500m", "512Mi"),
        collector_gateway=Footprint(2, "250m", "512Mi", "1", "1Gi"),
        collector_cluster=Footprint(1, "50m", "128Mi", "250m", "256Mi"),
        tail_sampling_traces=50000,
    ),
)
