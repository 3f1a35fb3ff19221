"""Size profiles: what `dev` and `prod` mean to every layer, and the shared sizing types.

`dev` fits a single small node; `prod` runs controllers highly available with headroom. Each
layer declares its own workloads' share of each profile in its module (`SIZES`, built with
`per_profile`).
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType
from typing import Mapping, TypeVar


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
        return {
            "requests.cpu": self.cpu_requests,
            "requests.memory": self.memory_requests,
            "limits.cpu": self.cpu_limits,
            "limits.memory": self.memory_limits,
            "pods": str(self.pods),
        }

    def container_defaults(self) -> dict:
        resources = self.default.resources()
        return {
            "type": "Container",
            "defaultRequest": resources["requests"],
            "default": resources["limits"],
        }


# Team sizes (idp:teams[].size), the same in every profile: a team's quota follows its size.
_CONTAINER_DEFAULT = Footprint(1, "50m", "64Mi", "500m", "256Mi")
TEAM_QUOTAS: Mapping[str, TeamQuota] = {
    "small": TeamQuota("2", "4Gi", "4", "8Gi", 20, _CONTAINER_DEFAULT),
    "medium": TeamQuota("8", "16Gi", "16", "32Gi", 50, _CONTAINER_DEFAULT),
    "large": TeamQuota("32", "64Gi", "64", "128Gi", 150, _CONTAINER_DEFAULT),
}


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
    """What a profile means to every layer: whether it runs highly available, the nodes it is
    sized for and the team quotas. Each layer's own workloads are sized in its module
    (`SIZES = per_profile(dev=..., prod=...)`)."""

    name: str
    highly_available: bool
    nodes: NodePool
    team_quotas: Mapping[str, TeamQuota] = dataclasses.field(default_factory=lambda: TEAM_QUOTAS)


PROFILES: Mapping[str, SizeProfile] = {
    "dev": SizeProfile(
        name="dev",
        highly_available=False,
        # One small node: everything dev runs must fit it.
        nodes=NodePool(count=1, cpu="2", memory="4Gi"),
    ),
    "prod": SizeProfile(
        name="prod",
        highly_available=True,
        # Three nodes per cluster, so replicas spread across nodes (anti-affinity, PDBs).
        nodes=NodePool(count=3, cpu="8", memory="32Gi"),
    ),
}

Sizes = TypeVar("Sizes")


def per_profile(*, dev: Sizes, prod: Sizes) -> Mapping[str, Sizes]:
    """A layer's sizes by profile name: one for each profile of `PROFILES`."""
    return MappingProxyType({"dev": dev, "prod": prod})
