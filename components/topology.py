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
from typing import Callable, Mapping

import pulumi
import pulumi_kubernetes as k8s

from components import charts, dora, naming
from components.catalog import platform_entities, promise_entities
from components.charts import ResolvedChart
from components.cloud_resources import CloudResources, CloudResourcesArgs
from components.clusters import cluster_provider, render_directory
from components.config import (
    REPOSITORY_CREDENTIALS,
    StackConfig,
    crossplane_clusters,
    offered_promises,
)
from components.destination import Destination, DestinationArgs
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
    ARGOCD_API_URL,
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
from components.profiles import PROFILES, SizeProfile
from components.promise import KratixPromise, KratixPromiseArgs
from components.security_baseline import (
    SecurityBaseline,
    SecurityBaselineArgs,
    team_namespaces_by_cluster,
)
from components.state_store import StateStore, StateStoreArgs
from components.sync import WorkloadSync
from promises.cloud import composite_apis


@dataclasses.dataclass
class Topology:
    """What `compose` registered, layer by layer (each layer fills its own fields)."""

    config: StackConfig
    stack: str
    project_dir: Path
    providers: Mapping[str, k8s.Provider]
    workload_sync: WorkloadSync | None = None
    """How destinations' paths reach their clusters: the GitOps layer's, unless given."""
    platform: KratixPlatform = dataclasses.field(init=False)
    state_stores: Mapping[str, StateStore] = dataclasses.field(default_factory=dict)
    destinations: Mapping[str, Destination] = dataclasses.field(default_factory=dict)
    monitoring_crds: list[pulumi.Resource] = dataclasses.field(default_factory=list)
    """What ServiceMonitors and rules of other layers wait for (none without observability)."""
    gitops: ArgoCDAppOfApps | None = None
    security: Mapping[str, SecurityBaseline] = dataclasses.field(default_factory=dict)
    observability: ObservabilityStack | None = None
    promises: Mapping[str, KratixPromise] = dataclasses.field(default_factory=dict)
    cost: Mapping[str, CostAllocation] = dataclasses.field(default_factory=dict)
    delivery: DeliveryMetrics | None = None
    portal: DeveloperPortal | None = None
    cloud: Mapping[str, CloudResources] = dataclasses.field(default_factory=dict)

    @property
    def profile(self) -> SizeProfile:
        return PROFILES[self.config.profile]

    @property
    def platform_provider(self) -> k8s.Provider:
        return self.providers[self.config.platform_cluster.name]

    def chart(self, key: str) -> ResolvedChart:
        return self.config.chart(key, self.project_dir)

    def outputs(self) -> dict[str, object]:
        """Stack outputs: what an operator needs to find and reach each piece, layer by layer."""
        outputs: dict[str, object] = {}
        for layer in LAYERS:
            outputs.update(layer.outputs(self))
        return outputs


def platform_namespaces(config: StackConfig) -> list[str]:
    """The namespaces the platform's own components and charts use (Kyverno leaves them alone)."""
    return sorted(set().union(*(layer.namespaces(config) for layer in LAYERS)))


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
    """What the stack declares, published for the policy packs (adoption fit) and the portal:
    each layer's facts (`Layer.facts`)."""
    facts: dict[str, str] = {}
    for layer in LAYERS:
        facts.update(layer.facts(config))
    return facts


def _switch(enabled: bool) -> str:
    return "true" if enabled else "false"


def compose(
    config: StackConfig, stack: str, project_dir: Path, workload_sync: WorkloadSync | None = None
) -> Topology:
    """Register every layer of the platform for `config`, in the order of `LAYERS`."""
    if not config.await_service_endpoints:
        pulumi.runtime.register_resource_transform(skip_service_await)
    providers = {c.name: cluster_provider(stack, c) for c in config.clusters}
    topology = Topology(config, stack, project_dir, providers, workload_sync)
    for layer in LAYERS:
        layer.build(topology)
    pulumi.log.info(
        f"idp: {config.topology} platform with {len(topology.destinations)} "
        f"destination(s) on {len(config.clusters)} cluster(s), profile "
        f"{config.profile}"
    )
    return topology


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


# -- the layers, in the order they register; each reads the config and what earlier layers hold


def kratix_layer(t: Topology) -> None:
    config = t.config
    t.platform = KratixPlatform(
        "kratix",
        KratixPlatformArgs(
            provider=t.platform_provider,
            cert_manager_chart=t.chart("cert-manager"),
            kratix_chart=t.chart("kratix"),
            profile=t.profile,
            controller_image=config.kratix.image,
            service_account_annotations=config.kratix.service_account_annotations,
            facts=platform_facts(config),
        ),
    )


def state_store_layer(t: Topology) -> None:
    t.state_stores = {
        spec.name: StateStore(
            spec.name,
            StateStoreArgs(
                spec=spec,
                provider=t.platform_provider,
                profile=t.profile,
                credentials=t.config.state_store_credentials.get(spec.name, {}),
                images=charts.IMAGES,
                depends_on=[t.platform],
            ),
        )
        for spec in t.config.state_stores
    }


def observability_layer(t: Topology) -> None:
    config = t.config
    if not config.observability.enabled:
        return
    t.observability = ObservabilityStack(
        "observability",
        ObservabilityStackArgs(
            platform_provider=t.platform_provider,
            platform_cluster=config.platform_cluster.name,
            workers=WorkerTelemetry(
                {c.name: t.providers[c.name] for c in config.clusters if c.role == "worker"},
                config.telemetry_gateway,
            )
            if config.telemetry_gateway is not None
            else None,
            charts=ObservabilityCharts(
                operator_crds=t.chart("prometheus-operator-crds"),
                kube_prometheus_stack=t.chart("kube-prometheus-stack"),
                loki=t.chart("loki"),
                tempo=t.chart("tempo"),
                otel_operator=t.chart("opentelemetry-operator"),
                otel_collector=t.chart("opentelemetry-collector"),
                cert_manager=t.chart("cert-manager"),
            ),
            profile=t.profile,
            settings=config.observability,
            platform_cert_manager=[t.platform.cert_manager],
            argocd=config.gitops.enabled,
        ),
    )
    # ServiceMonitors and rules of other layers (FinOps) wait for the Prometheus Operator CRDs.
    t.monitoring_crds = list(t.observability.crds_ready)


def gitops_layer(t: Topology) -> None:
    config = t.config
    if not config.gitops.enabled:
        return
    t.gitops = ArgoCDAppOfApps(
        "gitops",
        ArgoCDAppOfAppsArgs(
            settings=config.gitops,
            provider=t.platform_provider,
            argocd_chart=t.chart("argo-cd"),
            secrets_chart=t.chart(config.gitops.secrets),
            profile=t.profile,
            teams=config.teams,
            clusters=argocd_clusters(config),
            repository_credentials=config.gitops_credentials.get(REPOSITORY_CREDENTIALS, {}),
            extra_chart_values=dora.argocd_values(
                team_environments(config), t.profile, service_monitors=bool(t.monitoring_crds)
            )
            if config.finops.enabled
            else {},
            chart_depends_on=t.monitoring_crds if config.finops.enabled else [],
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
                    helm_controller=config.promises.enabled,
                ),
            )
            for cluster in clusters_syncing_buckets(config)
        }
        t.workload_sync = KratixDestinationSync(t.gitops, t.platform_provider, flux_agents)


def destination_layer(t: Topology) -> None:
    t.destinations = {
        spec.name: Destination(
            spec.name,
            DestinationArgs(
                spec=spec,
                store=t.config.state_store(spec.state_store),
                store_access=t.state_stores[spec.state_store].access,
                platform_provider=t.platform_provider,
                worker_provider=t.providers[spec.cluster],
                depends_on=[t.state_stores[spec.state_store].resource],
                workload_sync=t.workload_sync,
            ),
        )
        for spec in t.config.destinations
    }


def security_layer(t: Topology) -> None:
    config = t.config
    if not config.security.enabled:
        return
    team_namespaces = team_namespaces_by_cluster(config.teams, environments_by_cluster(config))
    t.security = {
        cluster.name: SecurityBaseline(
            f"security-{cluster.name}",
            SecurityBaselineArgs(
                provider=t.providers[cluster.name],
                chart=t.chart("kyverno"),
                profile=t.profile,
                settings=config.security,
                team_namespaces=team_namespaces.get(cluster.name, []),
                platform_namespaces=platform_namespaces(config),
            ),
        )
        for cluster in config.clusters
    }


def crossplane_layer(t: Topology) -> None:
    config = t.config
    t.cloud = {
        cluster: CloudResources(
            f"crossplane-{cluster}",
            CloudResourcesArgs(
                provider=t.providers[cluster],
                chart=t.chart("crossplane"),
                profile=t.profile,
                settings=config.crossplane,
                credentials=config.crossplane_credentials,
                composite_apis=composite_apis(),
            ),
        )
        for cluster in crossplane_clusters(config)
    }


def promise_layer(t: Topology) -> None:
    config = t.config
    settings = config.promises
    promises = {}
    for definition in offered_promises(config):
        operator = definition.operator
        # Cloud-backed promises go where Crossplane runs, after its composite APIs exist.
        selectors = settings.destination_selectors
        waits_for: list[pulumi.Resource] = [t.platform.controller]
        if definition.cloud_backed:
            selectors = config.crossplane.destination_selectors
            waits_for = [t.platform.controller, *t.cloud.values()]
        promises[definition.name] = KratixPromise(
            f"promise-{definition.name}",
            KratixPromiseArgs(
                definition=definition,
                provider=t.platform_provider,
                image_registry=settings.image_registry,
                destination_selectors=selectors,
                operator_chart=(
                    charts.operator_chart(operator.chart, config.chart_mirror) if operator else None
                ),
                operator_footprint=t.profile.promise_operator,
                team_labels={team.name: team.cost_labels for team in config.teams},
                depends_on=waits_for,
            ),
        )
    t.promises = promises


def finops_layer(t: Topology) -> None:
    config = t.config
    if not config.finops.enabled:
        return
    shared = sorted(
        set(platform_namespaces(config)) | {"kube-system", naming.OBSERVABILITY_NAMESPACE}
    )
    t.cost = {
        cluster.name: CostAllocation(
            f"finops-{cluster.name}",
            CostAllocationArgs(
                provider=t.providers[cluster.name],
                chart=t.chart("kubecost"),
                profile=t.profile,
                settings=config.finops,
                cluster_id=cluster.name,
                primary=cluster.role == "platform",
                shared_namespaces=shared,
            ),
        )
        for cluster in config.clusters
    }
    if t.gitops is not None:
        t.delivery = DeliveryMetrics(
            "dora",
            DeliveryMetricsArgs(
                provider=t.platform_provider,
                pushgateway_chart=t.chart("prometheus-pushgateway"),
                profile=t.profile,
                environments=team_environments(config),
                baseline=config.finops.baseline,
                monitoring_crds=t.monitoring_crds,
            ),
        )


def portal_layer(t: Topology) -> None:
    config = t.config
    if config.portal_site is None:  # the portal is off
        return
    t.portal = DeveloperPortal(
        "portal",
        DeveloperPortalArgs(
            settings=config.portal,
            site=config.portal_site,
            provider=t.platform_provider,
            chart=t.chart("backstage"),
            profile=t.profile,
            clusters=portal_clusters(config, t.providers),
            entities=platform_entities(config) + promise_entities(config, offered_promises(config)),
            credentials=config.portal_credentials,
            argocd_api=ARGOCD_API_URL if t.gitops is not None else None,
        ),
    )


# -- what each layer owns (namespaces Kyverno leaves alone) and reports (stack outputs)


def _nothing(_: object) -> dict:
    return {}


def _no_namespaces(_: StackConfig) -> set[str]:
    return set()


def _no_facts(_: StackConfig) -> dict[str, str]:
    return {}


def kratix_facts(config: StackConfig) -> dict[str, str]:
    return {
        "profile": config.profile,
        "topology": config.topology,
        "teams": json.dumps(sorted(t.name for t in config.teams)),
        "environments": json.dumps(sorted({d.environment for d in config.destinations})),
        "destinations": json.dumps(sorted(d.name for d in config.destinations)),
        "clusters": json.dumps(sorted(c.name for c in config.clusters)),
    }


def gitops_facts(config: StackConfig) -> dict[str, str]:
    return {"gitops": _switch(config.gitops.enabled)}


def observability_facts(config: StackConfig) -> dict[str, str]:
    return {"observability": _switch(config.observability.enabled)}


def promise_facts(config: StackConfig) -> dict[str, str]:
    return {"promises": json.dumps(sorted(d.name for d in offered_promises(config)))}


def portal_facts(config: StackConfig) -> dict[str, str]:
    return {"portal": _switch(config.portal.enabled)}


def crossplane_facts(config: StackConfig) -> dict[str, str]:
    return {"crossplane": _switch(config.crossplane.enabled)}


def kratix_namespaces(config: StackConfig) -> set[str]:
    return {CERT_MANAGER_NAMESPACE, KRATIX_NAMESPACE}


def kratix_outputs(t: Topology) -> dict[str, object]:
    clusters = {}
    for cluster in t.config.clusters:
        target = {"mode": cluster.target.mode}
        if cluster.target.mode == "render":
            target["renderDir"] = render_directory(t.stack, cluster)
        elif cluster.target.context:
            target["context"] = cluster.target.context
        clusters[cluster.name] = {"role": cluster.role, "target": target}
    return {"profile": t.config.profile, "topology": t.config.topology, "clusters": clusters}


def state_store_namespaces(config: StackConfig) -> set[str]:
    return {s.secret_namespace for s in config.state_stores} | {
        naming.embedded_store_namespace(s.name) for s in config.state_stores if s.embedded
    }


def state_store_outputs(t: Topology) -> dict[str, object]:
    stores = {
        name: {"kind": store.kind, "endpoint": store.endpoint}
        for name, store in t.state_stores.items()
    }
    namespaces = sorted(
        {CERT_MANAGER_NAMESPACE, t.platform.namespace} | state_store_namespaces(t.config)
    )
    return {"stateStores": stores, "namespaces": namespaces}


def destination_outputs(t: Topology) -> dict[str, object]:
    return {
        "destinations": {
            spec.name: {
                "cluster": spec.cluster,
                "stateStore": spec.state_store,
                "labels": dest.labels,
                "path": dest.path,
                "dependenciesPath": dest.dependencies_path,
                "resourcesPath": dest.resources_path,
            }
            for spec, dest in ((spec, t.destinations[spec.name]) for spec in t.config.destinations)
        }
    }


def gitops_namespaces(config: StackConfig) -> set[str]:
    # Flux's namespace stays out of Kyverno's way even while GitOps is off.
    namespaces = {FLUX_NAMESPACE}
    if config.gitops.enabled:
        namespaces |= {ARGOCD_NAMESPACE, SECRET_MANAGER_NAMESPACES[config.gitops.secrets]}
    return namespaces


def gitops_outputs(t: Topology) -> dict[str, object]:
    if t.gitops is None:
        return {}
    return {
        "gitops": {
            "namespace": t.gitops.namespace,
            "rootApplication": t.gitops.root_application,
            "applicationSets": t.gitops.application_sets,
        }
    }


def security_outputs(t: Topology) -> dict[str, object]:
    if not t.security:
        return {}
    return {
        "security": {
            cluster: {"enforce": baseline.enforce, "teamNamespaces": baseline.namespaces}
            for cluster, baseline in t.security.items()
        }
    }


def observability_namespaces(config: StackConfig) -> set[str]:
    return {naming.OBSERVABILITY_NAMESPACE} if config.observability.enabled else set()


def observability_outputs(t: Topology) -> dict[str, object]:
    if t.observability is None:
        return {}
    return {
        "observability": {
            "namespace": t.observability.namespace,
            "endpoints": t.observability.endpoints,
        }
    }


def promise_namespaces(config: StackConfig) -> set[str]:
    # The promises' operators, on the destinations.
    return {d.operator.namespace for d in offered_promises(config) if d.operator}


def promise_outputs(t: Topology) -> dict[str, object]:
    if not t.promises:
        return {}
    return {
        "promises": {
            name: {"version": p.version, "image": p.image} for name, p in t.promises.items()
        }
    }


def finops_namespaces(config: StackConfig) -> set[str]:
    return {KUBECOST_NAMESPACE} if config.finops.enabled else set()


def finops_layer_outputs(t: Topology) -> dict[str, object]:
    if not t.cost:
        return {}
    return {"finops": finops_outputs(t.config.finops, t.cost, t.delivery)}


def portal_namespaces(config: StackConfig) -> set[str]:
    return {PORTAL_NAMESPACE} if config.portal.enabled else set()


def portal_outputs(t: Topology) -> dict[str, object]:
    if t.portal is None:
        return {}
    return {
        "portal": {
            "namespace": t.portal.namespace,
            "url": t.config.portal.base_url,
            "catalogEntities": sorted(
                f"{e['kind']}:{e['metadata']['name']}" for e in t.portal.entities
            ),
        }
    }


def crossplane_namespaces(config: StackConfig) -> set[str]:
    return {CROSSPLANE_NAMESPACE} if config.crossplane.enabled else set()


def crossplane_outputs(t: Topology) -> dict[str, object]:
    if not t.cloud:
        return {}
    return {
        "crossplane": {
            cluster: {
                "namespace": layer.namespace,
                "providers": layer.providers,
                "compositeApis": layer.composite_apis,
            }
            for cluster, layer in t.cloud.items()
        }
    }


@dataclasses.dataclass(frozen=True)
class Layer:
    """One layer of the platform: how it registers, the namespaces it owns (left alone by
    Kyverno), what it reports in the stack outputs and the facts it publishes (the
    idp-platform-facts ConfigMap the policy packs and the portal read)."""

    name: str
    build: Callable[[Topology], None]
    namespaces: Callable[[StackConfig], set[str]] = _no_namespaces
    outputs: Callable[[Topology], dict[str, object]] = _nothing
    facts: Callable[[StackConfig], dict[str, str]] = _no_facts


# One ordered list, in registration order: adding a layer is its functions and one line here.
LAYERS: tuple[Layer, ...] = (
    Layer("kratix", kratix_layer, kratix_namespaces, kratix_outputs, kratix_facts),
    Layer("state-stores", state_store_layer, state_store_namespaces, state_store_outputs),
    Layer(
        "observability",
        observability_layer,
        observability_namespaces,
        observability_outputs,
        observability_facts,
    ),
    Layer("gitops", gitops_layer, gitops_namespaces, gitops_outputs, gitops_facts),
    Layer("destinations", destination_layer, outputs=destination_outputs),
    Layer("security", security_layer, outputs=security_outputs),
    Layer(
        "crossplane", crossplane_layer, crossplane_namespaces, crossplane_outputs, crossplane_facts
    ),
    Layer("promises", promise_layer, promise_namespaces, promise_outputs, promise_facts),
    Layer("finops", finops_layer, finops_namespaces, finops_layer_outputs),
    Layer("portal", portal_layer, portal_namespaces, portal_outputs, portal_facts),
)


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
            token = config.gitops_credentials.get(cluster.name, {}).get("bearerToken")
            server = config.worker_servers[cluster.name]
            auth = cluster_config(config.gitops, cluster.name, cluster.ca_data, token)
        clusters.append(ArgoCDCluster(cluster.name, hosted[0].environment, labels, server, auth))
    return clusters


def portal_clusters(
    config: StackConfig, providers: Mapping[str, k8s.Provider]
) -> list[PortalCluster]:
    """The clusters the portal's Kubernetes plugin shows: the platform cluster in-cluster, and
    each worker ArgoCD reaches, through the same kind of identity (IAM role, or a token from
    portalCredentials.<worker>.token)."""
    platform = config.platform_cluster
    clusters = [
        PortalCluster(
            platform.name,
            IN_CLUSTER_SERVER,
            providers[platform.name],
            # No token: the plugin uses the pod's ServiceAccount token.
            {"authProvider": "serviceAccount"},
        )
    ]
    for worker in config.clusters:
        if worker.role != "worker" or not worker.server:
            continue
        auth: dict = {"authProvider": "serviceAccount"}
        token = None
        if config.gitops.cluster_auth == "awsIAM":
            auth = {
                "authProvider": "aws",
                "authMetadata": {"kubernetes.io/x-k8s-aws-id": worker.name},
            }
        else:
            token = config.portal_credentials.get(worker.name, {}).get("token")
            if not token:
                continue  # a bearer-token worker is shown once it has a portal token
        if worker.ca_data:
            auth["caData"] = worker.ca_data
        clusters.append(
            PortalCluster(worker.name, worker.server, providers[worker.name], auth, token)
        )
    return clusters
