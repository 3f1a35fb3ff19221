"""The stack's one validated config model: every `idp:*` key, its defaults and cross-field rules.

`load_stack_config()` reads the stack's config, parses it into frozen dataclasses and checks it as
a whole. Any mistake raises `ConfigError` (a `pulumi.RunError`) naming the full key path and what
is accepted, before a single resource is registered.
"""

from __future__ import annotations

import dataclasses
import json
import posixpath
from pathlib import Path
from typing import Any, Mapping, Optional

import pulumi

from components import charts, naming
from components import formats as fmt
from components.charts import ResolvedChart
from components.configschema import (
    ConfigError,
    Problems,
    field_types,
    format_rows,
    model_fields,
    parse_model,
    reference_rows,
    setting,
    to_raw,
)
from components.naming import KRATIX_NAMESPACE

NAMESPACE = "idp"
PROFILES = ("dev", "prod")
TOPOLOGIES = ("single-cluster", "multi-cluster")
TARGET_MODES = ("render", "kubeconfig")
CLUSTER_ROLES = ("platform", "worker")
STORE_KINDS = ("git", "bucket")
GIT_AUTH_METHODS = ("basicAuth", "ssh")
BUCKET_AUTH_METHODS = ("accessKey", "IAM")
FILEPATH_MODES = ("nestedByMetadata", "aggregatedYAML", "none")
CLEANUP_POLICIES = ("none", "all")
SECRET_MANAGERS = ("sealed-secrets", "external-secrets")
CLUSTER_AUTH_METHODS = ("bearerToken", "awsIAM")
TEAM_SIZES = ("small", "medium", "large")
# The optional Crossplane cloud layer: where it runs, which providers, how they authenticate.
CROSSPLANE_PLACEMENTS = ("destinations", "platform")
CROSSPLANE_PROVIDERS = ("aws", "kubernetes")
CROSSPLANE_CLOUD_PROVIDERS = ("aws",)
CROSSPLANE_CREDENTIAL_SOURCES = ("secret", "workloadIdentity")
# Keys of `crossplaneCredentials.<provider>` for credentials source "secret".
CROSSPLANE_CREDENTIAL_KEYS: Mapping[str, tuple[str, ...]] = {
    "aws": ("accessKeyID", "secretAccessKey"),
}
# Where the platform's own images and common base images come from.
DEFAULT_ALLOWED_REGISTRIES = ("docker.io", "quay.io", "ghcr.io", "registry.k8s.io",
                              "reg.kyverno.io")
# Keys of `gitopsCredentials.repository`: basic auth over https, or an ssh key for git@ URLs.
REPOSITORY_CREDENTIAL_KEYS = ("username", "password", "sshPrivateKey")
REPOSITORY_CREDENTIALS = "repository"

# Secret keys Kratix reads for each credential kind, and which of them are mandatory.
CREDENTIAL_KEYS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "basicAuth": (("username", "password"), ("password",)),
    "ssh": (("sshPrivateKey", "knownHosts"), ("sshPrivateKey", "knownHosts")),
    "accessKey": (("accessKeyID", "secretAccessKey"), ("accessKeyID", "secretAccessKey")),
}


@dataclasses.dataclass(frozen=True)
class ClusterTarget:
    """How the program reaches a cluster."""

    mode: str = setting("mode", "render writes manifests to a directory; kubeconfig applies "
                        "them to a real cluster", default="render", choices=TARGET_MODES)
    kubeconfig: Optional[str] = setting(
        "kubeconfig", "kubeconfig file path or contents (kubeconfig mode; default: the ambient "
        "KUBECONFIG)", default=None)
    context: Optional[str] = setting("context", "kubeconfig context to use (kubeconfig mode)",
                                     default=None, format=fmt.NAME)
    render_dir: Optional[str] = setting(
        "renderDir", "where render mode writes manifests (default rendered/<stack>/<cluster>)",
        default=None)


@dataclasses.dataclass(frozen=True)
class Cluster:
    """A Kubernetes cluster: the platform cluster runs Kratix; workers receive workloads."""

    name: str = setting("name", "cluster name, a DNS-1123 label", dns_name=True)
    role: str = setting("role", "platform (runs Kratix) or worker", default="worker",
                        choices=CLUSTER_ROLES)
    environment: Optional[str] = setting(
        "environment", "default environment label of this cluster's destinations", default=None,
        format=fmt.LABEL_VALUE)
    region: Optional[str] = setting(
        "region", "default region label of this cluster's destinations", default=None,
        format=fmt.LABEL_VALUE)
    target: ClusterTarget = setting("target", "how to reach the cluster", default=ClusterTarget)
    server: Optional[str] = setting(
        "server", "API server URL ArgoCD on the platform cluster uses to reach this worker "
        "(multi-cluster GitOps)", default=None, format=fmt.API_SERVER_URL)
    ca_data: Optional[str] = setting(
        "caData", "base64 PEM CA bundle of that API server (default: the system CAs)",
        default=None, format=fmt.BASE64_PEM)


@dataclasses.dataclass(frozen=True)
class GitStore:
    """A GitStateStore: Kratix commits documents to a branch of a repository."""

    url: str = setting("url", "repository URL (https://... for basicAuth, git@... for ssh)",
                       format=fmt.GIT_URL)
    branch: str = setting("branch", "branch Kratix writes to", default="main",
                          format=fmt.GIT_REF)
    auth_method: str = setting("authMethod", "basicAuth (username/password) or ssh "
                               "(sshPrivateKey/knownHosts)", default="basicAuth",
                               choices=GIT_AUTH_METHODS)
    author_name: str = setting("authorName", "commit author name", default="kratix",
                               format=fmt.NAME)
    author_email: str = setting("authorEmail", "commit author email", default="",
                                format=fmt.EMAIL)


@dataclasses.dataclass(frozen=True)
class BucketStore:
    """A BucketStateStore: an S3-compatible bucket, external or embedded in-cluster MinIO."""

    embedded: bool = setting("embedded", "run an in-cluster MinIO with versioning on "
                             "(dev only)", default=False)
    endpoint: Optional[str] = setting("endpoint", "S3 endpoint host[:port] without scheme "
                                      "(external buckets)", default=None, format=fmt.HOST_PORT)
    bucket_name: str = setting("bucketName", "bucket name", default="kratix",
                               format=fmt.S3_BUCKET)
    insecure: bool = setting("insecure", "use plain HTTP to the endpoint", default=False)
    auth_method: str = setting("authMethod", "accessKey (accessKeyID/secretAccessKey) or IAM "
                               "(node role or workload identity)", default="accessKey",
                               choices=BUCKET_AUTH_METHODS)
    versioning: bool = setting("versioning", "the external bucket has object versioning "
                               "enabled (required in prod)", default=False)


@dataclasses.dataclass(frozen=True)
class StateStoreSettings:
    """Where Kratix writes the documents destinations sync from (as the stack declares it;
    validation resolves it into a `StateStore`)."""

    name: str = setting("name", "state store name, a DNS-1123 label", dns_name=True)
    kind: str = setting("kind", "git or bucket", choices=STORE_KINDS)
    path: str = setting("path", "top-level folder inside the repository or bucket", default="",
                        format=fmt.RELATIVE_PATH)
    secret_namespace: str = setting(
        "secretNamespace", "namespace of the credentials Secret", default=KRATIX_NAMESPACE,
        dns_name=True)
    git: Optional[GitStore] = setting("git", "settings of a git store", default=None)
    bucket: Optional[BucketStore] = setting("bucket", "settings of a bucket store", default=None)


@dataclasses.dataclass(frozen=True)
class ExternalBucket:
    """A validated external bucket: its endpoint is known."""

    endpoint: str
    bucket_name: str
    insecure: bool
    auth_method: str
    versioning: bool


@dataclasses.dataclass(frozen=True)
class EmbeddedBucket:
    """The in-cluster MinIO this program runs (versioned, credentials generated)."""

    bucket_name: str


@dataclasses.dataclass(frozen=True)
class StateStore:
    """A validated state store: exactly one backend, nothing left to default."""

    name: str
    path: str
    secret_namespace: str
    backend: GitStore | ExternalBucket | EmbeddedBucket

    @property
    def kind(self) -> str:
        return "git" if isinstance(self.backend, GitStore) else "bucket"

    @property
    def embedded(self) -> bool:
        return isinstance(self.backend, EmbeddedBucket)

    @property
    def auth_method(self) -> str:
        """How Kratix authenticates; "embedded" when this program generates the credentials."""
        if isinstance(self.backend, EmbeddedBucket):
            return "embedded"
        return self.backend.auth_method

    @property
    def versioned(self) -> bool:
        """Whether lost or overwritten state can be recovered (git history, bucket versions)."""
        if isinstance(self.backend, ExternalBucket):
            return self.backend.versioning
        return True

    @property
    def crd_kind(self) -> str:
        return "GitStateStore" if self.kind == "git" else "BucketStateStore"


@dataclasses.dataclass(frozen=True)
class DestinationSettings:
    """A Kratix Destination: a cluster (or folder) that receives scheduled work (as the stack
    declares it; validation resolves it into a `Destination`)."""

    name: str = setting("name", "destination name, a DNS-1123 label", dns_name=True)
    cluster: Optional[str] = setting("cluster", "cluster that syncs this destination "
                                     "(default: the platform cluster)", default=None)
    state_store: Optional[str] = setting("stateStore", "state store it reads from (default: "
                                         "the only state store)", default=None)
    path: Optional[str] = setting("path", "folder in the state store, unique per store "
                                  "(default: the destination name)", default=None,
                                  format=fmt.RELATIVE_PATH)
    environment: Optional[str] = setting("environment", "environment label (default: the "
                                         "cluster's)", default=None, format=fmt.LABEL_VALUE)
    region: Optional[str] = setting("region", "region label (default: the cluster's)",
                                    default=None, format=fmt.LABEL_VALUE)
    labels: Mapping[str, str] = setting("labels", "extra labels for destination selectors",
                                        default=dict, keys=fmt.LABEL_KEY,
                                        format=fmt.LABEL_VALUE)
    strict_match_labels: bool = setting("strictMatchLabels", "receive only work whose "
                                        "selectors match these labels", default=False)
    filepath_mode: str = setting("filepathMode", "layout Kratix writes (immutable once "
                                 "created)", default="nestedByMetadata", choices=FILEPATH_MODES)
    cleanup: str = setting("cleanup", "all removes written documents when the destination is "
                           "deleted", default="none", choices=CLEANUP_POLICIES)


@dataclasses.dataclass(frozen=True)
class Destination:
    """A validated destination: its cluster, state store, path and environment resolved."""

    name: str
    cluster: str
    state_store: str
    path: str
    environment: str
    region: str | None
    labels: Mapping[str, str]
    strict_match_labels: bool
    filepath_mode: str
    cleanup: str

    @property
    def all_labels(self) -> dict[str, str]:
        return naming.destination_labels(self.environment, self.cluster, self.region,
                                         self.labels)


@dataclasses.dataclass(frozen=True)
class Team:
    """An application team that requests platform services."""

    name: str = setting("name", "team name, a DNS-1123 label", dns_name=True)
    owner: str = setting("owner", "owning person or group (contact)", default="")
    group: Optional[str] = setting("group", "identity-provider group of the team's members "
                                   "(default: <name>-developers)", default=None,
                                   format=fmt.NAME)
    size: str = setting("size", "quota and default container limits of each team namespace",
                        default="small", choices=TEAM_SIZES)
    department: str = setting("department", "cost-allocation department (default: the team "
                              "name)", default="", format=fmt.LABEL_VALUE)
    product: str = setting("product", "cost-allocation product (default: the team name)",
                           default="", format=fmt.LABEL_VALUE)

    @property
    def idp_group(self) -> str:
        return self.group or f"{self.name}-developers"


@dataclasses.dataclass(frozen=True)
class ImageSignatures:
    """Cosign verification of images from some registries: a public key or keyless (Fulcio)."""

    registries: tuple[str, ...] = setting(
        "registries", "registry prefixes whose images must carry a cosign signature "
        "(empty: no signature policy)", default=tuple, format=fmt.REGISTRY)
    public_key: Optional[str] = setting("publicKey", "PEM cosign public key (key mode)",
                                        default=None, format=fmt.PEM_PUBLIC_KEY)
    keyless_issuer: Optional[str] = setting("keylessIssuer", "OIDC issuer of keyless "
                                            "signatures (keyless mode)", default=None,
                                            format=fmt.OIDC_ISSUER)
    keyless_subject: Optional[str] = setting("keylessSubject", "certificate subject of keyless "
                                             "signatures (keyless mode)", default=None,
                                             format=fmt.NAME)


@dataclasses.dataclass(frozen=True)
class Security:
    """Pod Security, Kyverno policies, default-deny networking and team tenancy."""

    enabled: bool = setting("enabled", "install Kyverno and the security baseline",
                            default=False)
    allowed_registries: tuple[str, ...] = setting(
        "allowedRegistries", "registry prefixes workload images may come from",
        default=lambda: DEFAULT_ALLOWED_REGISTRIES, format=fmt.REGISTRY)
    image_signatures: ImageSignatures = setting("imageSignatures", "cosign signature "
                                                "verification", default=ImageSignatures)
    monitoring_namespace: str = setting("monitoringNamespace", "namespace allowed to scrape "
                                        "team pods", default=naming.OBSERVABILITY_NAMESPACE,
                                        dns_name=True)
    ingress_namespace: str = setting("ingressNamespace", "namespace of the ingress controller "
                                     "allowed to reach team pods", default="ingress-nginx",
                                     dns_name=True)
    platform_admins_group: str = setting("platformAdminsGroup", "identity-provider group bound "
                                         "to cluster-admin on every cluster",
                                         default="platform-admins", format=fmt.NAME)


@dataclasses.dataclass(frozen=True)
class Observability:
    """OpenTelemetry collectors and auto-instrumentation, Prometheus, Grafana, Tempo, Loki."""

    enabled: bool = setting("enabled", "install the observability stack", default=False)
    gateway_endpoint: Optional[str] = setting(
        "gatewayEndpoint", "host:port where workers' collectors reach the platform cluster's "
        "OTLP gateway over TLS (multi-cluster)", default=None, format=fmt.HOST_AND_PORT)
    trace_sample_percent: int = setting(
        "traceSamplePercent", "share of ordinary traces the gateway keeps (1-100); traces with "
        "an error or slower than latencyThresholdMs are always kept", default=10,
        bounds=fmt.PERCENT)
    latency_threshold_ms: int = setting(
        "latencyThresholdMs", "p99 latency alert threshold, and the duration above which a "
        "trace is always kept", default=1000, bounds=fmt.Range(1, unit="milliseconds"))
    error_rate_percent: int = setting(
        "errorRatePercent", "error ratio of a service (percent of calls) that fires "
        "HighErrorRate", default=5, bounds=fmt.PERCENT)
    runbook_url: str = setting("runbookURL", "where alert runbooks are published (each alert "
                               "links to its #section)", default="docs/runbooks.md",
                               format=fmt.RUNBOOK_URL)


@dataclasses.dataclass(frozen=True)
class ChartOverride:
    """Overrides one entry of the chart table."""

    version: Optional[str] = setting("version", "chart version to use instead of the pin",
                                     default=None, format=fmt.CHART_VERSION)
    repository: Optional[str] = setting("repository", "repository to fetch it from",
                                        default=None, format=fmt.CHART_REPOSITORY)
    values: Mapping[str, Any] = setting(
        "values", "Helm values laid over the layer's own (nested maps merged, anything else "
        "replaced, null removes a key); see the layer's page for the keys it sets",
        default=dict)


@dataclasses.dataclass(frozen=True)
class KratixSettings:
    """Kratix controller settings."""

    image: str = setting("image", "controller image, pinned by digest",
                         default=charts.IMAGES["kratix-controller"],
                         format=fmt.IMAGE_BY_DIGEST)
    service_account_annotations: Mapping[str, str] = setting(
        "serviceAccountAnnotations", "annotations on the controller ServiceAccount (for "
        "example an IAM role for bucket stores with authMethod IAM)", default=dict,
        keys=fmt.ANNOTATION_KEY, values_by_key=fmt.SERVICE_ACCOUNT_ANNOTATION_VALUES)


@dataclasses.dataclass(frozen=True)
class SyncWindow:
    """When prod Applications may sync (an ArgoCD AppProject sync window)."""

    schedule: str = setting("schedule", "cron expression opening the window",
                            default="0 7 * * 1-5", format=fmt.CRON)
    duration: str = setting("duration", "how long the window stays open", default="3h",
                            format=fmt.DURATION)
    time_zone: str = setting("timeZone", "time zone of the schedule", default="UTC",
                             format=fmt.TIME_ZONE)


@dataclasses.dataclass(frozen=True)
class GitOps:
    """ArgoCD on the platform cluster: App of Apps, ApplicationSets, destination sync."""

    enabled: bool = setting("enabled", "install ArgoCD and the GitOps objects", default=False)
    repo_url: Optional[str] = setting("repoURL", "platform GitOps repository (https://... or "
                                      "git@...)", default=None, format=fmt.GIT_URL)
    target_revision: Optional[str] = setting(
        "targetRevision", "pinned tag, commit or branch of the repository (never HEAD or a "
        "range with *)", default=None)
    path: str = setting("path", "folder the root Application syncs (per-layer apps)",
                        default="platform", format=fmt.RELATIVE_PATH)
    teams_path: str = setting("teamsPath", "folder of team services, laid out "
                              "<teamsPath>/<team>/<environment>", default="teams",
                              format=fmt.RELATIVE_PATH)
    secrets: str = setting("secrets", "secret manager installed next to ArgoCD",
                           default="sealed-secrets", choices=SECRET_MANAGERS)
    cluster_auth: str = setting(
        "clusterAuth", "how ArgoCD authenticates to workers: bearerToken "
        "(gitopsCredentials.<cluster>.bearerToken) or awsIAM (EKS, awsRoleArn)",
        default="bearerToken", choices=CLUSTER_AUTH_METHODS)
    aws_role_arn: Optional[str] = setting("awsRoleArn", "IAM role ArgoCD assumes to reach "
                                          "EKS workers (clusterAuth awsIAM)", default=None,
                                          format=fmt.IAM_ROLE_ARN)
    prod_sync_window: SyncWindow = setting("prodSyncWindow", "when prod Applications sync",
                                           default=SyncWindow)


@dataclasses.dataclass(frozen=True)
class Promises:
    """Every promise in promises/ (the cloud-backed ones only with the Crossplane layer),
    installed after Kratix."""

    enabled: bool = setting("enabled", "install every promise in promises/", default=False)
    image_registry: str = setting(
        "imageRegistry", "registry and path of the pipeline images, pulled as "
        "<imageRegistry>/<promise>-pipeline:<promise version>",
        default="ghcr.io/idp-as-code/promises", format=fmt.REGISTRY)
    destination_selectors: Mapping[str, str] = setting(
        "destinationSelectors", "destination labels every promise's operator and resources "
        "are scheduled to; must match at least one destination", default=dict,
        keys=fmt.LABEL_KEY, format=fmt.LABEL_VALUE)
# The first DORA and onboarding figures a stack records (idp:finops.baseline.figures), in
# whole units so they read the same in YAML and on the dashboards.
BASELINE_FIGURES = ("deploymentsPerWeek", "leadTimeMinutes", "changeFailurePercent",
                    "timeToRestoreMinutes", "timeToFirstDeployMinutes")


@dataclasses.dataclass(frozen=True)
class Baseline:
    """The first measured figures, recorded in the stack so later ones compare against them."""

    date: Optional[str] = setting("date", "day the baseline was measured (YYYY-MM-DD)",
                                  default=None, format=fmt.ISO_DATE)
    figures: Mapping[str, int] = setting(
        "figures", "measured values keyed by " + ", ".join(BASELINE_FIGURES), default=dict,
        bounds=fmt.NON_NEGATIVE)


@dataclasses.dataclass(frozen=True)
class FinOps:
    """Kubecost per-team cost allocation, DORA metrics and time-to-first-deploy."""

    enabled: bool = setting("enabled", "install Kubecost on every cluster and, with GitOps, "
                            "the DORA and time-to-first-deploy collection", default=False)
    federated_storage_secret: Optional[str] = setting(
        "federatedStorageSecret", "Secret (key federated-store.yaml) in each cluster's kubecost "
        "namespace naming the bucket workers report to (required multi-cluster)", default=None,
        format=fmt.DNS_SUBDOMAIN)
    service_account_annotations: Mapping[str, str] = setting(
        "serviceAccountAnnotations", "annotations on Kubecost's ServiceAccounts (for example "
        "an IAM role for the federated bucket)", default=dict, keys=fmt.ANNOTATION_KEY,
        values_by_key=fmt.SERVICE_ACCOUNT_ANNOTATION_VALUES)
    currency: str = setting("currency", "currency Kubecost reports in", default="USD",
                            format=fmt.CURRENCY)
    baseline: Baseline = setting("baseline", "the first recorded DORA figures",
                                 default=Baseline)
# ---------------------------------------------------------------------------------------------
# Developer portal (Backstage)

PORTAL_DATABASES = ("sqlite", "postgres")
PORTAL_SIGN_INS = ("oidc", "guest")
# Keys of `portalCredentials`: <group>.<key>, and <worker>.token for workers reached by token.
PORTAL_CREDENTIAL_KEYS: Mapping[str, tuple[str, ...]] = {
    "oidc": ("clientSecret",), "database": ("password",), "argocd": ("token",)}


@dataclasses.dataclass(frozen=True)
class PortalOidc:
    """The identity provider users sign in with (OpenID Connect)."""

    metadata_url: Optional[str] = setting(
        "metadataUrl", "the provider's discovery document "
        "(https://.../.well-known/openid-configuration)", default=None,
        format=fmt.OIDC_METADATA_URL)
    client_id: Optional[str] = setting("clientId", "OIDC client id of the portal (its secret is "
                                       "portalCredentials.oidc.clientSecret)", default=None,
                                       format=fmt.NAME)


@dataclasses.dataclass(frozen=True)
class PortalPostgres:
    """The external PostgreSQL the portal keeps its catalog in (prod)."""

    host: Optional[str] = setting("host", "PostgreSQL host", default=None, format=fmt.HOST)
    port: int = setting("port", "PostgreSQL port", default=5432, bounds=fmt.PORT)
    user: str = setting("user", "PostgreSQL user (its password is "
                        "portalCredentials.database.password)", default="backstage",
                        format=fmt.NAME)


@dataclasses.dataclass(frozen=True)
class Portal:
    """Backstage: software catalog, Golden Path templates, TechDocs, Kubernetes and Argo CD."""

    enabled: bool = setting("enabled", "install the developer portal", default=False)
    image: str = setting("image", "Backstage image with the platform's plugins compiled in "
                         "(pinned tag or digest)", default=charts.IMAGES["backstage"],
                         format=fmt.IMAGE)
    base_url: Optional[str] = setting("baseURL", "URL users open the portal at",
                                      default=None, format=fmt.PORTAL_URL)
    sign_in: str = setting("signIn", "how users sign in: oidc (an identity provider) or guest "
                           "(anyone who opens the portal, dev profile only)", default="oidc",
                           choices=PORTAL_SIGN_INS)
    oidc: PortalOidc = setting("oidc", "sign-in through OpenID Connect (signIn oidc)",
                               default=PortalOidc)
    database: str = setting("database", "sqlite (in memory, dev only) or postgres",
                            default="sqlite", choices=PORTAL_DATABASES)
    postgres: PortalPostgres = setting("postgres", "external PostgreSQL (database postgres)",
                                       default=PortalPostgres)
    golden_paths_url: Optional[str] = setting(
        "goldenPathsURL", "browsable URL of this repository's golden-paths/ folder, where the "
        "portal reads the Golden Path templates", default=None, format=fmt.HTTPS_URL)
    service_account_annotations: Mapping[str, str] = setting(
        "serviceAccountAnnotations", "annotations on the portal's ServiceAccount (for example "
        "the IAM role it reads EKS workers with)", default=dict, keys=fmt.ANNOTATION_KEY,
        values_by_key=fmt.SERVICE_ACCOUNT_ANNOTATION_VALUES)


def _check_portal(config: "StackConfig", secret_keys: frozenset[str],
                  problems: Problems) -> None:
    portal, key = config.portal, f"{NAMESPACE}:portal"
    creds_key, creds = f"{NAMESPACE}:portalCredentials", config.portal_credentials
    if creds and creds_key not in secret_keys:
        problems.add(creds_key, "holds credentials in plaintext; store each value with `pulumi "
                     "config set --secret --path 'portalCredentials.<name>.<key>' VALUE`")
    workers = [c.name for c in gitops_workers(config)]
    for name, values in creds.items():
        accepted = ("token",) if name in workers else PORTAL_CREDENTIAL_KEYS.get(name)
        if accepted is None:
            problems.add(f"{creds_key}.{name}", "is not a portal credential; accepted: "
                         + ", ".join([*PORTAL_CREDENTIAL_KEYS, *workers]))
            continue
        for secret_key in values:
            if secret_key not in accepted:
                problems.add(f"{creds_key}.{name}.{secret_key}", "is not used by the portal; "
                             "accepted: " + ", ".join(accepted))
    if not portal.enabled:
        return
    oidc = portal.sign_in == "oidc"
    if not oidc and config.profile != "dev":
        problems.add(f"{key}.signIn", "guest lets anyone who reaches the portal in; it is for "
                     "the dev profile only: use oidc")
    for path, value in (("baseURL", portal.base_url),
                        *((("oidc.metadataUrl", portal.oidc.metadata_url),
                           ("oidc.clientId", portal.oidc.client_id)) if oidc else ()),
                        ("goldenPathsURL", portal.golden_paths_url)):
        if not value:
            problems.add(f"{key}.{path}", "is required when the portal is enabled")
    required = [("oidc", "clientSecret")] if oidc else []
    if portal.database == "postgres":
        required.append(("database", "password"))
        if not portal.postgres.host:
            problems.add(f"{key}.postgres.host", "is required for database postgres")
    elif config.profile == "prod":
        problems.add(f"{key}.database", "sqlite keeps the catalog in memory, lost on every "
                     "restart and not shared between replicas; use postgres in prod")
    if config.profile == "prod" and (portal.base_url or "").startswith("http://"):
        problems.add(f"{key}.baseURL", f"'{portal.base_url}' is plain HTTP, which only a local "
                     "dev portal may use; a prod portal needs an https:// URL")
    for name, secret_key in required:
        if not creds.get(name, {}).get(secret_key):
            problems.add(f"{creds_key}.{name}.{secret_key}", "is required for the portal; set "
                         f"it with `pulumi config set --secret --path 'portalCredentials.{name}."
                         f"{secret_key}' VALUE`")


@dataclasses.dataclass(frozen=True)
class PortalSite:
    """The validated URLs of an enabled portal."""

    base_url: str
    golden_paths_url: str


@dataclasses.dataclass(frozen=True)
class Crossplane:
    """The optional cloud layer: Crossplane, its providers and the cloud-backed promises' API."""

    enabled: bool = setting("enabled", "install Crossplane and offer the cloud-backed promises",
                            default=False)
    where: str = setting(
        "where", "destinations: on every cluster of a destination the selectors match; "
        "platform: on the platform cluster (which must host those destinations)",
        default="destinations", choices=CROSSPLANE_PLACEMENTS)
    providers: tuple[str, ...] = setting(
        "providers", "provider packages to install (a cloud provider and kubernetes)",
        default=lambda: CROSSPLANE_PROVIDERS, choices=CROSSPLANE_PROVIDERS)
    destination_selectors: Mapping[str, str] = setting(
        "destinationSelectors", "destination labels the cloud-backed promises schedule to; "
        "Crossplane runs where those destinations are synced", default=dict,
        keys=fmt.LABEL_KEY, format=fmt.LABEL_VALUE)
    credentials: str = setting(
        "credentials", "how cloud providers authenticate: secret (crossplaneCredentials."
        "<provider>) or workloadIdentity (IRSA role, awsRoleArn)", default="secret",
        choices=CROSSPLANE_CREDENTIAL_SOURCES)
    aws_role_arn: Optional[str] = setting(
        "awsRoleArn", "IAM role the AWS provider's ServiceAccount assumes (credentials "
        "workloadIdentity)", default=None, format=fmt.IAM_ROLE_ARN)


def _default_clusters() -> tuple[Cluster, ...]:
    return (Cluster(name="platform", role="platform", environment="dev", region="local"),)


def _default_state_stores() -> tuple[StateStoreSettings, ...]:
    return (StateStoreSettings(name="default", kind="bucket", bucket=BucketStore(embedded=True)),)


def _default_destinations() -> tuple[DestinationSettings, ...]:
    return (DestinationSettings(name="platform"),)


@dataclasses.dataclass(frozen=True)
class StackConfig:
    """Everything one stack declares. Keys are `idp:<key>`."""

    profile: str = setting("profile", "size profile: dev (one small node) or prod (HA)",
                           default="dev", choices=PROFILES)
    topology: str = setting("topology", "single-cluster (the platform is its own destination) "
                            "or multi-cluster", default="single-cluster", choices=TOPOLOGIES)
    clusters: tuple[Cluster, ...] = setting("clusters", "the clusters and how to reach them",
                                            default=_default_clusters)
    state_store_settings: tuple[StateStoreSettings, ...] = setting(
        "stateStores", "where Kratix writes documents", default=_default_state_stores)
    destination_settings: tuple[DestinationSettings, ...] = setting(
        "destinations", "Kratix destinations and their labels", default=_default_destinations)
    teams: tuple[Team, ...] = setting("teams", "application teams", default=tuple)
    chart_mirror: str = setting("chartMirror", "redirect every chart: oci://..., https://... "
                                "or a local directory of charts", default="",
                                format=fmt.CHART_MIRROR)
    charts: Mapping[str, ChartOverride] = setting(
        "charts", "per-chart version, repository or values overrides, keyed by chart",
        default=dict)
    kratix: KratixSettings = setting("kratix", "Kratix controller settings",
                                     default=KratixSettings)
    state_store_credentials: Mapping[str, Mapping[str, str]] = setting(
        "stateStoreCredentials", "secret credentials per state store name (set with "
        "`pulumi config set --secret --path`)", default=dict, secret=True)
    gitops: GitOps = setting("gitops", "GitOps with ArgoCD", default=GitOps)
    security: Security = setting("security", "security baseline", default=Security)
    observability: Observability = setting("observability", "telemetry collection, storage, "
                                           "dashboards and alerts", default=Observability)
    promises: Promises = setting("promises", "services as a service: every promise in promises/",
                                 default=Promises)
    finops: FinOps = setting("finops", "cost allocation and delivery metrics", default=FinOps)
    crossplane: Crossplane = setting("crossplane", "Crossplane cloud layer (off by default)",
                                     default=Crossplane)
    crossplane_credentials: Mapping[str, Mapping[str, str]] = setting(
        "crossplaneCredentials", "secret cloud credentials per provider: aws.accessKeyID and "
        "aws.secretAccessKey (set with `pulumi config set --secret --path`)", default=dict,
        secret=True)
    gitops_credentials: Mapping[str, Mapping[str, str]] = setting(
        "gitopsCredentials", "secret credentials: repository.username/password or "
        "repository.sshPrivateKey, and <cluster>.bearerToken (set with `pulumi config set "
        "--secret --path`)", default=dict, secret=True)
    portal: Portal = setting("portal", "developer portal (Backstage)", default=Portal)
    portal_credentials: Mapping[str, Mapping[str, str]] = setting(
        "portalCredentials", "secret portal credentials: oidc.clientSecret, database.password, "
        "argocd.token and <worker>.token (set with `pulumi config set --secret --path`)",
        default=dict, secret=True)
    # Resolved by validation (not config keys): what the program builds from, with nothing
    # left optional that it relies on.
    state_stores: tuple[StateStore, ...] = ()
    destinations: tuple[Destination, ...] = ()
    worker_servers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """API server URL of each worker that declares one (every worker ArgoCD syncs does)."""
    portal_site: "PortalSite | None" = None
    """Where the portal is served and reads its templates; None while the portal is off."""
    telemetry_gateway: str | None = None
    """host:port of the OTLP gateway workers send to; None without workers or observability."""

    @property
    def platform_cluster(self) -> Cluster:
        return next(c for c in self.clusters if c.role == "platform")

    def cluster(self, name: str) -> Cluster:
        return next(c for c in self.clusters if c.name == name)

    def state_store(self, name: str) -> StateStore:
        return next(s for s in self.state_stores if s.name == name)

    def chart(self, key: str, base_dir: Path | None = None) -> ResolvedChart:
        override = self.charts.get(key, ChartOverride())
        return charts.resolve_chart(key, self.chart_mirror, override.version,
                                    override.repository, base_dir, override.values)


# ---------------------------------------------------------------------------------------------
# Reading raw config


def read_raw_config(namespace: str = NAMESPACE) -> dict[str, str]:
    """All `<namespace>:*` values the engine (or a test) handed the program, as strings."""
    merged: dict[str, Any] = dict(pulumi.runtime.get_config_env())
    merged.update(pulumi.runtime.config.CONFIG.get())
    prefix = f"{namespace}:"
    return {k[len(prefix):]: v for k, v in merged.items() if k.startswith(prefix)}


def _decode(kind: Any, text: Any, path: str, problems: Problems) -> Any:
    """Config arrives as strings; objects and lists as JSON. Decode by the field's type."""
    if not isinstance(text, str):
        return text
    if kind is str or kind == Optional[str]:
        return text
    if kind is bool:
        if text in ("true", "false"):
            return text == "true"
        return text
    if kind is int:
        try:
            return int(text)
        except ValueError:
            return text
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        problems.add(path, "must be structured YAML (an object or a list), got plain text "
                     f"'{text[:40]}'; set it in the stack file or with `pulumi config set --path`")
        return _UNREADABLE


_UNREADABLE = object()


def parse_stack_config(raw: Mapping[str, Any], secret_keys: frozenset[str] = frozenset(),
                       base_dir: Path | None = None) -> StackConfig:
    """Parse and validate raw `idp:*` values (strings or decoded); raise ConfigError if wrong."""
    problems = Problems()
    hints = field_types(StackConfig)
    decoded: dict[str, Any] = {}
    known = {f.metadata["key"]: f for f in model_fields(StackConfig)}
    for key, text in raw.items():
        field = known.get(key)
        value = _decode(hints[field.name], text, f"{NAMESPACE}:{key}", problems) if field else text
        if value is not _UNREADABLE:
            decoded[key] = value
    config = parse_model(StackConfig, decoded, NAMESPACE, problems, separator=":")
    if config is not None:
        config = _resolve_and_check(config, secret_keys, base_dir, problems)
    problems.raise_if_any()
    return config


def load_stack_config() -> StackConfig:
    """Read the current stack's config; the only entry point `__main__.py` needs."""
    raw = read_raw_config()
    secret_keys = frozenset(f"{NAMESPACE}:{key}" for key in raw
                            if pulumi.runtime.is_config_secret(f"{NAMESPACE}:{key}"))
    secret_keys |= frozenset(pulumi.runtime.get_config_secret_keys_env())
    return parse_stack_config(raw, secret_keys, Path.cwd())


# The Python language host's code for "the program already showed the user what went wrong":
# the run then ends with that message alone, without a generic "non-zero exit code" error.
USER_ERROR_SHOWN_EXIT_CODE = 32


def load_stack_config_or_exit() -> StackConfig:
    """`load_stack_config` for `__main__.py`: a config mistake is reported once, as the only
    error of the run, and nothing is registered."""
    try:
        return load_stack_config()
    except ConfigError as error:
        pulumi.log.error(str(error))
        raise SystemExit(USER_ERROR_SHOWN_EXIT_CODE) from None


# ---------------------------------------------------------------------------------------------
# Cross-field rules


def _duplicates(names: list[str]) -> set[str]:
    return {n for n in names if names.count(n) > 1}


def _resolve_and_check(config: StackConfig, secret_keys: frozenset[str], base_dir: Path | None,
                       problems: Problems) -> StackConfig:
    _check_clusters(config, problems)
    config = dataclasses.replace(config, state_stores=_resolve_state_stores(config, problems))
    _check_credentials(config, secret_keys, problems)
    _check_teams(config, problems)
    _check_security(config, problems)
    _check_finops(config, problems)
    _check_charts(config, base_dir, problems)
    _check_gitops(config, secret_keys, problems)
    _check_portal(config, secret_keys, problems)
    if problems.items:
        return config
    destinations = _resolve_destinations(config, problems)
    # Last: a stack made multi-cluster reports its destinations' problems first.
    _check_observability(config, problems)
    config = dataclasses.replace(config, destinations=destinations)
    if not problems.items:
        _check_promises(config, problems)
        _check_crossplane(config, secret_keys, problems)
    return _resolve_layer_values(config)


def _resolve_layer_values(config: StackConfig) -> StackConfig:
    """The values layers rely on once validation proved them present."""
    portal = config.portal
    site = None
    if portal.enabled and portal.base_url and portal.golden_paths_url:
        site = PortalSite(portal.base_url, portal.golden_paths_url)
    gateway = config.observability.gateway_endpoint
    has_workers = any(c.role == "worker" for c in config.clusters)
    return dataclasses.replace(
        config, worker_servers={c.name: c.server for c in config.clusters
                                if c.role == "worker" and c.server},
        portal_site=site,
        telemetry_gateway=gateway if config.observability.enabled and has_workers else None)


def _check_clusters(config: StackConfig, problems: Problems) -> None:
    key = f"{NAMESPACE}:clusters"
    for name in sorted(_duplicates([c.name for c in config.clusters])):
        problems.add(key, f"cluster name '{name}' is used more than once; names must be unique")
    platforms = [i for i, c in enumerate(config.clusters) if c.role == "platform"]
    if len(platforms) != 1:
        problems.add(key, f"exactly one cluster needs role: platform, found {len(platforms)}")
    workers = [c for c in config.clusters if c.role == "worker"]
    if config.topology == "single-cluster" and len(config.clusters) != 1:
        problems.add(f"{NAMESPACE}:topology", "single-cluster takes exactly one cluster (the "
                     f"platform), but {len(config.clusters)} are declared; use multi-cluster")
    if config.topology == "multi-cluster" and not workers:
        problems.add(f"{NAMESPACE}:topology", "multi-cluster needs at least one cluster with "
                     "role: worker; add one or use single-cluster")
    for i, cluster in enumerate(config.clusters):
        target = cluster.target
        if target.mode == "render" and (target.kubeconfig or target.context):
            problems.add(f"{key}[{i}].target", "kubeconfig and context apply only to mode "
                         "kubeconfig; remove them or set mode: kubeconfig")
        if target.mode == "kubeconfig" and target.render_dir:
            problems.add(f"{key}[{i}].target.renderDir", "applies only to mode render")


def _resolve_state_stores(config: StackConfig, problems: Problems) -> tuple[StateStore, ...]:
    key = f"{NAMESPACE}:stateStores"
    declared = config.state_store_settings
    if not declared:
        problems.add(key, "at least one state store is required")
    for name in sorted(_duplicates([s.name for s in declared])):
        problems.add(key, f"state store name '{name}' is used more than once")
    embedded = [s for s in declared if s.bucket and s.bucket.embedded]
    if len(embedded) > 1:
        problems.add(key, "only one state store may be embedded")
    resolved = []
    for i, store in enumerate(declared):
        path = f"{key}[{i}]"
        other = "bucket" if store.kind == "git" else "git"
        if getattr(store, other) is not None:
            problems.add(f"{path}.{other}", f"applies only to kind {other}; remove it or set "
                         f"kind: {other}")
        backend: GitStore | ExternalBucket | EmbeddedBucket | None = None
        if store.kind == "git" and store.git:
            _check_git_store(store.git, f"{path}.git", problems)
            backend = store.git
        elif store.kind == "bucket" and store.bucket:
            backend = _resolve_bucket(config, store.bucket, f"{path}.bucket", problems)
        else:
            problems.add(f"{path}.{store.kind}", f"is required for kind {store.kind}")
        if backend is None:
            continue
        resolved.append(StateStore(store.name, store.path, store.secret_namespace, backend))
        if config.profile == "prod" and not resolved[-1].versioned:
            problems.add(f"{path}.bucket.versioning", "a prod stack needs versioned state: "
                         "enable object versioning on the bucket and set versioning: true, or "
                         "use a git store")
    return tuple(resolved)


def _check_git_store(git: GitStore, path: str, problems: Problems) -> None:
    ssh = fmt.git_url_is_ssh(git.url)
    if git.auth_method == "ssh" and not ssh and not fmt.GIT_URL.problem(git.url):
        problems.add(f"{path}.url", f"'{git.url}' is not an ssh URL, but authMethod is ssh; use "
                     "ssh://host/path or git@host:path, or authMethod basicAuth")
    if git.auth_method == "basicAuth" and ssh:
        problems.add(f"{path}.url", f"'{git.url}' is an ssh URL, but authMethod is basicAuth; "
                     "use https://host/path, or authMethod ssh")


def _resolve_bucket(config: StackConfig, bucket: BucketStore, path: str,
                    problems: Problems) -> ExternalBucket | EmbeddedBucket | None:
    if bucket.embedded:
        if bucket.endpoint:
            problems.add(f"{path}.endpoint", "is set by the embedded MinIO; remove it")
        if config.profile == "prod":
            problems.add(f"{path}.embedded", "the embedded MinIO lives and dies with the "
                         "platform cluster, so it is not allowed in prod; use an external "
                         "versioned bucket or a git store")
        return EmbeddedBucket(bucket.bucket_name)
    if not bucket.endpoint:
        problems.add(f"{path}.endpoint", "is required for an external bucket (host[:port], "
                     "for example s3.eu-west-1.amazonaws.com)")
        return None
    return ExternalBucket(bucket.endpoint, bucket.bucket_name, bucket.insecure,
                          bucket.auth_method, bucket.versioning)


def _check_credentials(config: StackConfig, secret_keys: frozenset[str],
                       problems: Problems) -> None:
    key = f"{NAMESPACE}:stateStoreCredentials"
    creds = config.state_store_credentials
    if creds and key not in secret_keys:
        problems.add(key, "holds credentials in plaintext; store each value with `pulumi config "
                     "set --secret --path 'stateStoreCredentials.<store>.<key>' VALUE`")
    stores = [s.name for s in config.state_store_settings]
    for name in creds:
        if name not in stores:
            problems.add(f"{key}.{name}", "names no state store; accepted: " + ", ".join(stores))
    for store in config.state_stores:
        method = store.auth_method
        if method not in CREDENTIAL_KEYS:
            continue
        accepted, required = CREDENTIAL_KEYS[method]
        given = creds.get(store.name, {})
        for secret_key in given:
            if secret_key not in accepted:
                problems.add(f"{key}.{store.name}.{secret_key}", f"is not used by {method}; "
                             "accepted: " + ", ".join(accepted))
        for secret_key in required:
            if not given.get(secret_key):
                problems.add(f"{key}.{store.name}.{secret_key}", f"is required for state "
                             f"store '{store.name}' ({method}); set it with `pulumi config set "
                             f"--secret --path 'stateStoreCredentials.{store.name}."
                             f"{secret_key}' VALUE`")


def _check_teams(config: StackConfig, problems: Problems) -> None:
    for name in sorted(_duplicates([t.name for t in config.teams])):
        problems.add(f"{NAMESPACE}:teams", f"team name '{name}' is used more than once")


def _check_security(config: StackConfig, problems: Problems) -> None:
    key = f"{NAMESPACE}:security.imageSignatures"
    signatures = config.security.image_signatures
    if not signatures.registries:
        return
    keyless = (signatures.keyless_issuer, signatures.keyless_subject)
    if signatures.public_key and any(keyless):
        problems.add(key, "set either publicKey or keylessIssuer/keylessSubject, not both")
    elif not signatures.public_key and not all(keyless):
        problems.add(key, "registries need a publicKey, or both keylessIssuer and "
                     "keylessSubject, to verify signatures with")


def _check_observability(config: StackConfig, problems: Problems) -> None:
    settings, key = config.observability, f"{NAMESPACE}:observability"
    if not settings.enabled:
        return
    workers = [c.name for c in config.clusters if c.role == "worker"]
    endpoint = settings.gateway_endpoint
    if workers and not endpoint:
        problems.add(f"{key}.gatewayEndpoint", "workers (" + ", ".join(workers) + ") send "
                     "telemetry to the platform cluster: set the host:port of its OTLP gateway")
def _check_finops(config: StackConfig, problems: Problems) -> None:
    finops, key = config.finops, f"{NAMESPACE}:finops"
    if finops.enabled and len(config.clusters) > 1 and not finops.federated_storage_secret:
        problems.add(f"{key}.federatedStorageSecret", "is required when Kubecost runs on more "
                     "than one cluster (workers report their costs through that bucket); name "
                     "a Secret holding federated-store.yaml in the kubecost namespace")
    baseline = finops.baseline
    for name, value in baseline.figures.items():
        if name not in BASELINE_FIGURES:
            problems.add(f"{key}.baseline.figures.{name}", "is not a baseline figure; accepted: "
                         + ", ".join(BASELINE_FIGURES))
        elif name.endswith("Percent") and value > 100:
            problems.add(f"{key}.baseline.figures.{name}", f"{value} is out of range; "
                         "accepted: an integer from 0 to 100 (percent)")
    if baseline.figures and not baseline.date:
        problems.add(f"{key}.baseline.date", "is required with figures (the day they were "
                     "measured)")


def _check_charts(config: StackConfig, base_dir: Path | None, problems: Problems) -> None:
    for key in config.charts:
        if key not in charts.CHARTS:
            problems.add(f"{NAMESPACE}:charts.{key}", "is not a chart of this platform; "
                         "accepted: " + ", ".join(charts.CHARTS))
    for key in charts.CHARTS:
        try:
            config.chart(key, base_dir)
        except ValueError as error:
            problems.add(f"{NAMESPACE}:chartMirror", str(error))


def promise_destinations(config: StackConfig) -> list[Destination]:
    """Destinations the promises schedule to: every label of the selectors matches (Kratix
    ANDs them); with no selectors, every destination without strictMatchLabels."""
    selectors = config.promises.destination_selectors
    if not selectors:
        return [d for d in config.destinations if not d.strict_match_labels]
    return [d for d in config.destinations
            if all(d.all_labels.get(key) == value for key, value in selectors.items())]


def _check_promises(config: StackConfig, problems: Problems) -> None:
    key = f"{NAMESPACE}:promises"
    settings = config.promises
    if not settings.enabled:
        return
    if not promise_destinations(config):
        _report_unmatched_selectors(settings.destination_selectors, config.destinations,
                                    f"{key}.destinationSelectors", "no operator or service "
                                    "would ever be scheduled", problems)


def _destination_labels_text(destinations: tuple[Destination, ...]) -> str:
    return "; ".join(f"{d.name}: " + ", ".join(f"{k}={v}" for k, v in sorted(d.all_labels.items()))
                     + (" (strictMatchLabels)" if d.strict_match_labels else "")
                     for d in destinations)


def _report_unmatched_selectors(selectors: Mapping[str, str],
                                destinations: tuple[Destination, ...], path: str,
                                consequence: str, problems: Problems) -> None:
    """Selectors that match no destination: one line per selector label that no destination
    carries (or carries with another value), else one line for the combination."""
    existing: dict[str, list[str]] = {}
    for destination in destinations:
        for label_key, value in destination.all_labels.items():
            values = existing.setdefault(label_key, [])
            if value not in values:
                values.append(value)
    alone = False
    for label_key, value in selectors.items():
        if label_key not in existing:
            problems.add(f"{path}.{label_key}", f"no destination has the label {label_key}, so "
                         f"{consequence}; labels that exist: " + ", ".join(sorted(existing)))
            alone = True
        elif value not in existing[label_key]:
            problems.add(f"{path}.{label_key}", f"'{value}' matches no destination, so "
                         f"{consequence}; {label_key} values that exist: "
                         + ", ".join(sorted(existing[label_key])))
            alone = True
    if not alone:
        problems.add(path, f"match no destination, so {consequence}; destinations and their "
                     f"labels: {_destination_labels_text(destinations)}")


def crossplane_destinations(config: StackConfig) -> list[Destination]:
    """Destinations the cloud-backed promises schedule to (every label of the selectors
    matches); Crossplane runs on the clusters that sync them."""
    selectors = config.crossplane.destination_selectors
    return [d for d in config.destinations
            if all(d.all_labels.get(key) == value for key, value in selectors.items())]


def crossplane_clusters(config: StackConfig) -> list[str]:
    """The clusters the cloud layer is installed on (none while it is off)."""
    if not config.crossplane.enabled:
        return []
    return sorted({d.cluster for d in crossplane_destinations(config) if d.cluster})


def _check_crossplane(config: StackConfig, secret_keys: frozenset[str],
                      problems: Problems) -> None:
    key, creds_key = f"{NAMESPACE}:crossplane", f"{NAMESPACE}:crossplaneCredentials"
    settings, creds = config.crossplane, config.crossplane_credentials
    if creds and creds_key not in secret_keys:
        problems.add(creds_key, "holds credentials in plaintext; store each value with `pulumi "
                     "config set --secret --path 'crossplaneCredentials.<provider>.<key>' VALUE`")
    for provider, given in creds.items():
        accepted = CROSSPLANE_CREDENTIAL_KEYS.get(provider)
        if accepted is None:
            problems.add(f"{creds_key}.{provider}", "names no cloud provider; accepted: "
                         + ", ".join(CROSSPLANE_CREDENTIAL_KEYS))
            continue
        for secret_key in given:
            if secret_key not in accepted:
                problems.add(f"{creds_key}.{provider}.{secret_key}", "is not a credential of "
                             f"{provider}; accepted: " + ", ".join(accepted))
    if not settings.enabled:
        return
    clouds = [p for p in settings.providers if p in CROSSPLANE_CLOUD_PROVIDERS]
    if not clouds:
        problems.add(f"{key}.providers", "needs a cloud provider (" + ", ".join(
            CROSSPLANE_CLOUD_PROVIDERS) + "): the objectstorage composition creates AWS S3 "
            "resources")
    if "kubernetes" not in settings.providers:
        problems.add(f"{key}.providers", "needs kubernetes: provider-kubernetes lets "
                     "compositions manage objects on other clusters")
    matched = crossplane_destinations(config)
    if not matched:
        _report_unmatched_selectors(settings.destination_selectors, config.destinations,
                                    f"{key}.destinationSelectors", "no cloud resource could "
                                    "ever be created", problems)
    platform = config.platform_cluster.name
    elsewhere = sorted(d.name for d in matched if d.cluster != platform)
    if settings.where == "platform" and elsewhere:
        problems.add(f"{key}.where", "is platform, but the selectors also match destinations "
                     f"on workers ({', '.join(elsewhere)}); narrow destinationSelectors to the "
                     "platform cluster's destinations or set where: destinations")
    if settings.credentials == "workloadIdentity":
        if not settings.aws_role_arn and "aws" in clouds:
            problems.add(f"{key}.awsRoleArn", "is required for credentials workloadIdentity "
                         "(the IAM role the AWS provider's ServiceAccount assumes)")
        return
    if settings.aws_role_arn:
        problems.add(f"{key}.awsRoleArn", "applies only to credentials workloadIdentity; "
                     "remove it or set credentials: workloadIdentity")
    for provider in clouds:
        for secret_key in CROSSPLANE_CREDENTIAL_KEYS[provider]:
            if not creds.get(provider, {}).get(secret_key):
                problems.add(f"{creds_key}.{provider}.{secret_key}", "is required for "
                             "credentials secret; set it with `pulumi config set --secret "
                             f"--path 'crossplaneCredentials.{provider}.{secret_key}' VALUE`")


def gitops_workers(config: StackConfig) -> list[Cluster]:
    """Workers ArgoCD on the platform cluster must reach: those that sync a destination."""
    synced = {d.cluster for d in config.destination_settings}  # None: the platform cluster
    return [c for c in config.clusters if c.role == "worker" and c.name in synced]


def _check_gitops(config: StackConfig, secret_keys: frozenset[str], problems: Problems) -> None:
    gitops, key = config.gitops, f"{NAMESPACE}:gitops"
    creds_key = f"{NAMESPACE}:gitopsCredentials"
    creds = config.gitops_credentials
    if creds and creds_key not in secret_keys:
        problems.add(creds_key, "holds credentials in plaintext; store each value with "
                     "`pulumi config set --secret --path 'gitopsCredentials.<name>.<key>' VALUE`")
    if not gitops.enabled:
        return
    if not gitops.repo_url:
        problems.add(f"{key}.repoURL", "is required when gitops is enabled (the platform GitOps "
                     "repository the root Application syncs)")
    revision = gitops.target_revision
    if not revision or revision == "HEAD" or "*" in revision:
        problems.add(f"{key}.targetRevision", f"'{revision or ''}' does not pin the repository; "
                     "set a tag, a commit SHA or a branch (never HEAD or a range with *)")
    elif fmt.GIT_REF.problem(revision):
        problems.add(f"{key}.targetRevision", str(fmt.GIT_REF.problem(revision)))
    repository = creds.get(REPOSITORY_CREDENTIALS, {})
    if gitops.repo_url and not fmt.GIT_URL.problem(gitops.repo_url):
        ssh = fmt.git_url_is_ssh(gitops.repo_url)
        if ssh and ("username" in repository or "password" in repository):
            problems.add(f"{key}.repoURL", f"'{gitops.repo_url}' is an ssh URL, but "
                         "gitopsCredentials.repository holds username/password; use an https:// "
                         "URL or an sshPrivateKey")
        if not ssh and "sshPrivateKey" in repository:
            problems.add(f"{key}.repoURL", f"'{gitops.repo_url}' is not an ssh URL, but "
                         "gitopsCredentials.repository holds an sshPrivateKey; use ssh://... or "
                         "git@host:path, or username/password")
    for secret_key in creds.get(REPOSITORY_CREDENTIALS, {}):
        if secret_key not in REPOSITORY_CREDENTIAL_KEYS:
            problems.add(f"{creds_key}.{REPOSITORY_CREDENTIALS}.{secret_key}", "is not a "
                         "repository credential; accepted: "
                         + ", ".join(REPOSITORY_CREDENTIAL_KEYS))
    clusters = {c.name for c in config.clusters}
    for name in creds:
        if name != REPOSITORY_CREDENTIALS and name not in clusters:
            problems.add(f"{creds_key}.{name}", "names no cluster; accepted: "
                         + ", ".join([REPOSITORY_CREDENTIALS, *clusters]))
    if gitops.cluster_auth == "awsIAM" and not gitops.aws_role_arn and gitops_workers(config):
        problems.add(f"{key}.awsRoleArn", "is required for clusterAuth awsIAM (the role ArgoCD's "
                     "controller assumes on every EKS worker)")
    for i, cluster in enumerate(config.clusters):
        if cluster not in gitops_workers(config):
            continue
        if not cluster.server:
            problems.add(f"{NAMESPACE}:clusters[{i}].server", "is required for a worker that "
                         "ArgoCD on the platform cluster syncs (its API server URL)")
        if gitops.cluster_auth == "bearerToken" and \
                not creds.get(cluster.name, {}).get("bearerToken"):
            problems.add(f"{creds_key}.{cluster.name}.bearerToken", "is required for "
                         "clusterAuth bearerToken; set it with `pulumi config set --secret "
                         f"--path 'gitopsCredentials.{cluster.name}.bearerToken' TOKEN`")


def _normalise_path(path: str) -> str:
    normalised = posixpath.normpath(path.strip() or ".").strip("/")
    return normalised or "."


def _resolve_destinations(config: StackConfig, problems: Problems) -> tuple[Destination, ...]:
    key = f"{NAMESPACE}:destinations"
    declared = config.destination_settings
    if not declared:
        problems.add(key, "at least one destination is required")
    for name in sorted(_duplicates([d.name for d in declared])):
        problems.add(key, f"destination name '{name}' is used more than once")
    clusters = {c.name: c for c in config.clusters}
    stores = {s.name: s for s in config.state_stores}
    resolved = []
    used_paths: dict[tuple[str, str], int] = {}
    workers = {c.name for c in config.clusters if c.role == "worker"}
    for i, dest in enumerate(declared):
        path = f"{key}[{i}]"
        cluster_name = dest.cluster or config.platform_cluster.name
        if cluster_name not in clusters:
            problems.add(f"{path}.cluster", f"names no cluster '{cluster_name}'; accepted: "
                         + ", ".join(clusters))
            continue
        cluster = clusters[cluster_name]
        store_name = dest.state_store or (config.state_stores[0].name
                                          if len(config.state_stores) == 1 else None)
        if store_name is None:
            problems.add(f"{path}.stateStore", "is required when several state stores exist; "
                         "accepted: " + ", ".join(stores))
            continue
        if store_name not in stores:
            problems.add(f"{path}.stateStore", f"names no state store '{store_name}'; "
                         "accepted: " + ", ".join(stores))
            continue
        if config.gitops.enabled and cluster_name in workers and stores[store_name].embedded:
            problems.add(f"{path}.stateStore", f"'{store_name}' is the embedded MinIO, reachable "
                         f"only inside the platform cluster, so worker '{cluster_name}' cannot "
                         "sync it; give this destination an external bucket or a git store")
        dest_path = _normalise_path(dest.path if dest.path is not None else dest.name)
        owner = used_paths.setdefault((store_name, dest_path), i)
        if owner != i:
            problems.add(f"{path}.path", f"'{dest_path}' is already used by "
                         f"{key}[{owner}] in state store '{store_name}'; each destination "
                         "needs its own path in a store")
        environment = dest.environment or cluster.environment
        if not environment:
            problems.add(f"{path}.environment", f"is required (cluster '{cluster_name}' sets "
                         "no default environment)")
            continue
        for label_key in dest.labels:
            if label_key in naming.RESERVED_DESTINATION_LABELS:
                problems.add(f"{path}.labels.{label_key}", f"is set from the destination's "
                             f"{label_key}; set {label_key} on the destination instead")
        resolved.append(Destination(
            name=dest.name, cluster=cluster_name, state_store=store_name, path=dest_path,
            environment=environment, region=dest.region or cluster.region, labels=dest.labels,
            strict_match_labels=dest.strict_match_labels, filepath_mode=dest.filepath_mode,
            cleanup=dest.cleanup))
    return tuple(resolved)


# ---------------------------------------------------------------------------------------------
# Documentation generated from the model


def default_config() -> dict[str, Any]:
    """Each top-level key's default in config shape (what Pulumi.yaml declares)."""
    return {f.metadata["key"]: to_raw(getattr(StackConfig(), f.name))
            for f in model_fields(StackConfig)}


def reference_markdown() -> str:
    """The config reference table: every key, nested ones included, with its format."""
    header = ["| key | type | default | description |", "|---|---|---|---|"]
    return "\n".join(header + reference_rows(StackConfig, f"{NAMESPACE}:")) + "\n"


def reference_page() -> str:
    """docs/config-reference.md: the table, and every format the values are checked against."""
    formats = "\n".join(f"- `{key}`: {text}"
                         for key, text in format_rows(StackConfig, f"{NAMESPACE}:"))
    return f"""# Config reference

<!-- Generated by `python scripts/config_reference.py` from components/config.py; a test keeps
it in step. Do not edit by hand. -->

Keys are `idp:<key>`; `Pulumi.yaml` declares each top-level key with its type, description and
default. Every value is parsed into one model before anything is registered; a wrong key, type,
choice or format fails the run with one line per problem naming the key path, the value and what
is accepted.

{reference_markdown()}
## Value formats

Each setting below is checked against its format (besides its type), whether or not its layer is
on. `idp:gitops.targetRevision` is checked as a Git branch, tag or commit that pins the repository
(never `HEAD` or a range with `*`); selectors (`idp:promises.destinationSelectors`,
`idp:crossplane.destinationSelectors`) must match a declared destination.

{formats}
"""


if __name__ == "__main__":
    print(reference_markdown(), end="")
