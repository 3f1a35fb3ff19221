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

from components import charts, dora, naming
from components.catalog import platform_entities, promise_entities
from components.cloud_resources import CloudResources, CloudResourcesArgs
from components.clusters import cluster_provider, render_directory
from components.config import REPOSITORY_CREDENTIALS, StackConfig, crossplane_clusters
from components.destination import Destination, DestinationArgs, WorkloadSync
from components.dora import DeliveryMetrics, DeliveryMetricsArgs
from components.finops import CostAllocation, CostAllocationArgs, finops_outputs
from components.flux import FluxBucketAgent, FluxBucketAgentArgs
from components.gitops import (
    ArgoCDAppOfApps,
    ArgoCDAppOfAppsArgs,
    ArgoCDCluster,
    KratixDestinationSync,
    cluster_config,
    in_cluster_config,
)
from components.kratix_platform import KratixPlatform, KratixPlatformArgs
from components.naming import (
    ARGOCD_NAMESPACE,
    CERT_MANAGER_NAMESPACE,
    CROSSPLANE_NAMESPACE,
    FLUX_NAMESPACE,
    IN_CLUSTER_SERVER,
    KRATIX_NAMESPACE,
    KUBECOST_NAMESPACE,
    PORTAL_NAMESPACE,
    SECRET_MANAGER_NAMESPACES,
)
from components.observability import (
    ObservabilityCharts,
    ObservabilityStack,
    ObservabilityStackArgs,
    WorkerTelemetry,
)
from components.portal import DeveloperPortal, DeveloperPortalArgs, PortalCluster
from components.profiles import PROFILES
from components.promise import KratixPromise, KratixPromiseArgs
from components.security_baseline import (
    SecurityBaseline,
    SecurityBaselineArgs,
    team_cost_labels,
    team_namespaces_by_cluster,
)
from components.state_store import StateStore, StateStoreArgs
from promises import all_promises
from promises.cloud import composite_apis

# ArgoCD's API as the portal's Argo CD plugin reaches it: the argo-cd chart's server Service.
ARGOCD_API_URL = f"https://argocd-server.{ARGOCD_NAMESPACE}.svc"


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
    observability: ObservabilityStack | None = None
    promises: Mapping[str, KratixPromise] = dataclasses.field(default_factory=dict)
    cost: Mapping[str, CostAllocation] = dataclasses.field(default_factory=dict)
    delivery: DeliveryMetrics | None = None
    portal: DeveloperPortal | None = None
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
                            | {naming.embedded_store_namespace(s.name)
                               for s in self.config.state_stores if s.embedded})
        outputs: dict[str, object] = {
                   "profile": self.config.profile, "topology": self.config.topology,
                   "clusters": clusters, "destinations": destinations, "stateStores": stores,
                   "namespaces": namespaces}
        if self.gitops is not None:
            outputs["gitops"] = {"namespace": self.gitops.namespace,
                                 "rootApplication": self.gitops.root_application,
                                 "applicationSets": self.gitops.application_sets}
        if self.security:
            outputs["security"] = {cluster: {"enforce": baseline.enforce,
                                             "teamNamespaces": baseline.namespaces}
                                   for cluster, baseline in self.security.items()}
        if self.observability is not None:
            outputs["observability"] = {"namespace": self.observability.namespace,
                                        "endpoints": self.observability.endpoints}
        if self.promises:
            outputs["promises"] = {name: {"version": p.version, "image": p.image}
                                   for name, p in self.promises.items()}
        if self.cost:
            outputs["finops"] = finops_outputs(self.config.finops, self.cost, self.delivery)
        if self.portal is not None:
            outputs["portal"] = {"namespace": self.portal.namespace,
                                 "url": self.config.portal.base_url,
                                 "catalogEntities": sorted(f"{e['kind']}:{e['metadata']['name']}"
                                                           for e in self.portal.entities)}
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
    namespaces |= {naming.embedded_store_namespace(s.name) for s in config.state_stores
                   if s.embedded}
    if config.gitops.enabled:
        namespaces |= {ARGOCD_NAMESPACE, SECRET_MANAGER_NAMESPACES[config.gitops.secrets]}
    if config.observability.enabled:
        namespaces.add(naming.OBSERVABILITY_NAMESPACE)
    if config.promises.enabled:  # the promises' operators on the destinations
        namespaces |= {d.operator.namespace for d in offered_promises(config) if d.operator}
    if config.finops.enabled:
        namespaces.add(KUBECOST_NAMESPACE)
    if config.portal.enabled:
        namespaces.add(PORTAL_NAMESPACE)
    if config.crossplane.enabled:
        namespaces.add(CROSSPLANE_NAMESPACE)
    return sorted(namespaces)


def team_environments(config: StackConfig) -> list[str]:
    """Environments ArgoCD deploys team services to, in the order clusters declare them."""
    environments: list[str] = []
    for cluster in argocd_clusters(config):
        if cluster.environment not in environments:
            environments.append(cluster.environment)
    return environments


def environments_by_cluster(config: StackConfig) -> dict[str, list[str]]:
    """The environments each cluster serves: those of the destinations it syncs."""
    served: dict[str, list[str]] = {}
    for destination in config.destinations:
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
        "environments": json.dumps(sorted({d.environment for d in config.destinations})),
        "destinations": json.dumps(sorted(d.name for d in config.destinations)),
        "clusters": json.dumps(sorted(c.name for c in config.clusters)),
        "gitops": "true" if config.gitops.enabled else "false",
        "observability": "true" if config.observability.enabled else "false",
        "promises": json.dumps(sorted(d.name for d in offered_promises(config))),
        "portal": "true" if config.portal.enabled else "false",
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

    observability = None
    if config.observability.enabled:
        observability = ObservabilityStack("observability", ObservabilityStackArgs(
            platform_provider=platform_provider, platform_cluster=config.platform_cluster.name,
            workers=WorkerTelemetry({c.name: providers[c.name] for c in config.clusters
                                     if c.role == "worker"}, config.telemetry_gateway)
            if config.telemetry_gateway is not None else None,
            charts=ObservabilityCharts(
                operator_crds=config.chart("prometheus-operator-crds", project_dir),
                kube_prometheus_stack=config.chart("kube-prometheus-stack", project_dir),
                loki=config.chart("loki", project_dir),
                tempo=config.chart("tempo", project_dir),
                otel_operator=config.chart("opentelemetry-operator", project_dir),
                otel_collector=config.chart("opentelemetry-collector", project_dir),
                cert_manager=config.chart("cert-manager", project_dir)),
            profile=profile, settings=config.observability,
            platform_cert_manager=[platform.cert_manager]))

    # ServiceMonitors and rules of other layers (FinOps) wait for the Prometheus Operator CRDs;
    # without the observability layer nothing could render them.
    monitoring_crds: list[pulumi.Resource] = list(observability.crds_ready) if observability else []

    gitops = None
    if config.gitops.enabled:
        gitops = ArgoCDAppOfApps("gitops", ArgoCDAppOfAppsArgs(
            settings=config.gitops, provider=platform_provider,
            argocd_chart=config.chart("argo-cd", project_dir),
            secrets_chart=config.chart(config.gitops.secrets, project_dir),
            profile=profile, teams=config.teams, clusters=argocd_clusters(config),
            repository_credentials=config.gitops_credentials.get(REPOSITORY_CREDENTIALS, {}),
            extra_chart_values=dora.argocd_values(team_environments(config), profile,
                                                  service_monitors=bool(monitoring_crds))
            if config.finops.enabled else {},
            chart_depends_on=monitoring_crds if config.finops.enabled else []))
        if workload_sync is None:
            flux_agents = {
                cluster: FluxBucketAgent(f"flux-{cluster}", FluxBucketAgentArgs(
                    provider=providers[cluster], chart=config.chart("flux2", project_dir),
                    profile=profile, helm_controller=config.promises.enabled))
                for cluster in clusters_syncing_buckets(config)}
            workload_sync = KratixDestinationSync(gitops, platform_provider, flux_agents)

    destinations = {}
    for spec in config.destinations:
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
            selectors = settings.destination_selectors
            waits_for: list[pulumi.Resource] = [platform.controller]
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
                    team_labels={team.name: team_cost_labels(team) for team in config.teams},
                    depends_on=waits_for))

    cost: dict[str, CostAllocation] = {}
    delivery = None
    if config.finops.enabled:
        shared = sorted(set(platform_namespaces(config))
                        | {"kube-system", naming.OBSERVABILITY_NAMESPACE})
        cost = {
            cluster.name: CostAllocation(f"finops-{cluster.name}", CostAllocationArgs(
                provider=providers[cluster.name], chart=config.chart("kubecost", project_dir),
                profile=profile, settings=config.finops, cluster_id=cluster.name,
                primary=cluster.role == "platform", shared_namespaces=shared))
            for cluster in config.clusters}
        if gitops is not None:
            delivery = DeliveryMetrics("dora", DeliveryMetricsArgs(
                provider=platform_provider,
                pushgateway_chart=config.chart("prometheus-pushgateway", project_dir),
                profile=profile, environments=team_environments(config),
                baseline=config.finops.baseline, monitoring_crds=monitoring_crds))

    portal = None
    if config.portal_site is not None:  # the portal is on
        portal = DeveloperPortal("portal", DeveloperPortalArgs(
            settings=config.portal, site=config.portal_site, provider=platform_provider,
            chart=config.chart("backstage", project_dir), profile=profile,
            clusters=portal_clusters(config, providers),
            entities=platform_entities(config) + promise_entities(config,
                                                                  offered_promises(config)),
            credentials=config.portal_credentials,
            argocd_api=ARGOCD_API_URL if gitops is not None else None))

    pulumi.log.info(f"idp: {config.topology} platform with {len(destinations)} destination(s) "
                    f"on {len(config.clusters)} cluster(s), profile {config.profile}")
    return Topology(config, stack, providers, platform, state_stores, destinations, gitops,
                    security, observability, promises, cost, delivery, portal, cloud)


def clusters_syncing_buckets(config: StackConfig) -> list[str]:
    """Clusters with a destination on a bucket state store: they need Flux (ArgoCD has no S3)."""
    return sorted({d.cluster for d in config.destinations
                   if config.state_store(d.state_store).kind == "bucket"})


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
            token = config.gitops_credentials.get(cluster.name, {}).get("bearerToken")
            server = config.worker_servers[cluster.name]
            auth = cluster_config(config.gitops, cluster.name, cluster.ca_data, token)
        clusters.append(ArgoCDCluster(cluster.name, hosted[0].environment, labels, server, auth))
    return clusters


def portal_clusters(config: StackConfig, providers: Mapping[str, k8s.Provider]
                    ) -> list[PortalCluster]:
    """The clusters the portal's Kubernetes plugin shows: the platform cluster in-cluster, and
    each worker ArgoCD reaches, through the same kind of identity (IAM role, or a token from
    portalCredentials.<worker>.token)."""
    platform = config.platform_cluster
    clusters = [PortalCluster(platform.name, IN_CLUSTER_SERVER, providers[platform.name],
                              # No token: the plugin uses the pod's ServiceAccount token.
                              {"authProvider": "serviceAccount"})]
    for worker in config.clusters:
        if worker.role != "worker" or not worker.server:
            continue
        auth: dict = {"authProvider": "serviceAccount"}
        token = None
        if config.gitops.cluster_auth == "awsIAM":
            auth = {"authProvider": "aws",
                    "authMetadata": {"kubernetes.io/x-k8s-aws-id": worker.name}}
        else:
            token = config.portal_credentials.get(worker.name, {}).get("token")
            if not token:
                continue  # a bearer-token worker is shown once it has a portal token
        if worker.ca_data:
            auth["caData"] = worker.ca_data
        clusters.append(PortalCluster(worker.name, worker.server, providers[worker.name],
                                      auth, token))
    return clusters
