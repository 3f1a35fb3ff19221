"""Destination: a Kratix Destination on the platform cluster, and the seam for syncing it.

Kratix writes a destination's documents to `<store path>/<destination path>/dependencies/` and
`.../resources/`. Something on the worker must sync the first before the second. The deprecated
`kratix-destination` chart used to do that; here a `WorkloadSync` builds those objects on the
worker. The GitOps layer provides the ArgoCD implementation; until one is given, the Destination
exports the paths to sync and creates nothing on the worker.
"""

from __future__ import annotations

import dataclasses
import posixpath
from typing import ClassVar, Sequence

import pulumi
import pulumi_kubernetes as k8s

from components import naming
from components.naming import KRATIX_API
from components.placement import Destination as DestinationSpec
from components.placement import StateStore as StateStoreSpec
from components.sync import StoreAccess, SyncRequest, WorkloadSync


@dataclasses.dataclass(frozen=True)
class DestinationArgs:
    spec: DestinationSpec
    """The validated, resolved destination settings."""
    store: StateStoreSpec
    """The state store the destination reads."""
    store_access: StoreAccess
    """Address and credentials of that store, for the worker's sync objects."""
    platform_provider: k8s.Provider
    """Provider of the platform cluster, where the Destination object lives."""
    worker_provider: k8s.Provider
    """Provider of the cluster that syncs the destination."""
    depends_on: Sequence[pulumi.Resource] = ()
    """The state store object (and anything else that must exist first)."""
    workload_sync: WorkloadSync | None = None
    """How the worker syncs the destination's paths; None until the GitOps layer provides it."""


def sync_paths(store: StateStoreSpec, spec: DestinationSpec) -> tuple[str, str | None, str | None]:
    """(root, dependencies, resources) folders Kratix writes for this destination."""
    root = posixpath.normpath(posixpath.join(store.path or ".", spec.path))
    if spec.filepath_mode != "nestedByMetadata":
        return root, None, None
    return root, posixpath.join(root, "dependencies"), posixpath.join(root, "resources")


class Destination(pulumi.ComponentResource):
    """A place Kratix schedules work to, labelled for promise destination selectors."""

    TYPE: ClassVar[str] = "idp:platform:Destination"

    labels: dict[str, str]
    path: str
    dependencies_path: str | None
    resources_path: str | None
    resource: k8s.apiextensions.CustomResource
    sync_objects: Sequence[pulumi.Resource]

    def __init__(
        self, name: str, args: DestinationArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__(self.TYPE, name, {}, opts)
        spec = args.spec
        self.labels = spec.all_labels
        self.path, self.dependencies_path, self.resources_path = sync_paths(args.store, spec)
        self.resource = k8s.apiextensions.CustomResource(
            naming.child_name(name, "destination"),
            api_version=KRATIX_API,
            kind="Destination",
            metadata={"name": spec.name, "labels": self.labels},
            spec={
                "path": spec.path,
                "stateStoreRef": {"kind": args.store.crd_kind, "name": args.store.name},
                "strictMatchLabels": spec.strict_match_labels,
                "filepath": {"mode": spec.filepath_mode},
                "cleanup": spec.cleanup,
            },
            opts=pulumi.ResourceOptions(
                parent=self, provider=args.platform_provider, depends_on=list(args.depends_on)
            ),
        )
        self.sync_objects = ()
        if args.workload_sync is not None:
            request = SyncRequest(
                spec.name,
                spec.cluster,
                spec.environment,
                args.store,
                args.store_access,
                self.path,
                self.dependencies_path,
                self.resources_path,
                args.worker_provider,
            )
            self.sync_objects = tuple(
                args.workload_sync.create(
                    naming.child_name(name, "sync"),
                    request,
                    pulumi.ResourceOptions(parent=self, provider=args.worker_provider),
                )
            )
        self.register_outputs(
            {
                "labels": self.labels,
                "path": self.path,
                "dependenciesPath": self.dependencies_path,
                "resourcesPath": self.resources_path,
            }
        )
