"""Redis pipeline: a validated request becomes OT redis-operator objects for its mode.

Run by Kratix as `python -m promises.redis.pipeline` (see the Dockerfile).
"""

from __future__ import annotations

from promises import runtime
from promises.redis.api import DEFINITION, IMAGES, REPLICAS, SENTINEL_IMAGE
from promises.workload import placement, workload_labels

API = "redis.redis.opstreelabs.in/v1beta2"
CONFIG_KEY = "redis-additional.conf"


def mebibytes(quantity: str) -> int:
    """256Mi -> 256, 2Gi -> 2048 (the API's pattern admits only Mi and Gi)."""
    return int(quantity[:-2]) * (1024 if quantity.endswith("Gi") else 1)


def container_resources(max_memory: str) -> dict:
    # maxmemory caps the data set; replication buffers and fragmentation need headroom.
    memory = f"{mebibytes(max_memory) * 5 // 4}Mi"
    return {
        "requests": {"cpu": "100m", "memory": memory},
        "limits": {"cpu": "500m", "memory": memory},
    }


def configure(request: runtime.Request) -> runtime.PipelineResult:
    options = request.options
    mode, name = options["mode"], f"redis-{request.name}"
    labels = workload_labels(DEFINITION, request)

    def metadata(object_name: str) -> dict:
        return {"name": object_name, "namespace": request.namespace, "labels": labels}

    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(f"{name}-config"),
        "data": {
            CONFIG_KEY: f"maxmemory {mebibytes(options['maxMemory'])}mb\n"
            "maxmemory-policy allkeys-lru\n"
        },
    }
    kubernetes_config = {
        "image": IMAGES[options["version"]],
        "imagePullPolicy": "IfNotPresent",
        "resources": container_resources(options["maxMemory"]),
    }
    redis_config = {"additionalRedisConfig": f"{name}-config"}
    manifests = {"redis-config.yaml": config}
    if mode == "standalone":
        manifests["redis.yaml"] = {
            "apiVersion": API,
            "kind": "Redis",
            "metadata": metadata(name),
            "spec": {"kubernetesConfig": kubernetes_config, "redisConfig": redis_config},
        }
    elif mode == "sentinel":
        manifests["redis-replication.yaml"] = {
            "apiVersion": API,
            "kind": "RedisReplication",
            "metadata": metadata(name),
            "spec": {
                "clusterSize": REPLICAS[mode],
                "kubernetesConfig": kubernetes_config,
                "redisConfig": redis_config,
            },
        }
        manifests["redis-sentinel.yaml"] = {
            "apiVersion": API,
            "kind": "RedisSentinel",
            "metadata": metadata(f"{name}-sentinel"),
            "spec": {
                "clusterSize": REPLICAS[mode],
                "kubernetesConfig": {
                    **kubernetes_config,
                    "image": SENTINEL_IMAGE,
                    "resources": container_resources("64Mi"),
                },
                "redisSentinelConfig": {"redisReplicationName": name},
            },
        }
    else:
        manifests["redis-cluster.yaml"] = {
            "apiVersion": API,
            "kind": "RedisCluster",
            "metadata": metadata(name),
            "spec": {
                "clusterSize": REPLICAS[mode],
                "kubernetesConfig": kubernetes_config,
                "redisLeader": {"redisConfig": redis_config},
                "redisFollower": {"redisConfig": redis_config},
            },
        }
    endpoint = f"{name}-sentinel" if mode == "sentinel" else name
    return runtime.PipelineResult(
        manifests=manifests,
        destination_selectors=placement(request),
        status={
            "message": f"Redis {options['version']} ({mode}, maxmemory "
            f"{options['maxMemory']}) requested",
            "mode": mode,
            "endpoint": f"{endpoint}.{request.namespace}.svc",
        },
    )


def delete(request: runtime.Request) -> runtime.PipelineResult:
    # Kratix removes what configure wrote from every destination; nothing else to clean up.
    return runtime.PipelineResult()


if __name__ == "__main__":
    runtime.main(DEFINITION, configure, delete)
