"""The seam between the Kratix layer, which writes each destination's documents to a state
store, and the layer that syncs them onto the destination's cluster (GitOps: ArgoCD for git
stores, Flux for buckets). Neither layer imports the other: both speak these types.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping, Protocol, Sequence

import pulumi
import pulumi_kubernetes as k8s

from components.placement import StateStore as StateStoreSpec


@dataclasses.dataclass(frozen=True)
class StoreAccess:
    """How a reader other than Kratix (a GitOps agent on a worker) reaches the store."""

    address: str
    """Git URL, or the bucket endpoint host[:port]."""
    credentials: Mapping[str, pulumi.Input[str]]
    """The store's credentials under Kratix's key names (empty for IAM); secret values."""


@dataclasses.dataclass(frozen=True)
class SyncRequest:
    """What a worker must sync for one destination."""

    destination: str
    """Destination name."""
    cluster: str
    """Cluster that syncs the destination."""
    environment: str
    """The destination's environment label."""
    store: StateStoreSpec
    """The state store the documents are in."""
    access: StoreAccess
    """Address and credentials of the store."""
    root_path: str
    """The destination's folder inside the store."""
    dependencies_path: str | None
    """Folder synced first (CRDs, operators); None unless filepathMode is nestedByMetadata."""
    resources_path: str | None
    """Folder synced after the dependencies (resource instances)."""
    provider: k8s.Provider
    """Provider of the worker cluster."""


class WorkloadSync(Protocol):
    """Builds the objects on a worker that sync a destination's paths (for example ArgoCD
    Applications). Implementations parent everything to `opts.parent` and return it."""

    def create(
        self, name: str, request: SyncRequest, opts: pulumi.ResourceOptions
    ) -> Sequence[pulumi.Resource]: ...
