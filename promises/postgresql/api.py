"""PostgreSQL as a service: what developers may ask for, and the sizes behind each choice."""

from __future__ import annotations

import dataclasses

from promises.definition import DNS_LABEL_OR_EMPTY, Operator, Option, PromiseDefinition


@dataclasses.dataclass(frozen=True)
class Size:
    instances: int
    cpu: str
    memory: str
    storage: str


# The seed's sizes. Requests equal limits: a database should not be throttled into failover.
SIZES = {
    "small": Size(instances=1, cpu="500m", memory="1Gi", storage="10Gi"),
    "medium": Size(instances=3, cpu="1", memory="4Gi", storage="50Gi"),
    "large": Size(instances=3, cpu="2", memory="8Gi", storage="100Gi"),
}
# PostgreSQL major versions offered; CloudNativePG publishes an operand image per major.
VERSIONS = ("14", "15", "16", "17")
OPERAND_IMAGE = "ghcr.io/cloudnative-pg/postgresql"

DEFINITION = PromiseDefinition(
    name="postgresql",
    version="v1.0.0",
    description="PostgreSQL as a service: a CloudNativePG cluster, small, medium or large.",
    group="database.platform.company.com",
    kind="PostgreSQL",
    plural="postgresqls",
    options=(
        Option(
            "size",
            "Size",
            "small: 1 instance, 500m CPU, 1Gi, 10Gi disk; medium: 3 "
            "instances, 1 CPU, 4Gi, 50Gi; large: 3 instances, 2 CPU, 8Gi, 100Gi",
            default="small",
            enum=tuple(SIZES),
        ),
        Option(
            "version", "PostgreSQL version", "PostgreSQL major version", default="16", enum=VERSIONS
        ),
        Option(
            "teamName",
            "Team",
            "owning team, for cost labels (default: the request's namespace)",
            default="",
            pattern=DNS_LABEL_OR_EMPTY,
        ),
    ),
    pipeline_module="promises.postgresql.pipeline",
    operator=Operator(
        chart="cloudnative-pg",
        namespace="cnpg-system",
        values={"crds": {"create": True}, "replicaCount": 1},
    ),
    example_requests=("examples/my-app-db.yaml", "examples/small.yaml"),
)
