"""The Kratix layer's share of each size profile (`SIZES[profile]`): what each of its pieces
requests and how many run.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

from components.profiles import Footprint, per_profile


@dataclasses.dataclass(frozen=True)
class KratixSizes:
    """This layer's share of each size profile: the Kratix controller."""

    kratix_controller: Footprint


SIZES: Mapping[str, KratixSizes] = per_profile(
    dev=KratixSizes(
        # The Kratix chart's own default; the controller is idle most of the time.
        kratix_controller=Footprint(1, "100m", "256Mi", "200m", "256Mi"),
    ),
    prod=KratixSizes(
        # Leader election keeps one active controller; the second takes over on node loss.
        kratix_controller=Footprint(2, "250m", "512Mi", "1", "1Gi"),
    ),
)
