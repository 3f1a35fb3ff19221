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
from components.gitops.settings import GitOps
from components.gitops.values import argocd_values, secrets_values
from components.naming import (
    ARGOCD_API,
    ARGOCD_NAMESPACE,
    IN_CLUSTER_SERVER,
    SECRET_MANAGER_NAMESPACES,
)
from components.profiles import SizeProfile

PLATFORM_PROJECT = "platform"
ROOT_APPLICATION = "idp-root"
SECRET_TYPE_LABEL = "argocd.argoproj.io/secret-type"
SYNC_WAVE_ANNOTATION = "argocd.argoproj.io/sync-wave"
PROD = "prod"


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
