"""Read ArgoCD Applications, whether declared directly or as an ApplicationSet's template."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Iterator

from components.naming import ARGOCD_API, kubernetes_type
from policies.lib import kube

APPLICATION = kubernetes_type(ARGOCD_API, "Application")
APPLICATION_SET = kubernetes_type(ARGOCD_API, "ApplicationSet")


def application(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The Application an object declares: itself, or the template an ApplicationSet stamps
    out (the same metadata and spec); None for anything else."""
    if resource_type == APPLICATION:
        return props
    if resource_type == APPLICATION_SET:
        template = kube.dig(props, "spec", "template")
        return template if isinstance(template, Mapping) else None
    return None


def describe(resource_type: str, props: Mapping[str, Any], fallback: str) -> str:
    """`Application 'name'`, or `ApplicationSet 'name' template`, for messages."""
    what = f"{kube.kind_of(resource_type)} '{kube.name_of(props, fallback)}'"
    return what + " template" if resource_type == APPLICATION_SET else what


def sources(app: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(`source` or `sources[i]`, source) for each source of an Application."""
    source = kube.dig(app, "spec", "source")
    if isinstance(source, Mapping):
        yield "source", source
    for index, source in enumerate(kube.items(app, "spec", "sources")):
        yield f"sources[{index}]", source
