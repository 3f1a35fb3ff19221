"""Platform footprint: what every workload each profile runs asks for, per cluster, as applied.

Each shipped stack is applied with the real charts to fresh local clusters (as the engine tests
do: scripts/local_cluster.py, nodes sized like the profile), and the footprint is read back
from the live objects: every Deployment, StatefulSet, DaemonSet, Job, CronJob, and every
ReplicaSet or Pod no other workload owns, chart-rendered ones included, with the API server's
defaults filled in. The pods as the scheduler placed them are summed per node too (and the
pods left Pending counted), so the dev figure is the one the 2-CPU / 4-GiB node really holds.

A pod's requests and limits follow the scheduler's rule: the larger of its containers' sum
and its largest init container. A workload counts replicas x pod (DaemonSets: per node; Jobs
and CronJobs: one run's pods, parallelism included).

    python -m bench.footprint   # -> bench/results/footprint.json
    (bench/run engine writes it too, from the stack's first `up`)
"""

from __future__ import annotations

import re
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

from bench import results
from components.profiles import PROFILES
from tests.engine.conftest import engine_workspace, local_cluster

STACKS = ("dev", "prod")
# The node the dev profile must fit, in requests (the target).
DEV_NODE = {"cpu": Decimal(2), "memory": Decimal(4 * 1024 ** 3)}
FIELDS = (("requests", "cpu"), ("requests", "memory"), ("limits", "cpu"), ("limits", "memory"))
MEMORY_UNITS = {"Ki": 1024, "Mi": 1024 ** 2, "Gi": 1024 ** 3, "Ti": 1024 ** 4,
                "k": 10 ** 3, "M": 10 ** 6, "G": 10 ** 9, "T": 10 ** 12}


def quantity(value, resource_name: str) -> Decimal:
    """CPU in cores, memory in bytes, from a Kubernetes quantity."""
    text = str(value)
    if resource_name == "cpu":
        return Decimal(text[:-1]) / 1000 if text.endswith("m") else Decimal(text)
    number, unit = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", text).groups()
    return Decimal(number) * MEMORY_UNITS.get(unit, 1)


def pod_footprint(pod_spec: dict) -> tuple[dict[str, Decimal], list[str]]:
    """The pod's effective requests and limits, and the containers that leave one unset."""
    totals, unset = {}, []
    containers = pod_spec.get("containers", [])
    for section, name in FIELDS:
        def amount(container: dict) -> Decimal:
            value = (container.get("resources") or {}).get(section, {}).get(name)
            if value is None:
                unset.append(f"{container['name']} {section}.{name}")
                return Decimal(0)
            return quantity(value, name)
        summed = sum((amount(c) for c in containers), Decimal(0))
        largest_init = max((amount(c) for c in pod_spec.get("initContainers", [])),
                           default=Decimal(0))
        totals[f"{section}.{name}"] = max(summed, largest_init)
    return totals, unset


def workload(document: dict) -> dict | None:
    """Replicas and pod spec of a workload document (None for anything that runs no pod)."""
    kind, spec = document.get("kind"), document.get("spec") or {}
    if kind in ("Deployment", "StatefulSet", "ReplicaSet"):
        replicas, template = spec.get("replicas", 1), spec["template"]
    elif kind == "DaemonSet":
        replicas, template = 1, spec["template"]
    elif kind == "Job":
        replicas, template = spec.get("parallelism", 1), spec["template"]
    elif kind == "CronJob":
        job = spec["jobTemplate"]["spec"]
        replicas, template = job.get("parallelism", 1), job["template"]
    elif kind == "Pod":
        replicas, template = 1, {"spec": spec}
    else:
        return None
    pod, unset = pod_footprint(template["spec"])
    meta = document["metadata"]
    return {"kind": kind, "namespace": meta.get("namespace", ""), "name": meta["name"],
            "replicas": replicas, "per_node": kind == "DaemonSet", "unset": unset,
            **{key: replicas * value for key, value in pod.items()}}


def owned(document: dict) -> bool:
    return bool((document.get("metadata") or {}).get("ownerReferences"))


def cluster_footprint(documents: list[dict], pods: list[dict] | None = None) -> dict:
    """Workloads' footprint from live objects (owned ReplicaSets and Pods counted by their
    owner), and the scheduled pods' requests per node."""
    workloads = [w for w in map(workload, (d for d in documents
                                           if not (d.get("kind") in ("ReplicaSet", "Pod")
                                                   and owned(d)))) if w]
    workloads.sort(key=lambda w: (w["namespace"], w["name"]))
    totals = {f"{s}.{n}": sum((w[f"{s}.{n}"] for w in workloads), Decimal(0))
              for s, n in FIELDS}
    found = {"workloads": [readable(w) for w in workloads], "totals": readable(totals)}
    if pods is not None:
        nodes: dict = {}
        pending = []
        for pod in pods:
            if pod.get("status", {}).get("phase") in ("Succeeded", "Failed"):
                continue
            node = pod.get("spec", {}).get("nodeName")
            if not node:
                pending.append(f"{pod['metadata']['namespace']}/{pod['metadata']['name']}")
                continue
            requests, _ = pod_footprint(pod["spec"])
            placed = nodes.setdefault(node, {"pods": 0, "requests.cpu": Decimal(0),
                                             "requests.memory": Decimal(0)})
            placed["pods"] += 1
            for key in ("requests.cpu", "requests.memory"):
                placed[key] += requests[key]
        found["nodes"] = {name: readable(v) for name, v in sorted(nodes.items())}
        found["pending"] = pending
    return found


def live_objects(clusters, cluster) -> tuple[list[dict], list[dict]]:
    import json
    listed = clusters.kubectl(cluster, "get", "deployments,statefulsets,daemonsets,replicasets,"
                              "jobs,cronjobs,pods", "-A", "-o", "json").stdout
    items = json.loads(listed)["items"]
    return items, [i for i in items if i.get("kind") == "Pod"]


def stack_footprint(stack: str, clusters) -> dict:
    """The footprint of an applied stack, per cluster, from its local clusters."""
    found = {}
    for cluster in clusters.clusters:
        documents, pods = live_objects(clusters, cluster)
        found[cluster.cluster] = cluster_footprint(documents, pods)
        totals = found[cluster.cluster]["totals"]
        print(f"{stack}/{cluster.cluster}: {len(found[cluster.cluster]['workloads'])} "
              f"workloads, {totals}, nodes {found[cluster.cluster]['nodes']}", flush=True)
    return {"profile": PROFILES[stack].name, "clusters": found}


def save(stacks: dict) -> None:
    dev_requests = [c["totals"] for c in stacks.get("dev", {}).get("clusters", {}).values()]
    fits = bool(dev_requests) and all(
        t["requests.cpu_m"] <= DEV_NODE["cpu"] * 1000 and
        t["requests.memory_mib"] <= DEV_NODE["memory"] / 1024 ** 2 for t in dev_requests)
    results.save("footprint", {"stacks": stacks, "dev_node": {"cpu_m": 2000,
                                                               "memory_mib": 4096},
                               "dev_fits_node": fits, "source": "live objects, local clusters",
                               "machine": results.machine()})


def readable(values: dict) -> dict:
    """CPU in millicores and memory in MiB, as integers."""
    converted = {}
    for key, value in values.items():
        if key.endswith(".cpu"):
            converted[key.replace(".cpu", ".cpu_m")] = int(value * 1000)
        elif key.endswith(".memory"):
            converted[key.replace(".memory", ".memory_mib")] = int(value / 1024 ** 2)
        else:
            converted[key] = value
    return converted


def apply_stack(stack: str, engine_bin: Path, cluster_bin: Path) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix=f"idp-footprint-{stack}-"))
    clusters = local_cluster.Clusters(stack, tmp / "clusters", bin_dir=cluster_bin)
    try:
        kubeconfig = clusters.up()
        workspace = engine_workspace.offline_workspace(tmp, engine_bin, stack, kubeconfig)
        workspace.pulumi("up", "--yes", "--skip-preview", timeout=3600)
        return stack_footprint(stack, clusters)
    finally:
        clusters.down()


def main() -> int:
    engine_bin = engine_workspace.bootstrap()
    cluster_bin = local_cluster.bootstrap()
    save({stack: apply_stack(stack, engine_bin, cluster_bin) for stack in STACKS})
    return 0


if __name__ == "__main__":
    sys.exit(main())
