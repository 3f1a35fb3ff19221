"""The promises layer's share of each size profile (`SIZES[profile]`): what each of its pieces
requests and how many run.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

from components.profiles import Footprint, per_profile


@dataclasses.dataclass(frozen=True)
class PromiseSizes:
    """This layer's share of each size profile: each promise's operator."""

    promise_operator: Footprint
    """Each promise's operator (CloudNativePG, redis-operator) on every destination."""


SIZES: Mapping[str, PromiseSizes] = per_profile(
    dev=PromiseSizes(
        promise_operator=Footprint(1, "25m", "64Mi", "200m", "256Mi"),
    ),
    prod=PromiseSizes(
        promise_operator=Footprint(1, "100m", "128Mi", "500m", "512Mi"),
    ),
)
