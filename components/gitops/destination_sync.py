"""How a destination's paths reach its cluster (the Destination component's WorkloadSync seam):
ArgoCD Applications for git stores, Flux for bucket stores.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping, Sequence

import pulumi
import pulumi_kubernetes as k8s

from components import naming
from components.gitops.component import (
    PLATFORM_PROJECT,
    SYNC_WAVE_ANNOTATION,
    ArgoCDAppOfApps,
    app_metadata,
    argocd_secret,
    sync_policy,
)
from components.gitops.flux import FluxBucketAgent
from components.naming import (
    ARGOCD_API,
    FLUX_NAMESPACE,
)
from components.placement import EmbeddedBucket, ExternalBucket, GitStore
from components.sync import SyncRequest

# ---------------------------------------------------------------------------------------------
# Kratix destination sync (the Destination component's WorkloadSync seam)

FLUX_SOURCE_API = "source.toolkit.fluxcd.io/v1"
FLUX_KUSTOMIZE_API = "kustomize.toolkit.fluxcd.io/v1"
# Flux's Bucket Secret keys, from Kratix's key names for the same credentials.
FLUX_BUCKET_KEYS = {"accessKeyID": "accesskey", "secretAccessKey": "secretkey"}
# ArgoCD's repository Secret keys, from Kratix's GitStateStore key names.
ARGOCD_REPOSITORY_KEYS = {
    "username": "username",
    "password": "password",
    "sshPrivateKey": "sshPrivateKey",
}


@dataclasses.dataclass(frozen=True)
class KratixDestinationSync:
    """Syncs a destination's `dependencies/` before its `resources/`, replacing the deprecated
    kratix-destination chart.

    Git stores: two ArgoCD Applications on the platform cluster targeting the worker (hub and
    spoke). ArgoCD has no dependsOn between Applications, so order comes from sync waves (when a
    parent app manages them), creation order, and the resources app skipping the dry run for
    kinds whose CRDs are not there yet and retrying with backoff until they are.
    Bucket stores: ArgoCD cannot read S3, so Flux's source-controller does, on the worker: a
    Bucket and two Kustomizations, resources dependsOn dependencies (Kratix's documented path).
    """

    argocd: ArgoCDAppOfApps
    platform_provider: k8s.Provider
    flux_agents: Mapping[str, FluxBucketAgent] = dataclasses.field(default_factory=dict)
    """Flux on each cluster that syncs a bucket store, by cluster name."""

    def create(
        self, name: str, request: SyncRequest, opts: pulumi.ResourceOptions
    ) -> Sequence[pulumi.Resource]:
        backend = request.store.backend
        if isinstance(backend, GitStore):
            return self._argocd_applications(name, request, backend, opts)
        return self._flux_bucket(name, request, backend, opts)

    def _paths(self, request: SyncRequest) -> list[tuple[str, str]]:
        """(role, path) in sync order; one folder when Kratix writes no dependencies split."""
        if request.dependencies_path is None or request.resources_path is None:
            return [("documents", request.root_path)]
        return [("dependencies", request.dependencies_path), ("resources", request.resources_path)]

    def _argocd_applications(
        self, name: str, request: SyncRequest, git: GitStore, opts: pulumi.ResourceOptions
    ) -> list[pulumi.Resource]:
        on_platform = pulumi.ResourceOptions.merge(
            opts,
            pulumi.ResourceOptions(provider=self.platform_provider, depends_on=[self.argocd.chart]),
        )
        credentials = {
            ARGOCD_REPOSITORY_KEYS[k]: v
            for k, v in request.access.credentials.items()
            if k in ARGOCD_REPOSITORY_KEYS
        }
        repository = argocd_secret(
            naming.child_name(name, "repository"),
            "repository",
            f"kratix-{request.destination}-state",
            {"type": "git", "url": git.url, **credentials},
            {},
            on_platform,
        )
        created: list[pulumi.Resource] = [repository]
        for wave, (role, path) in enumerate(self._paths(request), start=-1):
            server_side = role != "resources"
            policy = sync_policy(request.environment, server_side_apply=server_side)
            if role == "resources":
                # The first sync may run before the dependencies' CRDs exist; retry until then.
                policy["syncOptions"].append("SkipDryRunOnMissingResource=true")
            metadata = app_metadata(
                f"kratix-{request.destination}-{role}",
                request.environment,
                naming.standard_labels("kratix-destination-sync", request.destination),
            )
            metadata["annotations"] = {SYNC_WAVE_ANNOTATION: str(wave)}
            created.append(
                k8s.apiextensions.CustomResource(
                    naming.child_name(name, role),
                    api_version=ARGOCD_API,
                    kind="Application",
                    metadata=metadata,
                    spec={
                        "project": PLATFORM_PROJECT,
                        "source": {
                            "repoURL": git.url,
                            "targetRevision": git.branch,
                            "path": path,
                            "directory": {"recurse": True},
                        },
                        "destination": {"name": request.cluster},
                        "syncPolicy": policy,
                    },
                    opts=pulumi.ResourceOptions.merge(
                        on_platform, pulumi.ResourceOptions(depends_on=created[:])
                    ),
                )
            )
        return created

    def _flux_bucket(
        self,
        name: str,
        request: SyncRequest,
        bucket: ExternalBucket | EmbeddedBucket,
        opts: pulumi.ResourceOptions,
    ) -> list[pulumi.Resource]:
        embedded = isinstance(bucket, EmbeddedBucket)
        source_name = f"kratix-{request.destination}"
        labels = naming.standard_labels("kratix-destination-sync", request.destination)
        # Flux's namespace and CRDs come with its chart on the worker.
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(depends_on=[self.flux_agents[request.cluster].chart])
        )
        iam = isinstance(bucket, ExternalBucket) and bucket.auth_method == "IAM"
        spec: dict = {
            "interval": "1m",
            "bucketName": bucket.bucket_name,
            "endpoint": request.access.address,
            "insecure": embedded or (isinstance(bucket, ExternalBucket) and bucket.insecure),
            "prefix": request.root_path,
            # IAM: source-controller's own role (workload identity) reads the bucket.
            "provider": "aws" if iam else "generic",
        }
        created: list[pulumi.Resource] = []
        if request.access.credentials:
            # Same Pulumi secrets as Kratix's Secret, under Flux's key names.
            created.append(
                k8s.core.v1.Secret(
                    naming.child_name(name, "bucket-credentials"),
                    metadata={
                        "name": f"{source_name}-bucket",
                        "namespace": FLUX_NAMESPACE,
                        "labels": labels,
                    },
                    string_data={
                        FLUX_BUCKET_KEYS[k]: pulumi.Output.secret(v)
                        for k, v in request.access.credentials.items()
                    },
                    opts=opts,
                )
            )
            spec["secretRef"] = {"name": f"{source_name}-bucket"}
        source = k8s.apiextensions.CustomResource(
            naming.child_name(name, "bucket"),
            api_version=FLUX_SOURCE_API,
            kind="Bucket",
            metadata={"name": source_name, "namespace": FLUX_NAMESPACE, "labels": labels},
            spec=spec,
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=created[:])),
        )
        created.append(source)
        previous: str | None = None
        for role, path in self._paths(request):
            kustomization = {
                "interval": "1m",
                "prune": True,
                "path": f"./{path}",
                "sourceRef": {"kind": "Bucket", "name": source_name},
                "retryInterval": "30s",
                "timeout": "5m",
            }
            if previous:
                kustomization["dependsOn"] = [{"name": previous}]
            previous = f"{source_name}-{role}"
            created.append(
                k8s.apiextensions.CustomResource(
                    naming.child_name(name, role),
                    api_version=FLUX_KUSTOMIZE_API,
                    kind="Kustomization",
                    metadata={"name": previous, "namespace": FLUX_NAMESPACE, "labels": labels},
                    spec=kustomization,
                    opts=pulumi.ResourceOptions.merge(
                        opts, pulumi.ResourceOptions(depends_on=[source])
                    ),
                )
            )
        return created
