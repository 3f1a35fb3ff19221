"""One Kubernetes provider per cluster, from the cluster's target mode.

`render` writes every object as YAML under `rendered/<stack>/<cluster>/` and never contacts a
cluster; rendered Secrets are PLAINTEXT there, which is why `rendered/` is git-ignored.
`kubeconfig` applies to a real cluster with server-side apply.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.config import Cluster

RENDER_ROOT = "rendered"


def render_directory(stack: str, cluster: Cluster) -> str:
    """Where render mode writes a cluster's manifests, relative to the project directory.

    Kept relative so the provider's inputs, and so every preview, are the same in every clone.
    """
    return cluster.target.render_dir or f"{RENDER_ROOT}/{stack}/{cluster.name}"


def cluster_provider(
    stack: str, cluster: Cluster, opts: pulumi.ResourceOptions | None = None
) -> k8s.Provider:
    """The provider every resource bound for `cluster` uses."""
    target = cluster.target
    if target.mode == "render":
        return k8s.Provider(
            cluster.name, render_yaml_to_directory=render_directory(stack, cluster), opts=opts
        )
    return k8s.Provider(
        cluster.name,
        kubeconfig=target.kubeconfig,
        context=target.context,
        # Large CRDs (Kratix, later ArgoCD and Prometheus) exceed client-side apply's limit.
        enable_server_side_apply=True,
        opts=opts,
    )
