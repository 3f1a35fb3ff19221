"""Platform footprint: what every workload each profile renders asks for, per cluster.

Each shipped stack is applied in render mode through the real engine (an offline workspace:
fixture chart mirror, every cluster rendered to files), and the footprint is read back from
the manifests written under rendered/<stack>/<cluster>/: every Deployment, StatefulSet,
ReplicaSet, DaemonSet, Job, CronJob and Pod, chart-rendered ones included. Chart workloads
come from the TEST FIXTURE charts, which honour the values the program sets (replicas,
resources); the real charts may add containers the fixtures leave out.

A pod's requests and limits follow the scheduler's rule: the larger of its containers' sum
and its largest init container. A workload counts replicas x pod (DaemonSets: per node; Jobs
and CronJobs: one run's pods, parallelism included).

    python -m bench.footprint   # -> bench/results/footprint.json
"""

from __future__ import annotations

import re
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

from bench import results
from components.profiles import PROFILES
from tests.engine.conftest import engine_workspace, rendered_documents

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


def cluster_footprint(directory: Path) -> dict:
    workloads = [w for w in map(workload, rendered_documents(directory)) if w]
    workloads.sort(key=lambda w: (w["namespace"], w["name"]))
    totals = {f"{s}.{n}": sum((w[f"{s}.{n}"] for w in workloads), Decimal(0))
              for s, n in FIELDS}
    return {"workloads": [readable(w) for w in workloads], "totals": readable(totals)}


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


def render_stack(stack: str, engine_bin: Path) -> Path:
    workspace = engine_workspace.offline_workspace(
        Path(tempfile.mkdtemp(prefix=f"idp-footprint-{stack}-")), engine_bin, stack)
    workspace.pulumi("up", "--yes", "--skip-preview")
    return workspace.root / "rendered" / stack


def main() -> int:
    engine_bin = engine_workspace.bootstrap()
    stacks = {}
    for stack in STACKS:
        rendered = render_stack(stack, engine_bin)
        clusters = {path.name: cluster_footprint(path)
                    for path in sorted(rendered.iterdir()) if path.is_dir()}
        stacks[stack] = {"profile": PROFILES[stack].name, "clusters": clusters}
        for name, cluster in clusters.items():
            print(f"{stack}/{name}: {len(cluster['workloads'])} workloads, {cluster['totals']}",
                  flush=True)
    dev_requests = [c["totals"] for c in stacks["dev"]["clusters"].values()]
    fits = all(t["requests.cpu_m"] <= DEV_NODE["cpu"] * 1000 and
               t["requests.memory_mib"] <= DEV_NODE["memory"] / 1024 ** 2
               for t in dev_requests)
    results.save("footprint", {"stacks": stacks, "dev_node": {"cpu_m": 2000,
                                                               "memory_mib": 4096},
                               "dev_fits_node": fits, "machine": results.machine()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
