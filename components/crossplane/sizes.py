"""The Crossplane layer's share of each size profile (`SIZES[profile]`): what each of its pieces
requests and how many run.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

from components.profiles import Footprint, per_profile


@dataclasses.dataclass(frozen=True)
class CrossplaneSizes:
    """This layer's share of each size profile: Crossplane core, its RBAC manager and each package's pod."""

    crossplane: Footprint
    """Crossplane core (optional cloud layer), on each cluster it runs on."""
    crossplane_rbac_manager: Footprint
    crossplane_package: Footprint
    """Each provider's and function's pod (sized through a DeploymentRuntimeConfig)."""


SIZES: Mapping[str, CrossplaneSizes] = per_profile(
    dev=CrossplaneSizes(
        # The cloud layer is off in dev; if turned on, one small replica of everything.
        crossplane=Footprint(1, "50m", "128Mi", "500m", "512Mi"),
        crossplane_rbac_manager=Footprint(1, "10m", "32Mi", "100m", "128Mi"),
        crossplane_package=Footprint(1, "25m", "128Mi", "500m", "512Mi"),
    ),
    prod=CrossplaneSizes(
        # Core and RBAC manager elect a leader: the second replica takes over on node loss.
        # Upjet providers hold a Terraform-derived schema in memory, hence the larger limit.
        crossplane=Footprint(2, "100m", "256Mi", "1", "1Gi"),
        crossplane_rbac_manager=Footprint(2, "50m", "64Mi", "250m", "256Mi"),
        crossplane_package=Footprint(1, "100m", "256Mi", "1", "1Gi"),
    ),
)
