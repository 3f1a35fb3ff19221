"""Object storage as a service, backed by the Crossplane cloud layer: an S3 bucket with
versioning and public access blocked, created in the cloud account instead of in-cluster."""

from __future__ import annotations

from promises.definition import DNS_LABEL_OR_EMPTY, Option, PromiseDefinition

# Regions the platform's cloud account offers buckets in (the composite API's enum too).
REGIONS = ("eu-west-1", "us-east-1")
# S3's own versioning states: a versioned bucket can be suspended but never unversioned again.
VERSIONING = ("Enabled", "Suspended")

DEFINITION = PromiseDefinition(
    name="objectstorage",
    version="v1.0.0",
    description="An S3 bucket with object versioning and public access blocked, created in "
    "the cloud account by Crossplane.",
    group="storage.platform.company.com",
    kind="Bucket",
    plural="buckets",
    options=(
        Option(
            "region",
            "Region",
            "cloud region the bucket lives in",
            default="eu-west-1",
            enum=REGIONS,
        ),
        Option(
            "versioning",
            "Versioning",
            "Enabled keeps every version of every object "
            "(recover from overwrites and deletes); Suspended stops adding versions",
            default="Enabled",
            enum=VERSIONING,
        ),
        Option(
            "teamName",
            "Team",
            "owning team, for cost tags (default: the request's namespace)",
            default="",
            pattern=DNS_LABEL_OR_EMPTY,
        ),
    ),
    pipeline_module="promises.objectstorage.pipeline",
    example_requests=("examples/team-assets.yaml", "examples/staging-exports.yaml"),
    backend="crossplane",
)
