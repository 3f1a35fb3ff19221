"""objectstorage pipeline: a validated request becomes one `ObjectBucket` composite of the cloud
layer's API (no in-cluster workload); Crossplane on the destination creates the S3 bucket.

Run by Kratix as `python -m promises.objectstorage.pipeline` (see the Dockerfile).
"""

from __future__ import annotations

from promises import runtime
from promises.objectstorage import composite_api
from promises.objectstorage.api import DEFINITION
from promises.workload import COST_LABELS, placement, workload_labels

OUTPUT_FILE = "object-bucket.yaml"


def configure(request: runtime.Request) -> runtime.PipelineResult:
    options = request.options
    labels = workload_labels(DEFINITION, request)
    # The bucket carries the same cost-allocation keys as the request, as cloud tags.
    tags = {key: labels[key] for key in COST_LABELS if key in labels}
    bucket = composite_api.composite(
        request.name, request.namespace, labels, options["region"], options["versioning"], tags
    )
    return runtime.PipelineResult(
        manifests={OUTPUT_FILE: bucket},
        destination_selectors=placement(request),
        status={
            "message": f"S3 bucket in {options['region']} with versioning "
            f"{options['versioning']} requested",
            "composite": f"{composite_api.KIND}/{request.name}",
            "region": options["region"],
        },
    )


def delete(request: runtime.Request) -> runtime.PipelineResult:
    # Kratix removes the composite from the destination; Crossplane then deletes the bucket.
    return runtime.PipelineResult()


if __name__ == "__main__":
    runtime.main(DEFINITION, configure, delete)
