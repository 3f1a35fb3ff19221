"""The state store layer's share of each size profile (`SIZES[profile]`): what each of its pieces
requests and how many run.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

from components.profiles import Footprint, per_profile


@dataclasses.dataclass(frozen=True)
class StateStoreSizes:
    """This layer's share of each size profile: the embedded MinIO and its volume."""

    minio: Footprint
    minio_storage: str


SIZES: Mapping[str, StateStoreSizes] = per_profile(
    dev=StateStoreSizes(
        minio=Footprint(1, "50m", "256Mi", "500m", "512Mi"),
        minio_storage="5Gi",
    ),
    prod=StateStoreSizes(
        minio=Footprint(1, "250m", "1Gi", "1", "2Gi"),
        minio_storage="50Gi",
    ),
)
