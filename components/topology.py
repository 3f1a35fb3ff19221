"""Compose the layers for one stack: providers per cluster, then every layer in `LAYERS` order.

Single-cluster: the platform cluster also syncs its own destination. Multi-cluster: Kratix,
ArgoCD and every Destination object live on the platform cluster; each worker has its own
provider for the objects that sync its destination there (Flux for bucket stores).
ArgoCD does not wait for Kratix: they install side by side.

Each layer is one folder, `components/<layer>/` (its component, settings, chart values, content
and its `LAYER` record in layer.py); this module is the only one that imports them all. What one layer hands a
later one travels on the `Topology` (components/layer.py); the one hand-over that runs against
registration order, FinOps' additions to ArgoCD's chart, is wired in `compose`.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pulumi

from components.clusters import cluster_provider
from components.config import StackConfig
from components.crossplane import layer as crossplane
from components.destinations import layer as destinations
from components.finops import layer as finops
from components.gitops import layer as gitops
from components.kratix import layer as kratix
from components.layer import Layer, Topology, namespaces_of
from components.observability import layer as observability
from components.portal import layer as portal
from components.promises import layer as promises
from components.security import layer as security
from components.state_stores import layer as state_stores
from components.sync import WorkloadSync
from components.validation import ConfigModel

# One ordered list, in registration order: each reads the config and what earlier layers hand
# it on the Topology. Adding a layer is its folder and one line here.
LAYERS: tuple[Layer[Any], ...] = (
    kratix.LAYER,
    state_stores.LAYER,
    observability.LAYER,
    gitops.LAYER,
    destinations.LAYER,
    security.LAYER,
    crossplane.LAYER,
    promises.LAYER,
    finops.LAYER,
    portal.LAYER,
)


@functools.cache
def config_model() -> ConfigModel:
    """The stack's config model: the kernel's keys and every layer's settings."""
    return ConfigModel([layer.settings for layer in LAYERS if layer.settings is not None])


def compose(
    config: StackConfig, stack: str, project_dir: Path, workload_sync: WorkloadSync | None = None
) -> Topology:
    """Register every layer of the platform for `config`, in the order of `LAYERS`."""
    if not config.await_service_endpoints:
        pulumi.runtime.register_resource_transform(skip_service_await)
    topology = Topology(
        config,
        stack,
        project_dir,
        providers={c.name: cluster_provider(stack, c) for c in config.clusters},
        layers=LAYERS,
        workload_sync=workload_sync,
        # FinOps' DORA metrics and notifications ride on ArgoCD's chart (the GitOps layer).
        argocd_addition=finops.argocd_addition,
    )
    for layer in LAYERS:
        topology.registered[layer.name] = layer.build(topology)
    pulumi.log.info(
        f"idp: {config.topology} platform with {len(config.destinations)} "
        f"destination(s) on {len(config.clusters)} cluster(s), profile "
        f"{config.profile}"
    )
    return topology


def platform_namespaces(config: StackConfig) -> list[str]:
    """The namespaces the platform's own components and charts use (Kyverno leaves them alone)."""
    return namespaces_of(LAYERS, config)


def skip_service_await(
    args: pulumi.ResourceTransformArgs,
) -> pulumi.ResourceTransformResult | None:
    """Services (ours and the charts') are applied without waiting for endpoints; everything
    else keeps the provider's await."""
    if args.type_ != "kubernetes:core/v1:Service":
        return None
    props: dict = dict(args.props)
    metadata: dict = dict(props.get("metadata") or {})
    metadata["annotations"] = {**(metadata.get("annotations") or {}), SKIP_AWAIT: "true"}
    props["metadata"] = metadata
    return pulumi.ResourceTransformResult(props, args.opts)


SKIP_AWAIT = "pulumi.com/skipAwait"
