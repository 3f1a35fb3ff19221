"""The security baseline's share of each size profile (`SIZES[profile]`): what each of its pieces
requests and how many run.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

from components.profiles import Footprint, per_profile


@dataclasses.dataclass(frozen=True)
class SecuritySizes:
    """This layer's share of each size profile: Kyverno's controllers."""

    kyverno_controller: Footprint
    kyverno_admission_replicas: int


SIZES: Mapping[str, SecuritySizes] = per_profile(
    dev=SecuritySizes(
        kyverno_controller=Footprint(1, "50m", "128Mi", "500m", "384Mi"),
        kyverno_admission_replicas=1,
    ),
    prod=SecuritySizes(
        kyverno_controller=Footprint(1, "100m", "256Mi", "1", "768Mi"),
        # Three admission controllers and a PDB: webhooks fail closed in prod.
        kyverno_admission_replicas=3,
    ),
)
