"""The GitOps layer: how it registers, the namespaces it owns, its stack outputs and facts, and its
`LAYER` record (listed in components/topology.py).
"""

from __future__ import annotations

import pulumi

from components.config import StackConfig
from components.gitops.component import (
    ArgoCDAppOfApps,
    ArgoCDAppOfAppsArgs,
    ArgoCDCluster,
    cluster_config,
    in_cluster_config,
)
from components.gitops.destination_sync import KratixDestinationSync
from components.gitops.flux import FluxBucketAgent, FluxBucketAgentArgs
from components.gitops.settings import REPOSITORY_CREDENTIALS, SETTINGS
from components.layer import Layer, Topology, switch
from components.naming import (
    ARGOCD_NAMESPACE,
    FLUX_NAMESPACE,
    IN_CLUSTER_SERVER,
    SECRET_MANAGER_NAMESPACES,
)

# -- the layer: idp:gitops -------------------------------------------------------------------------


def gitops_layer(t: Topology) -> ArgoCDAppOfApps | None:
    config = t.config
    if not SETTINGS.of(config).enabled:
        return None
    addition = t.argocd_addition(t)
    gitops = ArgoCDAppOfApps(
        "gitops",
        ArgoCDAppOfAppsArgs(
            settings=SETTINGS.of(config),
            provider=t.platform_provider,
            argocd_chart=t.chart("argo-cd"),
            secrets_chart=t.chart(SETTINGS.of(config).secrets),
            profile=t.profile,
            teams=config.teams,
            clusters=argocd_clusters(config),
            repository_credentials=SETTINGS.credentials_of(config).get(REPOSITORY_CREDENTIALS, {}),
            extra_chart_values=addition.values,
            chart_depends_on=addition.depends_on,
        ),
    )
    if t.workload_sync is None:
        flux_agents = {
            cluster: FluxBucketAgent(
                f"flux-{cluster}",
                FluxBucketAgentArgs(
                    provider=t.providers[cluster],
                    chart=t.chart("flux2"),
                    profile=t.profile,
                    helm_controller=config.switched_on("promises"),
                ),
            )
            for cluster in clusters_syncing_buckets(config)
        }
        t.workload_sync = KratixDestinationSync(gitops, t.platform_provider, flux_agents)
    return gitops


def clusters_syncing_buckets(config: StackConfig) -> list[str]:
    """Clusters with a destination on a bucket state store: they need Flux (ArgoCD has no S3)."""
    return sorted(
        {
            d.cluster
            for d in config.destinations
            if config.state_store(d.state_store).kind == "bucket"
        }
    )


def argocd_clusters(config: StackConfig) -> list[ArgoCDCluster]:
    """Every cluster that syncs a destination, labelled like its destinations (the first
    destination's labels win where two disagree)."""
    clusters = []
    for cluster in config.clusters:
        hosted = [d for d in config.destinations if d.cluster == cluster.name]
        if not hosted:
            continue
        labels: dict[str, str] = {}
        for destination in reversed(hosted):
            labels.update(destination.all_labels)
        auth: pulumi.Input[str]
        if cluster.role == "platform":
            server, auth = IN_CLUSTER_SERVER, in_cluster_config()
        else:
            token = SETTINGS.credentials_of(config).get(cluster.name, {}).get("bearerToken")
            server = config.worker_servers[cluster.name]
            auth = cluster_config(SETTINGS.of(config), cluster.name, cluster.ca_data, token)
        clusters.append(ArgoCDCluster(cluster.name, hosted[0].environment, labels, server, auth))
    return clusters


def gitops_namespaces(config: StackConfig) -> set[str]:
    # Flux's namespace stays out of Kyverno's way even while GitOps is off.
    namespaces = {FLUX_NAMESPACE}
    if SETTINGS.of(config).enabled:
        namespaces |= {ARGOCD_NAMESPACE, SECRET_MANAGER_NAMESPACES[SETTINGS.of(config).secrets]}
    return namespaces


def gitops_outputs(t: Topology, gitops: ArgoCDAppOfApps | None) -> dict[str, object]:
    if gitops is None:
        return {}
    return {
        "gitops": {
            "namespace": gitops.namespace,
            "rootApplication": gitops.root_application,
            "applicationSets": gitops.application_sets,
        }
    }


def gitops_facts(config: StackConfig) -> dict[str, str]:
    return {"gitops": switch(SETTINGS.of(config).enabled)}


LAYER = Layer(
    "gitops",
    gitops_layer,
    gitops_namespaces,
    gitops_outputs,
    gitops_facts,
    title="GitOps",
    components=(ArgoCDAppOfApps.TYPE, FluxBucketAgent.TYPE),
    settings=SETTINGS,
)
