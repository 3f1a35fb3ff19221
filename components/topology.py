"""Compose the layers for one stack: providers per cluster, Kratix, state stores, GitOps,
destinations.

Single-cluster: the platform cluster also syncs its own destination. Multi-cluster: Kratix,
ArgoCD and every Destination object live on the platform cluster; each worker has its own
provider for the objects that sync its destination there (Flux for bucket stores).
ArgoCD does not wait for Kratix: they install side by side.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Mapping

import pulumi
import pulumi_kubernetes as k8s

from components import charts
from components.clusters import cluster_provider, render_directory
from components.cloud_resources import CROSSPLANE_NAMESPACE, CloudResources, CloudResourcesArgs
from components.config import (KRATIX_NAMESPACE, REPOSITORY_CREDENTIALS, StackConfig,
                               crossplane_clusters)
from components.flux import FLUX_NAMESPACE, FluxBucketAgent, FluxBucketAgentArgs
from components.destination import Destination, DestinationArgs, WorkloadSync
from components.gitops import (ARGOCD_NAMESPACE, ROOT_APPLICATION, SECRET_MANAGER_NAMESPACES, ArgoCDAppOfApps, ArgoCDAppOfAppsArgs, ArgoCDCluster,
                               KratixDestinationSync, cluster_config, in_cluster_config)
from components.kratix_platform import CERT_MANAGER_NAMESPACE, KratixPlatform, KratixPlatformArgs
from components.profiles import PROFILES
from components.promise import KratixPromise, KratixPromiseArgs
from components.security_baseline import (SecurityBaseline, SecurityBaselineArgs,
                                          team_namespaces_by_cluster)
from components.state_store import StateStore, StateStoreArgs
from promises import all_promises
from promises.cloud import composite_apis


@dataclasses.dataclass
class Topology:
    config: StackConfig
    stack: str
    providers: Mapping[str, k8s.Provider]
    platform: KratixPlatform
    state_stores: Mapping[str, StateStore]
    destinations: Mapping[str, Destination]
    gitops: ArgoCDAppOfApps | None = None
    security: Mapping[str, SecurityBaseline] = dataclasses.field(default_factory=dict)
    promises: Mapping[str, KratixPromise] = dataclasses.field(default_factory=dict)
    cloud: Mapping[str, CloudResources] = dataclasses.field(default_factory=dict)

    def outputs(self) -> dict[str, object]:
        """Stack outputs: what an operator needs to find and reach each piece."""
        clusters = {}
        for cluster in self.config.clusters:
            target = {"mode": cluster.target.mode}
            if cluster.target.mode == "render":
                target["renderDir"] = render_directory(self.stack, cluster)
            elif cluster.target.context:
                target["context"] = cluster.target.context
            clusters[cluster.name] = {"role": cluster.role, "target": target}
        destinations = {
            spec.name: {"cluster": spec.cluster, "stateStore": spec.state_store,
                        "labels": dest.labels, "path": dest.path,
                        "dependenciesPath": dest.dependencies_path,
                        "resourcesPath": dest.resources_path}
            for spec, dest in ((spec, self.destinations[spec.name])
                               for spec in self.config.destinations)}
        stores = {name: {"kind": store.kind, "endpoint": store.endpoint}
                  for name, store in self.state_stores.items()}
        namespaces = sorted({CERT_MANAGER_NAMESPACE, self.platform.namespace}
                            | {s.secret_namespace for s in self.config.state_stores}
                            | {f"statestore-{s.name}" for s in self.config.state_stores
                               if s.bucket and s.bucket.embedded})
        outputs = {"profile": self.config.profile, "topology": self.config.topology,
                   "clusters": clusters, "destinations": destinations, "stateStores": stores,
                   "namespaces": namespaces}
        if self.gitops is not None:
            outputs["gitops"] = {"namespace": self.gitops.namespace,
                                 "rootApplication": ROOT_APPLICATION,
                                 "applicationSets": self.gitops.application_sets}
        if self.security:
            outputs["security"] = {cluster: {"enforce": baseline.enforce,
                                             "teamNamespaces": baseline.namespaces}
                                   for cluster, baseline in self.security.items()}
        if self.promises:
            outputs["promises"] = {name: {"version": p.version, "image": p.image}
                                   for name, p in self.promises.items()}
        if self.cloud:
            outputs["crossplane"] = {cluster: {"namespace": layer.namespace,
                                               "providers": layer.providers,
                                               "compositeApis": layer.composite_apis}
                                     for cluster, layer in self.cloud.items()}
        return outputs


def platform_namespaces(config: StackConfig) -> list[str]:
    """The namespaces the platform's own components and charts use (Kyverno leaves them alone)."""
    namespaces = {CERT_MANAGER_NAMESPACE, KRATIX_NAMESPACE, FLUX_NAMESPACE}
    namespaces |= {s.secret_namespace for s in config.state_stores}
    namespaces |= {f"statestore-{s.name}" for s in config.state_stores
                   if s.bucket and s.bucket.embedded}
    if config.gitops.enabled:
        namespaces |= {ARGOCD_NAMESPACE, SECRET_MANAGER_NAMESPACES[config.gitops.secrets]}
    if config.promises.enabled:  # the promises' operators on the destinations
        namespaces |= {d.operator.namespace for d in all_promises() if d.operator}
    if config.crossplane.enabled:
        namespaces.add(CROSSPLANE_NAMESPACE)
    return sorted(namespaces)


def environments_by_cluster(config: StackConfig) -> dict[str, list[str]]:
    """The environments each cluster serves: those of the destinations it syncs."""
    served: dict[str, list[str]] = {}
    for destination in config.destinations:
        assert destination.cluster and destination.environment
        environments = served.setdefault(destination.cluster, [])
        if destination.environment not in environments:
            environments.append(destination.environment)
    return served


def platform_facts(config: StackConfig) -> dict[str, str]:
    """What the stack declares, published for the policy packs (adoption fit) and the portal."""
    return {
        "profile": config.profile,
        "topology": config.topology,
        "teams": json.dumps(sorted(t.name for t in config.teams)),
        "environments": json.dumps(sorted({d.environment for d in config.destinations
                                           if d.environment})),
        "destinations": json.dumps(sorted(d.name for d in config.destinations)),
        "clusters": json.dumps(sorted(c.name for c in config.clusters)),
        "gitops": "true" if config.gitops.enabled else "false",
        "promises": json.dumps(sorted(d.name for d in offered_promises(config))),
        # Layers that later issues add; published now so readers can rely on the keys.
        "portal": "false",
        "crossplane": "true" if config.crossplane.enabled else "false",
    }


def offered_promises(config: StackConfig) -> list:
    """The promises this stack installs: none without idp:promises; the cloud-backed ones only
    where the Crossplane layer runs to reconcile what their pipelines emit."""
    if not config.promises.enabled:
        return []
    return [d for d in all_promises() if config.crossplane.enabled or not d.cloud_backed]


def compose(config: StackConfig, stack: str, project_dir: Path,
            workload_sync: WorkloadSync | None = None) -> Topology:
    """Register every layer of the platform for `config`."""
    profile = PROFILES[config.profile]
    providers = {c.name: cluster_provider(stack, c) for c in config.clusters}
    platform_provider = providers[config.platform_cluster.name]

    platform = KratixPlatform("kratix", KratixPlatformArgs(
        provider=platform_provider,
        cert_manager_chart=config.chart("cert-manager", project_dir),
        kratix_chart=config.chart("kratix", project_dir),
        profile=profile,
        controller_image=config.kratix.image,
        service_account_annotations=config.kratix.service_account_annotations,
        facts=platform_facts(config)))

    state_stores = {
        spec.name: StateStore(spec.name, StateStoreArgs(
            spec=spec, provider=platform_provider, profile=profile,
            credentials=config.state_store_credentials.get(spec.name, {}),
            images=charts.IMAGES, depends_on=[platform]))
        for spec in config.state_stores}

    gitops = None
    if config.gitops.enabled:
        gitops = ArgoCDAppOfApps("gitops", ArgoCDAppOfAppsArgs(
            settings=config.gitops, provider=platform_provider,
            argocd_chart=config.chart("argo-cd", project_dir),
            secrets_chart=config.chart(config.gitops.secrets, project_dir),
            profile=profile, teams=config.teams, clusters=argocd_clusters(config),
            repository_credentials=config.gitops_credentials.get(REPOSITORY_CREDENTIALS, {})))
        if workload_sync is None:
            flux_agents = {
                cluster: FluxBucketAgent(f"flux-{cluster}", FluxBucketAgentArgs(
                    provider=providers[cluster], chart=config.chart("flux2", project_dir),
                    profile=profile, helm_controller=config.promises.enabled))
                for cluster in clusters_syncing_buckets(config)}
            workload_sync = KratixDestinationSync(gitops, platform_provider, flux_agents)

    destinations = {}
    for spec in config.destinations:
        assert spec.cluster and spec.state_store
        destinations[spec.name] = Destination(spec.name, DestinationArgs(
            spec=spec, store=config.state_store(spec.state_store),
            store_access=state_stores[spec.state_store].access,
            platform_provider=platform_provider, worker_provider=providers[spec.cluster],
            depends_on=[state_stores[spec.state_store].resource],
            workload_sync=workload_sync))

    security = {}
    if config.security.enabled:
        team_namespaces = team_namespaces_by_cluster(config.teams, environments_by_cluster(config))
        security = {
            cluster.name: SecurityBaseline(f"security-{cluster.name}", SecurityBaselineArgs(
                provider=providers[cluster.name], chart=config.chart("kyverno", project_dir),
                profile=profile, settings=config.security,
                team_namespaces=team_namespaces.get(cluster.name, []),
                platform_namespaces=platform_namespaces(config)))
            for cluster in config.clusters}

    cloud = {}
    if config.crossplane.enabled:
        cloud = {
            cluster: CloudResources(f"crossplane-{cluster}", CloudResourcesArgs(
                provider=providers[cluster], chart=config.chart("crossplane", project_dir),
                profile=profile, settings=config.crossplane,
                credentials=config.crossplane_credentials, composite_apis=composite_apis()))
            for cluster in crossplane_clusters(config)}

    promises = {}
    if config.promises.enabled:
        settings = config.promises
        for definition in offered_promises(config):
            operator = definition.operator
            # Cloud-backed promises go where Crossplane runs, after its composite APIs exist.
            selectors, waits_for = settings.destination_selectors, [platform.controller]
            if definition.cloud_backed:
                selectors = config.crossplane.destination_selectors
                waits_for = [platform.controller, *cloud.values()]
            promises[definition.name] = KratixPromise(
                f"promise-{definition.name}", KratixPromiseArgs(
                    definition=definition, provider=platform_provider,
                    image_registry=settings.image_registry,
                    destination_selectors=selectors,
                    operator_chart=(charts.operator_chart(operator.chart, config.chart_mirror)
                                    if operator else None),
                    operator_footprint=profile.promise_operator,
                    depends_on=waits_for))

    pulumi.log.info(f"idp: {config.topology} platform with {len(destinations)} destination(s) "
                    f"on {len(config.clusters)} cluster(s), profile {config.profile}")
    return Topology(config, stack, providers, platform, state_stores, destinations, gitops,
                    security, promises, cloud)


def clusters_syncing_buckets(config: StackConfig) -> list[str]:
    """Clusters with a destination on a bucket state store: they need Flux (ArgoCD has no S3)."""
    return sorted({d.cluster for d in config.destinations
                   if d.cluster and d.state_store
                   and config.state_store(d.state_store).kind == "bucket"})


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
        if cluster.role == "platform":
            server, auth = "https://kubernetes.default.svc", in_cluster_config()
        else:
            assert cluster.server
            token = config.gitops_credentials.get(cluster.name, {}).get("bearerToken")
            server, auth = cluster.server, cluster_config(config.gitops, cluster.name,
                                                            cluster.ca_data, token)
        assert hosted[0].environment
        clusters.append(ArgoCDCluster(cluster.name, hosted[0].environment, labels, server, auth))
    return clusters
