"""ArgoCDAppOfApps: ArgoCD on the platform cluster, hub and spoke, driven by the stack's teams.

ArgoCD runs once, on the platform cluster, and reaches every worker through a cluster Secret that
carries the worker's destination labels (gitops-bridge style): the same labels Kratix schedules
on select where ApplicationSets deploy, and one ArgoCD sees every environment. Pulumi bootstraps
what the stack config decides (ArgoCD, projects, ApplicationSets, cluster Secrets); the root
Application (App of Apps) syncs the per-layer apps kept in the GitOps repository.
"""

from __future__ import annotations

import dataclasses
import json
from typing import ClassVar, Mapping, Sequence

import pulumi
import pulumi_kubernetes as k8s

from components import naming
from components.charts import ResolvedChart, install_chart, merged_values
from components.config import Team
from components.gitops.flux import FluxBucketAgent
from components.gitops.settings import GitOps
from components.naming import (
    ARGOCD_API,
    ARGOCD_NAMESPACE,
    FLUX_NAMESPACE,
    IN_CLUSTER_SERVER,
    SECRET_MANAGER_NAMESPACES,
)
from components.placement import EmbeddedBucket, ExternalBucket, GitStore
from components.profiles import Footprint, SizeProfile, per_profile
from components.sync import SyncRequest


@dataclasses.dataclass(frozen=True)
class GitOpsSizes:
    """This layer's share of each size profile: ArgoCD's workloads and the secrets controller."""

    argocd_controller: Footprint
    argocd_server: Footprint
    argocd_repo_server: Footprint
    argocd_applicationset: Footprint
    argocd_redis: Footprint
    secrets_controller: Footprint


SIZES: Mapping[str, GitOpsSizes] = per_profile(
    dev=GitOpsSizes(
        argocd_controller=Footprint(1, "100m", "256Mi", "500m", "512Mi"),
        argocd_server=Footprint(1, "25m", "64Mi", "250m", "128Mi"),
        argocd_repo_server=Footprint(1, "25m", "128Mi", "500m", "256Mi"),
        argocd_applicationset=Footprint(1, "25m", "64Mi", "250m", "128Mi"),
        # A single redis: redis-ha needs three nodes.
        argocd_redis=Footprint(1, "25m", "32Mi", "100m", "64Mi"),
        secrets_controller=Footprint(1, "10m", "32Mi", "100m", "64Mi"),
    ),
    prod=GitOpsSizes(
        # One application controller: more replicas shard clusters between them.
        argocd_controller=Footprint(1, "500m", "1Gi", "2", "2Gi"),
        argocd_server=Footprint(2, "100m", "128Mi", "500m", "256Mi"),
        argocd_repo_server=Footprint(2, "100m", "256Mi", "1", "512Mi"),
        argocd_applicationset=Footprint(2, "50m", "128Mi", "500m", "256Mi"),
        argocd_redis=Footprint(3, "100m", "128Mi", "500m", "256Mi"),
        secrets_controller=Footprint(2, "50m", "64Mi", "250m", "128Mi"),
    ),
)


PLATFORM_PROJECT = "platform"
ROOT_APPLICATION = "idp-root"
SECRET_TYPE_LABEL = "argocd.argoproj.io/secret-type"
SYNC_WAVE_ANNOTATION = "argocd.argoproj.io/sync-wave"
PROD = "prod"
# ArgoCD stopped assessing Applications' health in 1.8, so a parent syncing child Applications in
# waves would not wait for a child to be healthy. This restores the assessment (argocd-cm).
APPLICATION_HEALTH_LUA = """\
hs = {status = "Progressing", message = ""}
if obj.status ~= nil and obj.status.health ~= nil then
  hs.status = obj.status.health.status
  hs.message = obj.status.health.message or ""
end
return hs
"""
SEALED_SECRETS_CONTROLLER = "sealed-secrets-controller"


@dataclasses.dataclass(frozen=True)
class ArgoCDCluster:
    """A cluster ArgoCD deploys to, as its cluster Secret describes it."""

    name: str
    environment: str
    labels: Mapping[str, str]
    """Destination labels; ApplicationSet cluster generators select on them."""
    server: str
    """API server URL; the in-cluster address for the platform cluster itself."""
    config: pulumi.Input[str]
    """ArgoCD's cluster `config` JSON (authentication), secret when it holds a token."""


@dataclasses.dataclass(frozen=True)
class ArgoCDAppOfAppsArgs:
    settings: GitOps
    """The validated `idp:gitops` settings."""
    provider: k8s.Provider
    """Provider of the platform cluster, where ArgoCD runs."""
    argocd_chart: ResolvedChart
    """Where the argo-cd chart comes from."""
    secrets_chart: ResolvedChart
    """Where the chosen secret manager's chart comes from."""
    profile: SizeProfile
    """Footprint: single replicas in dev, HA in prod."""
    teams: Sequence[Team]
    """Application teams: one AppProject each, one generated Application per cluster."""
    clusters: Sequence[ArgoCDCluster]
    """Clusters that sync destinations; ApplicationSets deploy team services to them."""
    repository_credentials: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Secret config for the GitOps repository (username/password or sshPrivateKey)."""
    extra_chart_values: Mapping = dataclasses.field(default_factory=dict)
    """argo-cd chart values other layers add (metrics, notifications), merged over ours."""
    chart_depends_on: Sequence[pulumi.Resource] = ()
    """What the chart waits for, e.g. the Prometheus Operator CRDs its ServiceMonitors need
    (the engine cannot render a kind the stack does not know yet)."""


def sync_policy(environment: str, server_side_apply: bool = False) -> dict:
    """How Applications of `environment` sync: prod heals drift but never prunes by itself."""
    options = ["CreateNamespace=true", "PruneLast=true"]
    if server_side_apply:
        # Large CRDs exceed client-side apply's annotation limit.
        options.append("ServerSideApply=true")
    return {
        "automated": {"prune": environment != PROD, "selfHeal": True},
        "syncOptions": options,
        "retry": {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}},
    }


def app_metadata(
    name: str, environment: str, labels: Mapping[str, str], in_sync_window: bool = False
) -> dict:
    """Metadata of an Application (or ApplicationSet template) bound for `environment`."""
    metadata: dict = {
        "name": name,
        "namespace": ARGOCD_NAMESPACE,
        "labels": {naming.ENVIRONMENT_LABEL: environment, **labels},
    }
    if in_sync_window:
        # Its project's sync windows hold it; the prod prune policy reads this promise.
        metadata["annotations"] = {naming.SYNC_WINDOW_ANNOTATION: "true"}
    return metadata


def argocd_values(profile: SizeProfile) -> dict:
    ha = profile.highly_available

    def component(footprint) -> dict:
        return {
            "replicas": footprint.replicas,
            "resources": footprint.resources(),
            "pdb": {"enabled": ha},
        }

    return {
        # The CRDs are applied server-side (the provider's SSA; ArgoCD's own annotation when it
        # manages itself): the ApplicationSet CRD alone is 1.4 MB.
        "crds": {
            "install": True,
            # Not Helm's keep policy (the provider honours it by leaving the CRDs behind):
            # `pulumi destroy` removes everything the stack made. To keep them when the layer
            # is removed: idp:charts.argo-cd.values.crds.keep: true.
            "keep": False,
            "annotations": {"argocd.argoproj.io/sync-options": "ServerSideApply=true"},
        },
        "global": {"networkPolicy": {"create": True}},
        # Chart 9.0 changed the default; generated Applications follow their ApplicationSet.
        "configs": {
            "params": {"applicationsetcontroller.policy": "sync"},
            "cm": {
                "resource.customizations.health.argoproj.io_Application": APPLICATION_HEALTH_LUA
            },
        },
        "controller": component(SIZES[profile.name].argocd_controller),
        "server": component(SIZES[profile.name].argocd_server),
        "repoServer": component(SIZES[profile.name].argocd_repo_server),
        "applicationSet": component(SIZES[profile.name].argocd_applicationset),
        "redis": {"enabled": not ha, "resources": SIZES[profile.name].argocd_redis.resources()},
        # redis-ha places its three pods on separate nodes: prod only. Every container it runs
        # is sized: redis like the single redis, its sentinel, HAProxy, init and split-brain
        # helpers like the sidecars they are (the chart leaves them all unset).
        "redis-ha": {"enabled": ha, **redis_ha_resources(profile)} if ha else {"enabled": False},
        "dex": {"enabled": False},
        "notifications": {"enabled": False},
    }


REDIS_HA_HELPER = Footprint(1, "20m", "32Mi", "200m", "128Mi")


def redis_ha_resources(profile: SizeProfile) -> dict:
    helper = {"resources": REDIS_HA_HELPER.resources()}
    return {
        "redis": {"resources": SIZES[profile.name].argocd_redis.resources()},
        "sentinel": helper,
        "haproxy": {**helper, "init": helper},
        "init": helper,
        "splitBrainDetection": helper,
    }


def secrets_values(manager: str, profile: SizeProfile) -> dict:
    footprint = SIZES[profile.name].secrets_controller
    if manager == "sealed-secrets":
        # kubeseal looks for this name unless told otherwise.
        return {
            "fullnameOverride": SEALED_SECRETS_CONTROLLER,
            "resources": footprint.resources(),
            # No PodDisruptionBudget: the chart runs exactly one replica (the key holder), and a
            # budget of one available pod would block every node drain.
        }
    return {
        "installCRDs": True,
        "replicaCount": footprint.replicas,
        "leaderElect": footprint.replicas > 1,
        "resources": footprint.resources(),
        "podDisruptionBudget": {"enabled": profile.highly_available},
        "webhook": {"replicaCount": footprint.replicas, "resources": footprint.resources()},
        "certController": {"replicaCount": footprint.replicas, "resources": footprint.resources()},
    }


class ArgoCDAppOfApps(pulumi.ComponentResource):
    """ArgoCD, its secret manager, AppProjects, the root Application and ApplicationSets."""

    TYPE: ClassVar[str] = "idp:platform:ArgoCDAppOfApps"

    namespace: str
    """Namespace ArgoCD and every Application live in."""
    chart: k8s.helm.v4.Chart
    """The argo-cd chart; ArgoCD objects wait for it (it installs the CRDs)."""
    environments: list[str]
    """Environments with an ApplicationSet, in deploy order."""
    application_sets: list[str]
    """Names of the team ApplicationSets, one per environment."""

    def __init__(
        self, name: str, args: ArgoCDAppOfAppsArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__(self.TYPE, name, {}, opts)
        self._name = name
        self._args = args
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        settings = args.settings
        self.namespace = ARGOCD_NAMESPACE
        self.root_application = ROOT_APPLICATION

        self.chart = install_chart(
            naming.child_name(name, "argocd"),
            args.argocd_chart,
            merged_values(argocd_values(args.profile), args.extra_chart_values),
            namespace=ARGOCD_NAMESPACE,
            component="argocd",
            owner=name,
            opts=child,
            namespace_resource_name=naming.child_name(name, "ns"),
            depends_on=list(args.chart_depends_on),
        )
        self._after_chart = pulumi.ResourceOptions.merge(
            child, pulumi.ResourceOptions(depends_on=[self.chart])
        )
        self._secret_manager(child)

        argocd_secret(
            naming.child_name(name, "repository"),
            "repository",
            "idp-gitops-repository",
            {"type": "git", "url": settings.repo_url or "", **args.repository_credentials},
            {},
            self._after_chart,
        )
        for cluster in args.clusters:
            self._cluster_secret(cluster)
        self._platform_project()
        for team in args.teams:
            self._team_project(team)
        self._root_application()
        self.environments = _ordered_environments(c.environment for c in args.clusters)
        for environment in self.environments:
            self._team_application_set(environment)
        self.application_sets = [f"teams-{e}" for e in self.environments]
        self.register_outputs(
            {"namespace": self.namespace, "applicationSets": self.application_sets}
        )

    # -- installation -------------------------------------------------------------------------

    def _secret_manager(self, child: pulumi.ResourceOptions) -> None:
        manager = self._args.settings.secrets
        namespace = SECRET_MANAGER_NAMESPACES[manager]
        install_chart(
            naming.child_name(self._name, manager),
            self._args.secrets_chart,
            secrets_values(manager, self._args.profile),
            namespace=namespace,
            component=manager,
            owner=self._name,
            opts=child,
            # kube-system is the cluster's own; any other namespace is created here.
            namespace_resource_name=None
            if namespace == "kube-system"
            else naming.child_name(self._name, f"{manager}-ns"),
        )

    # -- credentials --------------------------------------------------------------------------

    def _cluster_secret(self, cluster: ArgoCDCluster) -> None:
        argocd_secret(
            naming.child_name(self._name, f"cluster-{cluster.name}"),
            "cluster",
            f"cluster-{cluster.name}",
            {"name": cluster.name, "server": cluster.server, "config": cluster.config},
            dict(cluster.labels),
            self._after_chart,
        )

    # -- projects -----------------------------------------------------------------------------

    def _project(self, project: str, spec: dict) -> None:
        k8s.apiextensions.CustomResource(
            naming.child_name(self._name, f"project-{project}"),
            api_version=ARGOCD_API,
            kind="AppProject",
            metadata={
                "name": project,
                "namespace": ARGOCD_NAMESPACE,
                "labels": naming.standard_labels("argocd-project", project),
            },
            spec=spec,
            opts=self._after_chart,
        )

    def _platform_project(self) -> None:
        """The platform's own apps: the root, per-layer apps and Kratix destination sync."""
        clusters = [c.name for c in self._args.clusters]
        self._project(
            PLATFORM_PROJECT,
            {
                "description": "Platform layers and Kratix destination sync",
                "sourceRepos": ["*"],
                "destinations": [
                    {"server": IN_CLUSTER_SERVER, "namespace": "*"},
                    *({"name": name, "namespace": "*"} for name in clusters),
                ],
                # Kratix dependencies install CRDs and operators.
                "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
            },
        )

    def _team_project(self, team: Team) -> None:
        """A team deploys only from the GitOps repository, only into its own namespaces."""
        prod_clusters = [c.name for c in self._args.clusters if c.environment == PROD]
        spec: dict = {
            "description": f"Services of team {team.name}"
            + (f" (owner {team.owner})" if team.owner else ""),
            "sourceRepos": [self._args.settings.repo_url],
            "destinations": [
                {"name": c.name, "namespace": ns}
                for c in self._args.clusters
                for ns in (team.name, f"{team.name}-*")
            ],
            # Namespaced objects only: no CRDs, ClusterRoles or foreign namespaces.
            "clusterResourceWhitelist": [{"group": "", "kind": "Namespace"}],
            "namespaceResourceBlacklist": [
                {"group": "", "kind": "ResourceQuota"},
                {"group": "", "kind": "LimitRange"},
            ],
        }
        if prod_clusters:
            window = self._args.settings.prod_sync_window
            spec["syncWindows"] = [
                {
                    "kind": "allow",
                    "schedule": window.schedule,
                    "duration": window.duration,
                    "timeZone": window.time_zone,
                    "clusters": prod_clusters,
                    "applications": ["*"],
                    # An on-call engineer may still sync by hand outside the window.
                    "manualSync": True,
                }
            ]
        self._project(team.name, spec)

    # -- applications -------------------------------------------------------------------------

    def _root_application(self) -> None:
        """App of Apps: the per-layer and per-team apps kept in the GitOps repository."""
        settings = self._args.settings
        environment = self._args.profile.name
        k8s.apiextensions.CustomResource(
            naming.child_name(self._name, "root"),
            api_version=ARGOCD_API,
            kind="Application",
            metadata=app_metadata(
                ROOT_APPLICATION, environment, naming.standard_labels("argocd-root", self._name)
            ),
            spec={
                "project": PLATFORM_PROJECT,
                "source": {
                    "repoURL": settings.repo_url,
                    "targetRevision": settings.target_revision,
                    "path": settings.path,
                    "directory": {"recurse": True},
                },
                "destination": {"server": IN_CLUSTER_SERVER, "namespace": ARGOCD_NAMESPACE},
                # Children may carry big CRDs (observability, policy engines).
                "syncPolicy": sync_policy(environment, server_side_apply=True),
            },
            opts=self._after_chart,
        )

    def _team_application_set(self, environment: str) -> None:
        """One Application per team and cluster of `environment`, named after both."""
        settings = self._args.settings
        teams = [{"team": t.name} for t in self._args.teams]
        template_name = "{{.team}}-" + environment + "-{{.name}}"
        k8s.apiextensions.CustomResource(
            naming.child_name(self._name, f"teams-{environment}"),
            api_version=ARGOCD_API,
            kind="ApplicationSet",
            metadata={
                "name": f"teams-{environment}",
                "namespace": ARGOCD_NAMESPACE,
                "labels": naming.standard_labels("argocd-teams", environment),
            },
            spec={
                "goTemplate": True,
                "goTemplateOptions": ["missingkey=error"],
                "generators": [
                    {
                        "matrix": {
                            "generators": [
                                {
                                    "clusters": {
                                        "selector": {
                                            "matchLabels": {naming.ENVIRONMENT_LABEL: environment}
                                        }
                                    }
                                },
                                {"list": {"elements": teams}},
                            ]
                        }
                    }
                ],
                "template": {
                    "metadata": app_metadata(
                        template_name,
                        environment,
                        {naming.TEAM_LABEL: "{{.team}}"},
                        in_sync_window=environment == PROD,
                    ),
                    "spec": {
                        "project": "{{.team}}",
                        "source": {
                            "repoURL": settings.repo_url,
                            "targetRevision": settings.target_revision,
                            "path": f"{settings.teams_path}/{{{{.team}}}}/{environment}",
                        },
                        # The team namespace the security baseline creates on that cluster
                        # (quota, limits, network policies, RBAC); CreateNamespace would
                        # otherwise make a bare `<team>` one.
                        "destination": {
                            "name": "{{.name}}",
                            "namespace": naming.team_namespace("{{.team}}", environment),
                        },
                        "syncPolicy": {
                            **sync_policy(environment),
                            "managedNamespaceMetadata": {
                                "labels": {naming.TEAM_LABEL: "{{.team}}"}
                            },
                        },
                    },
                },
                # Removing a team or cluster from the stack removes its Applications.
                "syncPolicy": {"applicationsSync": "sync"},
            },
            opts=self._after_chart,
        )


def argocd_secret(
    resource_name: str,
    secret_type: str,
    name: str,
    data: Mapping[str, pulumi.Input[str]],
    labels: Mapping[str, str],
    opts: pulumi.ResourceOptions,
) -> k8s.core.v1.Secret:
    """A Secret ArgoCD reads by its type label (repository or cluster); values stay secret."""
    return k8s.core.v1.Secret(
        resource_name,
        metadata={
            "name": name,
            "namespace": ARGOCD_NAMESPACE,
            "labels": {
                **labels,
                SECRET_TYPE_LABEL: secret_type,
                naming.PART_OF_LABEL: naming.PART_OF,
            },
        },
        string_data={key: pulumi.Output.secret(value) for key, value in data.items()},
        opts=opts,
    )


def cluster_config(
    settings: GitOps, cluster_name: str, ca_data: str | None, token: pulumi.Input[str] | None
) -> pulumi.Input[str]:
    """ArgoCD's `config` for a worker: an IAM role (EKS; the cluster's name is its EKS name) or
    a bearer token, and the API server's CA when it is not a public one."""
    tls: dict = {"insecure": False}
    if ca_data:
        tls["caData"] = ca_data
    if settings.cluster_auth == "awsIAM":
        return json.dumps(
            {
                "awsAuthConfig": {"clusterName": cluster_name, "roleARN": settings.aws_role_arn},
                "tlsClientConfig": tls,
            }
        )
    return pulumi.Output.secret(
        pulumi.Output.from_input(token).apply(
            lambda value: json.dumps({"bearerToken": value, "tlsClientConfig": tls})
        )
    )


def in_cluster_config() -> str:
    """The platform cluster reaches itself with ArgoCD's own ServiceAccount."""
    return json.dumps({"tlsClientConfig": {"insecure": False}})


def _ordered_environments(environments) -> list[str]:
    """dev, staging, prod first (the promotion order), anything else after, alphabetically."""
    order = {"dev": 0, "staging": 1, PROD: 2}
    return sorted(set(environments), key=lambda e: (order.get(e, 3), e))


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
