"""The FinOps layer's share of each size profile (`SIZES[profile]`): what each of its pieces
requests and how many run.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

from components.profiles import Footprint, per_profile


@dataclasses.dataclass(frozen=True)
class FinOpsSizes:
    """This layer's share of each size profile: Kubecost's workloads and volumes."""

    kubecost_aggregator: Footprint
    kubecost_aggregator_storage: str
    kubecost_agent: Footprint
    kubecost_local_store: Footprint
    kubecost_local_store_storage: str
    kubecost_frontend: Footprint


SIZES: Mapping[str, FinOpsSizes] = per_profile(
    dev=FinOpsSizes(
        # Everything FinOps and DORA add fits 100m CPU / 280Mi in requests; the aggregator's
        # limit leaves it room to grow on a quiet single-node cluster.
        kubecost_aggregator=Footprint(1, "40m", "112Mi", "500m", "1Gi"),
        kubecost_aggregator_storage="2Gi",
        kubecost_agent=Footprint(1, "20m", "48Mi", "200m", "256Mi"),
        kubecost_local_store=Footprint(1, "10m", "32Mi", "100m", "128Mi"),
        kubecost_local_store_storage="2Gi",
        kubecost_frontend=Footprint(1, "10m", "32Mi", "100m", "64Mi"),
    ),
    prod=FinOpsSizes(
        # Kubecost's chart default for the aggregator (ClickHouse needs memory), with a block
        # volume for its database.
        kubecost_aggregator=Footprint(1, "500m", "3Gi", "2", "6Gi"),
        kubecost_aggregator_storage="128Gi",
        kubecost_agent=Footprint(1, "100m", "256Mi", "1", "1Gi"),
        kubecost_local_store=Footprint(1, "100m", "256Mi", "500m", "512Mi"),
        kubecost_local_store_storage="32Gi",
        kubecost_frontend=Footprint(2, "50m", "64Mi", "250m", "128Mi"),
    ),
)


@dataclasses.dataclass(frozen=True)
class DeliveryMetricsSizes:
    """This layer's share of each size profile: ArgoCD's notifications controller and the Pushgateway."""

    argocd_notifications: Footprint
    pushgateway: Footprint
    pushgateway_storage: str | None


DELIVERY_SIZES: Mapping[str, DeliveryMetricsSizes] = per_profile(
    dev=DeliveryMetricsSizes(
        argocd_notifications=Footprint(1, "10m", "32Mi", "100m", "64Mi"),
        # Deployment events live in memory: a restart forgets the last ones (dev only).
        pushgateway=Footprint(1, "10m", "24Mi", "100m", "64Mi"),
        pushgateway_storage=None,
    ),
    prod=DeliveryMetricsSizes(
        argocd_notifications=Footprint(1, "50m", "64Mi", "250m", "128Mi"),
        # One replica with a persisted store: first-deploy timestamps are pushed only once.
        pushgateway=Footprint(1, "50m", "64Mi", "250m", "128Mi"),
        pushgateway_storage="2Gi",
    ),
)
