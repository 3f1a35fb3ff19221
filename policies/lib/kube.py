"""Read Kubernetes objects from policy props without tripping over unknown or missing values.

During `pulumi preview` some values are unknown; pulumi-policy raises UnknownValueError when a
policy reads one. These helpers turn "unknown" into "not known yet": the check is skipped rather
than reported as a violation or crashing the pack.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Iterator

from pulumi_policy.proxy import UnknownValueError

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob",
                  "Pod")


def kind_of(resource_type: str) -> str:
    """`kubernetes:apps/v1:Deployment` -> `Deployment` (empty for non-Kubernetes types)."""
    if not resource_type.startswith("kubernetes:"):
        return ""
    return resource_type.rsplit(":", 1)[-1]


def is_list(value: Any) -> bool:
    """A list in props (plain, or the list proxy pulumi-policy wraps props in)."""
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def dig(obj: Any, *path: str | int) -> Any:
    """The value at `path`, or None when any step is missing or still unknown."""
    try:
        for step in path:
            if isinstance(step, int):
                if not is_list(obj) or step >= len(obj):
                    return None
                obj = obj[step]
            else:
                if not isinstance(obj, Mapping) or step not in obj:
                    return None
                obj = obj[step]
        return obj
    except UnknownValueError:
        return None


def pod_spec(kind: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The pod spec inside a workload, whatever its kind."""
    if kind == "Pod":
        return dig(props, "spec")
    if kind == "CronJob":
        return dig(props, "spec", "jobTemplate", "spec", "template", "spec")
    if kind in WORKLOAD_KINDS:
        return dig(props, "spec", "template", "spec")
    return None


def containers(kind: str, props: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every container and init container of a workload (nothing for other kinds)."""
    spec = pod_spec(kind, props)
    if not isinstance(spec, Mapping):
        return
    for field in ("initContainers", "containers"):
        items = dig(spec, field)
        if is_list(items):
            for index in range(len(items)):
                container = dig(items, index)
                if isinstance(container, Mapping):
                    yield container


def labels(props: Mapping[str, Any]) -> Mapping[str, Any]:
    value = dig(props, "metadata", "labels")
    return value if isinstance(value, Mapping) else {}


def annotations(props: Mapping[str, Any]) -> Mapping[str, Any]:
    value = dig(props, "metadata", "annotations")
    return value if isinstance(value, Mapping) else {}
