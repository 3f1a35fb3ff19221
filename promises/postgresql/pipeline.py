"""PostgreSQL pipeline: a validated request becomes one CloudNativePG `Cluster`.

Run by Kratix as `python -m promises.postgresql.pipeline` (see the Dockerfile).
"""

from __future__ import annotations

from promises import runtime
from promises.postgresql.api import DEFINITION, OPERAND_IMAGE, SIZES
from promises.workload import placement, workload_labels


def cluster_name(request: runtime.Request) -> str:
    return f"pg-{request.name}"


def configure(request: runtime.Request) -> runtime.PipelineResult:
    options = request.options
    size = SIZES[options["size"]]
    labels = workload_labels(DEFINITION, request)
    resources = {"cpu": size.cpu, "memory": size.memory}
    name = cluster_name(request)
    cluster = {
        "apiVersion": "postgresql.cnpg.io/v1",
        "kind": "Cluster",
        "metadata": {"name": name, "namespace": request.namespace, "labels": labels},
        "spec": {
            "instances": size.instances,
            "imageName": f"{OPERAND_IMAGE}:{options['version']}",
            "storage": {"size": size.storage},
            "resources": {"requests": resources, "limits": resources},
            # Pods carry the cost labels too (the security baseline checks pods).
            "inheritedMetadata": {"labels": labels},
            # Spread replicas over nodes when there are several.
            "affinity": {"enablePodAntiAffinity": size.instances > 1},
        },
    }
    return runtime.PipelineResult(
        manifests={"postgresql-cluster.yaml": cluster},
        destination_selectors=placement(request),
        status={
            "message": f"PostgreSQL {options['version']} ({options['size']}, "
            f"{size.instances} instance(s)) requested",
            "clusterName": name,
            "size": options["size"],
            "version": options["version"],
            "readWriteService": f"{name}-rw.{request.namespace}.svc",
            "credentialsSecret": f"{name}-app",
        },
    )


def delete(request: runtime.Request) -> runtime.PipelineResult:
    # Kratix removes what configure wrote from every destination; nothing else to clean up.
    return runtime.PipelineResult()


if __name__ == "__main__":
    runtime.main(DEFINITION, configure, delete)
