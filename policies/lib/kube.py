"""Read Kubernetes objects from policy props without tripping over unknown or missing values.

During `pulumi preview` some values are unknown; pulumi-policy raises UnknownValueError when a
policy reads one. These helpers turn "unknown" into "not known yet": the check is skipped rather
than reported as a violation or crashing the pack.
"""

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


def api_group(resource_type: str) -> str:
    """`kubernetes:policies.kyverno.io/v1alpha1:ValidatingPolicy` -> `policies.kyverno.io`
    (`core` for the core API, empty for non-Kubernetes types)."""
    if not resource_type.startswith("kubernetes:"):
        return ""
    return resource_type.split(":")[1].split("/")[0]


def name_of(props: Mapping[str, Any], fallback: str) -> str:
    """The object's metadata.name, or `fallback` (the Pulumi name) while it is not known."""
    return dig(props, "metadata", "name") or fallback


def parent_types(urn: str) -> list[str]:
    """The types of a resource's parents, outermost first, read from its URN."""
    qualified_type = urn.split("::")[2] if urn.count("::") >= 3 else ""
    return qualified_type.split("$")[:-1]


def is_list(value: Any) -> bool:
    """A list in props (plain, or the list proxy pulumi-policy wraps props in)."""
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()
"""What `lookup` returns for a value that is not known until the update runs."""


def lookup(obj: Any, *path: str | int) -> Any:
    """The value at `path`: None when a step is missing, UNKNOWN when one is not known yet.

    For checks where "absent" is itself a finding (a missing label, namespace or revision), so
    that a value unknown during preview is not mistaken for an absent one.
    """
    try:
        for step in path:
            if obj is UNKNOWN:
                return UNKNOWN
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
        return UNKNOWN


def dig(obj: Any, *path: str | int) -> Any:
    """The value at `path`, or None when any step is missing or still unknown."""
    value = lookup(obj, *path)
    return None if value is UNKNOWN else value


def known_list(obj: Any, *path: str | int) -> Any:
    """The list at `path` as a plain list: None when missing, UNKNOWN when the list or any of
    its elements is not known yet (a set like policyTypes cannot be judged by half)."""
    value = lookup(obj, *path)
    if value is UNKNOWN:
        return UNKNOWN
    if not is_list(value):
        return None
    elements = [lookup(value, index) for index in range(len(value))]
    return UNKNOWN if any(e is UNKNOWN for e in elements) else elements


def is_empty(value: Any) -> bool:
    """Missing, or a known map or list without entries."""
    if value is None:
        return True
    return (isinstance(value, Mapping) or is_list(value)) and len(value) == 0


def items(obj: Any, *path: str | int) -> Iterator[Any]:
    """The known elements of the list at `path` (nothing when it is missing or unknown)."""
    values = dig(obj, *path)
    if is_list(values):
        for index in range(len(values)):
            value = dig(values, index)
            if value is not None:
                yield value


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
        for container in items(spec, field):
            if isinstance(container, Mapping):
                yield container


def labels(props: Mapping[str, Any]) -> Mapping[str, Any]:
    value = dig(props, "metadata", "labels")
    return value if isinstance(value, Mapping) else {}


def annotations(props: Mapping[str, Any]) -> Mapping[str, Any]:
    value = dig(props, "metadata", "annotations")
    return value if isinstance(value, Mapping) else {}
