"""DeveloperPortal: Backstage on the platform cluster, with the catalog generated from the stack.

Backstage compiles its plugins into the image, so the image is configuration (`idp:portal.image`):
the organisation builds it with the Kubernetes, Argo CD (Roadie) and TechDocs plugins. This layer
installs the pinned chart with an app-config that
- reads the catalog as code (catalog.py) from a ConfigMap mounted as a file location,
  so the catalog needs no git access and changes with the stack; the Golden Path templates are
  url locations in this repository (`idp:portal.goldenPathsURL`);
- points the Kubernetes plugin at every cluster of the stack (read-only RBAC on each);
- proxies the Argo CD plugin to the ArgoCD API on the platform cluster;
- builds TechDocs locally, in the portal's own container;
- signs users in through OIDC; every secret comes from Pulumi secret config (or is generated)
  and reaches the pod as files of one Secret, read with Backstage's `$file` includes.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar, Mapping, Sequence

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components import naming
from components.charts import ResolvedChart, install_chart, platform_namespace
from components.naming import PORTAL_NAMESPACE
from components.portal.catalog import as_yaml
from components.portal.settings import Portal, PortalSite
from components.portal.sizes import SIZES
from components.profiles import SizeProfile

PORTAL_NAME = "backstage"


CATALOG_MOUNT = "/catalog"


CATALOG_FILE = "entities.yaml"


SECRETS = "backstage-secrets"


# The Secret is mounted as files, one per key, and the app-config reads them with `$file`
# (secrets as files, not environment variables).
SECRETS_MOUNT = "/etc/backstage/secrets"


# Backstage's image runs as `node`; any non-root high UID can read its files.
PORTAL_UID = 65532


# The Golden Path templates under golden-paths/ in this repository.
GOLDEN_PATHS = ("go-service", "java-service", "terraform-module")


# Identity that workers bind read-only access to (an IAM role or token maps to this group).
READERS_GROUP = "idp-portal-readers"


# What the Kubernetes plugin reads (Backstage documents get/list/watch on these).
READ_RULES = [
    {
        "apiGroups": [""],
        "resources": [
            "pods",
            "pods/log",
            "services",
            "configmaps",
            "limitranges",
            "resourcequotas",
        ],
        "verbs": ["get", "list", "watch"],
    },
    {
        "apiGroups": ["apps"],
        "resources": ["deployments", "replicasets", "statefulsets", "daemonsets"],
        "verbs": ["get", "list", "watch"],
    },
    {
        "apiGroups": ["autoscaling"],
        "resources": ["horizontalpodautoscalers"],
        "verbs": ["get", "list", "watch"],
    },
    {
        "apiGroups": ["networking.k8s.io"],
        "resources": ["ingresses"],
        "verbs": ["get", "list", "watch"],
    },
    {"apiGroups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": ["metrics.k8s.io"], "resources": ["pods"], "verbs": ["get", "list"]},
]


@dataclasses.dataclass(frozen=True)
class PortalCluster:
    """A cluster the Kubernetes plugin shows, and how the portal authenticates to it."""

    name: str
    url: str
    provider: k8s.Provider
    auth: Mapping[str, object]
    """The plugin's auth fields for this cluster (authProvider, authMetadata, token)."""
    token: str | None = None
    """A bearer token from secret config, handed to the pod as an environment variable."""

    @property
    def token_key(self) -> str:
        return f"kubernetes-token-{self.name}"


@dataclasses.dataclass(frozen=True)
class DeveloperPortalArgs:
    settings: Portal
    """The validated `idp:portal` settings."""
    site: PortalSite
    """Its URLs (resolved by validation)."""
    provider: k8s.Provider
    """Provider of the platform cluster, where the portal runs."""
    chart: ResolvedChart
    """Where the backstage chart comes from."""
    profile: SizeProfile
    """Footprint and database: one replica on SQLite in dev, two on PostgreSQL in prod."""
    clusters: Sequence[PortalCluster]
    """Every cluster of the stack, the platform cluster first."""
    entities: Sequence[dict]
    """The catalog as code (components.catalog.platform_entities and promise_entities)."""
    credentials: Mapping[str, Mapping[str, str]] = dataclasses.field(default_factory=dict)
    """`idp:portalCredentials` (secret config)."""
    argocd_api: str | None = None
    """ArgoCD's API on the platform cluster; None when GitOps is off."""


def secret_file(key: str) -> dict:
    """A config value Backstage reads from the mounted Secret's file `key`."""
    return {"$file": f"{SECRETS_MOUNT}/{key}"}


def catalog_locations(site: PortalSite) -> list[dict]:
    base = site.golden_paths_url.rstrip("/")
    return [{"type": "file", "target": f"{CATALOG_MOUNT}/{CATALOG_FILE}"}] + [
        {
            "type": "url",
            "target": f"{base}/{path}/template.yaml",
            "rules": [{"allow": ["Template"]}],
        }
        for path in GOLDEN_PATHS
    ]


def database_config(settings: Portal) -> dict:
    if settings.database == "postgres":
        return {
            "client": "pg",
            "connection": {
                "host": settings.postgres.host,
                "port": settings.postgres.port,
                "user": settings.postgres.user,
                "password": secret_file("postgres-password"),
            },
        }
    # Dev only (the config refuses it in prod): the catalog is re-read on every start.
    return {"client": "better-sqlite3", "connection": ":memory:"}


def kubernetes_config(clusters: Sequence[PortalCluster]) -> dict:
    entries = []
    for cluster in clusters:
        entry = {
            "name": cluster.name,
            "url": cluster.url,
            "skipMetricsLookup": True,
            **cluster.auth,
        }
        if cluster.token:
            entry["serviceAccountToken"] = secret_file(cluster.token_key)
        entries.append(entry)
    return {
        "serviceLocatorMethod": {"type": "multiTenant"},
        "clusterLocatorMethods": [{"type": "config", "clusters": entries}],
    }


def sign_in_providers(settings) -> dict:
    """OpenID Connect, or (dev only, checked by the config model) Backstage's guest sign-in."""
    if settings.sign_in == "guest":
        # The portal runs in production mode, where Backstage refuses guests unless told.
        return {"guest": {"dangerouslyAllowOutsideDevelopment": True}}
    return {
        "oidc": {
            "production": {
                "metadataUrl": settings.oidc.metadata_url,
                "clientId": settings.oidc.client_id,
                "clientSecret": secret_file("oidc-client-secret"),
                "prompt": "auto",
                # Users come from the identity provider; groups are in the catalog.
                "signIn": {
                    "resolvers": [
                        {
                            "resolver": "emailMatchingUserEntityProfileEmail",
                            "dangerouslyAllowSignInWithoutUserInCatalog": True,
                        }
                    ]
                },
            }
        }
    }


def app_config(args: DeveloperPortalArgs) -> dict:
    """Backstage's app-config (a ConfigMap): secrets appear only as `$file` references."""
    settings, site = args.settings, args.site
    config: dict = {
        "app": {"baseUrl": site.base_url},
        "backend": {"baseUrl": site.base_url, "database": database_config(settings)},
        "auth": {
            "environment": "production",
            "session": {"secret": secret_file("session-secret")},
            "providers": sign_in_providers(settings),
        },
        "catalog": {
            "rules": [
                {
                    "allow": [
                        "Component",
                        "System",
                        "API",
                        "Resource",
                        "Group",
                        "User",
                        "Location",
                        "Template",
                    ]
                }
            ],
            "locations": catalog_locations(site),
        },
        "kubernetes": kubernetes_config(args.clusters),
        # Docs are built in the portal's container (mkdocs in the image), stored in /tmp.
        "techdocs": {
            "builder": "local",
            "generator": {"runIn": "local"},
            "publisher": {"type": "local", "local": {"publishDirectory": "/tmp/techdocs"}},
        },
    }
    if args.argocd_api:
        endpoint = {
            "target": f"{args.argocd_api}/api/v1/",
            "changeOrigin": True,
            # ArgoCD's server presents its own self-signed certificate in-cluster.
            "secure": False,
        }
        if args.credentials.get("argocd", {}).get("token"):
            endpoint["headers"] = {"Cookie": secret_file("argocd-cookie")}
        config["proxy"] = {"endpoints": {"/argocd/api": endpoint}}
    return config


def image_values(image: str) -> dict:
    """The chart's image fields for `registry/repository:tag` or `...@sha256:digest`."""
    name, _, digest = image.partition("@")
    registry, _, rest = name.partition("/")
    repository, _, tag = rest.partition(":")
    values = {
        "registry": registry,
        "repository": repository,
        "tag": tag,
        "pullPolicy": "IfNotPresent",
    }
    if digest:
        values["digest"] = digest
    return values


def chart_values(args: DeveloperPortalArgs) -> dict:
    footprint = SIZES[args.profile.name].portal
    return {
        "backstage": {
            "replicas": footprint.replicas,
            "image": image_values(args.settings.image),
            "resources": footprint.resources(),
            "appConfig": app_config(args),
            "extraVolumes": [
                {
                    "name": "catalog",
                    "configMap": {"name": naming.child_name(PORTAL_NAME, "catalog")},
                },
                {"name": "secrets", "secret": {"secretName": SECRETS, "defaultMode": 0o440}},
                {"name": "tmp", "emptyDir": {}},
            ],
            "extraVolumeMounts": [
                {"name": "catalog", "mountPath": CATALOG_MOUNT, "readOnly": True},
                {"name": "secrets", "mountPath": SECRETS_MOUNT, "readOnly": True},
                {"name": "tmp", "mountPath": "/tmp"},
            ],
            "podSecurityContext": {
                "runAsNonRoot": True,
                "runAsUser": PORTAL_UID,
                "runAsGroup": PORTAL_UID,
                "fsGroup": PORTAL_UID,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "containerSecurityContext": {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
            },
            "pdb": {"create": args.profile.highly_available, "minAvailable": 1},
        },
        "serviceAccount": {
            "create": True,
            "name": PORTAL_NAME,
            "annotations": dict(args.settings.service_account_annotations),
        },
        # An external PostgreSQL in prod; the chart's bundled one (Bitnami) is not used.
        "postgresql": {"enabled": False},
    }


class DeveloperPortal(pulumi.ComponentResource):
    """Backstage on the platform cluster, its catalog, secrets and read access to clusters."""

    TYPE: ClassVar[str] = "idp:platform:DeveloperPortal"

    def __init__(
        self, name: str, args: DeveloperPortalArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__(self.TYPE, name, None, opts)
        self._name = name
        self.namespace = PORTAL_NAMESPACE
        self.entities = list(args.entities)
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        labels = naming.standard_labels(PORTAL_NAME, name)

        namespace = platform_namespace(
            naming.child_name(name, "ns"),
            PORTAL_NAMESPACE,
            component=PORTAL_NAME,
            owner=name,
            opts=child,
        )
        in_namespace = pulumi.ResourceOptions.merge(
            child, pulumi.ResourceOptions(depends_on=[namespace])
        )
        catalog = k8s.core.v1.ConfigMap(
            naming.child_name(name, "catalog"),
            metadata={
                "name": naming.child_name(PORTAL_NAME, "catalog"),
                "namespace": PORTAL_NAMESPACE,
                "labels": labels,
            },
            data={CATALOG_FILE: as_yaml(self.entities)},
            opts=in_namespace,
        )
        session = random.RandomPassword(
            naming.child_name(name, "session-secret"),
            length=48,
            special=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        secrets = k8s.core.v1.Secret(
            naming.child_name(name, "secrets"),
            metadata={"name": SECRETS, "namespace": PORTAL_NAMESPACE, "labels": labels},
            string_data={
                key: pulumi.Output.secret(value)
                for key, value in self._secret_files(args, session.result).items()
            },
            opts=in_namespace,
        )
        for cluster in args.clusters:
            self._read_access(cluster, cluster is args.clusters[0], labels)
        self.chart = install_chart(
            naming.child_name(name, "backstage"),
            args.chart,
            chart_values(args),
            namespace=PORTAL_NAMESPACE,
            component=PORTAL_NAME,
            owner=name,
            opts=child,
            depends_on=[namespace, catalog, secrets],
        )
        self.register_outputs({"namespace": self.namespace, "entities": len(self.entities)})

    @staticmethod
    def _secret_files(
        args: DeveloperPortalArgs, session_secret: pulumi.Output[str]
    ) -> dict[str, pulumi.Input[str]]:
        """The Secret's keys: one file each under SECRETS_MOUNT, read by `secret_file`."""
        credentials = args.credentials
        files: dict[str, pulumi.Input[str]] = {"session-secret": session_secret}
        if args.settings.sign_in == "oidc":
            files["oidc-client-secret"] = credentials["oidc"]["clientSecret"]
        if args.settings.database == "postgres":
            files["postgres-password"] = credentials["database"]["password"]
        if args.argocd_api and credentials.get("argocd", {}).get("token"):
            # The Argo CD plugin's proxy sends ArgoCD's session cookie as a header.
            files["argocd-cookie"] = "argocd.token=" + credentials["argocd"]["token"]
        for cluster in args.clusters:
            if cluster.token:
                files[cluster.token_key] = cluster.token
        return files

    def _read_access(
        self, cluster: PortalCluster, is_platform: bool, labels: Mapping[str, str]
    ) -> None:
        """Read-only access for the Kubernetes plugin: the portal's ServiceAccount on the
        platform cluster, the readers group (its IAM role or token) on workers."""
        opts = pulumi.ResourceOptions(parent=self, provider=cluster.provider)
        role = k8s.rbac.v1.ClusterRole(
            naming.child_name(self._name, f"{cluster.name}-read"),
            metadata={"name": "idp-portal-read", "labels": dict(labels)},
            rules=READ_RULES,
            opts=opts,
        )
        subject = (
            {"kind": "ServiceAccount", "name": PORTAL_NAME, "namespace": PORTAL_NAMESPACE}
            if is_platform
            else {"kind": "Group", "name": READERS_GROUP, "apiGroup": "rbac.authorization.k8s.io"}
        )
        k8s.rbac.v1.ClusterRoleBinding(
            naming.child_name(self._name, f"{cluster.name}-read-binding"),
            metadata={"name": "idp-portal-read", "labels": dict(labels)},
            role_ref={
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "idp-portal-read",
            },
            subjects=[subject],
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[role])),
        )
