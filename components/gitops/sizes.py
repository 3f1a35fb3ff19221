"""The GitOps layer's share of each size profile (`SIZES[profile]`): ArgoCD's workloads and the
secrets controller.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

from components.profiles import Footprint, per_profile


@dataclasses.dataclass(frozen=True)
class GitOpsSizes:
    """This layer's share of each size profile: ArgoCD's workloads and the secrets controller."""

    argocd_controller: Footprint
    argocd_server: Footprint
    argocd_repo_server: Footprint
    argocd_applicationset: Footprint
    argocd_redis: Footprint
    secrets_controller: Footprint


SIZES: Mapping[str, GitOpsSizes] = per_profile(
    dev=GitOpsSizes(
        argocd_controller=Footprint(1, "100m", "256Mi", "500m", "512Mi"),
        argocd_server=Footprint(1, "25m", "64Mi", "250m", "128Mi"),
        argocd_repo_server=Footprint(1, "25m", "128Mi", "500m", "256Mi"),
        argocd_applicationset=Footprint(1, "25m", "64Mi", "250m", "128Mi"),
        # A single redis: redis-ha needs three nodes.
        argocd_redis=Footprint(1, "25m", "32Mi", "100m", "64Mi"),
        secrets_controller=Footprint(1, "10m", "32Mi", "100m", "64Mi"),
    ),
    prod=GitOpsSizes(
        # One application controller: more replicas shard clusters between them.
        argocd_controller=Footprint(1, "500m", "1Gi", "2", "2Gi"),
        argocd_server=Footprint(2, "100m", "128Mi", "500m", "256Mi"),
        argocd_repo_server=Footprint(2, "100m", "256Mi", "1", "512Mi"),
        argocd_applicationset=Footprint(2, "50m", "128Mi", "500m", "256Mi"),
        argocd_redis=Footprint(3, "100m", "128Mi", "500m", "256Mi"),
        secrets_controller=Footprint(2, "50m", "64Mi", "250m", "128Mi"),
    ),
)


@dataclasses.dataclass(frozen=True)
class FluxSizes:
    """This layer's share of each size profile: Flux's controllers."""

    flux_controller: Footprint


FLUX_SIZES: Mapping[str, FluxSizes] = per_profile(
    dev=FluxSizes(
        flux_controller=Footprint(1, "50m", "64Mi", "500m", "256Mi"),
    ),
    prod=FluxSizes(
        # Flux's controllers elect a leader; one replica each, restarted on failure.
        flux_controller=Footprint(1, "100m", "128Mi", "1", "512Mi"),
    ),
)
