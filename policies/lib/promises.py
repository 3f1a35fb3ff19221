"""Read a Kratix Promise: its workflow pipelines and the API it offers to developers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Iterator

from components.naming import KRATIX_API, kubernetes_type
from components.naming import PROMISE_BACKEND_LABEL as BACKEND_LABEL
from policies.lib import kube

PROMISE = kubernetes_type(KRATIX_API, "Promise")
LIFECYCLES = ("resource", "promise")
ACTIONS = ("configure", "delete")
__all__ = ["ACTIONS", "BACKEND_LABEL", "LIFECYCLES", "PROMISE"]


def pipelines(props: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(`lifecycle.action/name`, pipeline) for every workflow pipeline of a Promise."""
    for lifecycle in LIFECYCLES:
        for action in ACTIONS:
            for index, pipeline in enumerate(
                    kube.items(props, "spec", "workflows", lifecycle, action)):
                name = kube.dig(pipeline, "metadata", "name") or f"{action}[{index}]"
                yield f"{lifecycle}.{action}/{name}", pipeline


def api_versions(props: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(version name, the `spec` schema of that version) of the CRD a Promise offers."""
    for version in kube.items(props, "spec", "api", "spec", "versions"):
        spec_schema = kube.dig(version, "schema", "openAPIV3Schema", "properties", "spec")
        if isinstance(spec_schema, Mapping):
            yield kube.dig(version, "name") or "?", spec_schema
