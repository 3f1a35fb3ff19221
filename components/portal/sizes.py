"""The portal's share of each size profile (`SIZES[profile]`): what each of its pieces
requests and how many run.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

from components.profiles import Footprint, per_profile


@dataclasses.dataclass(frozen=True)
class PortalSizes:
    """This layer's share of each size profile: Backstage."""

    portal: Footprint


SIZES: Mapping[str, PortalSizes] = per_profile(
    dev=PortalSizes(
        # Backstage with an in-memory SQLite catalog; the budget is 100m / 384Mi in dev.
        portal=Footprint(1, "100m", "384Mi", "1", "768Mi"),
    ),
    prod=PortalSizes(
        # Two stateless portal replicas on PostgreSQL, behind a PDB.
        portal=Footprint(2, "250m", "512Mi", "1", "1Gi"),
    ),
)
