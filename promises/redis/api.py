"""Redis as a service: standalone, sentinel (replicated with failover) or cluster (sharded)."""

from __future__ import annotations

from promises.definition import DNS_LABEL_OR_EMPTY, Operator, Option, PromiseDefinition

MODES = ("standalone", "sentinel", "cluster")
# Redis versions offered, and the operand image the OT redis-operator runs for each (inferred
# from the operator's published examples: quay.io/opstree/redis:v<x.y.z>).
IMAGES = {"7.0": "quay.io/opstree/redis:v7.0.15", "7.2": "quay.io/opstree/redis:v7.2.7"}
# Sentinels only watch and fail over; one pinned sentinel image serves both data versions.
SENTINEL_IMAGE = "quay.io/opstree/redis-sentinel:v7.0.15"
MEMORY = r"^[1-9][0-9]*(Mi|Gi)$"
# Pods per mode: sentinel runs 3 replicas watched by 3 sentinels; cluster 3 leaders and 3
# followers (the smallest cluster Redis accepts).
REPLICAS = {"standalone": 1, "sentinel": 3, "cluster": 3}

DEFINITION = PromiseDefinition(
    name="redis",
    version="v1.0.0",
    description="Redis as a service: standalone, sentinel or cluster mode, with a memory cap.",
    group="cache.platform.company.com",
    kind="Redis",
    plural="redises",
    options=(
        Option(
            "mode",
            "Mode",
            "standalone: one instance; sentinel: 3 replicas with automatic "
            "failover; cluster: 3 shards with a follower each",
            default="standalone",
            enum=MODES,
        ),
        Option(
            "maxMemory",
            "Memory",
            "data memory per instance (Mi or Gi); the container gets a quarter more for overhead",
            default="256Mi",
            pattern=MEMORY,
        ),
        Option("version", "Redis version", "Redis version", default="7.2", enum=tuple(IMAGES)),
        Option(
            "teamName",
            "Team",
            "owning team, for cost labels (default: the request's namespace)",
            default="",
            pattern=DNS_LABEL_OR_EMPTY,
        ),
    ),
    pipeline_module="promises.redis.pipeline",
    operator=Operator(chart="redis-operator", namespace="redis-operator-system"),
    example_requests=("examples/session-cache.yaml", "examples/sentinel.yaml"),
)
