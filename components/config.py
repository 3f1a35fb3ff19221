"""The stack's one validated config model: every `idp:*` key, its defaults and cross-field rules.

`load_stack_config()` reads the stack's config, parses it into frozen dataclasses and checks it as
a whole. Any mistake raises `ConfigError` (a `pulumi.RunError`) naming the full key path and what
is accepted, before a single resource is registered. Each layer's settings model and checks live
in `components/settings/<layer>.py`; this module holds what the layers share (clusters, teams,
charts), composes them into `StackConfig` and resolves it.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any, Mapping, Optional, get_origin

import pulumi
import yaml

from components import charts, naming
from components import formats as fmt
from components.charts import ResolvedChart
from components.configschema import (
    NAMESPACE,
    ConfigError,
    Problems,
    duplicates,
    field_types,
    format_rows,
    model_fields,
    parse_model,
    reference_rows,
    setting,
    to_raw,
)
from components.settings.crossplane import Crossplane, check_crossplane, crossplane_clusters
from components.settings.finops import Baseline, FinOps, check_finops
from components.settings.gitops import REPOSITORY_CREDENTIALS, GitOps, check_gitops
from components.settings.kratix import (
    BucketStore,
    Destination,
    DestinationSettings,
    EmbeddedBucket,
    ExternalBucket,
    GitStore,
    KratixSettings,
    StateStore,
    StateStoreSettings,
    check_credentials,
    resolve_destinations,
    resolve_state_stores,
)
from components.settings.observability import Observability, check_observability
from components.settings.portal import Portal, PortalSite, check_portal
from components.settings.promises import (
    Promises,
    check_promises,
    offered_promises,
    promise_destinations,
)
from components.settings.security import Security, check_security

# Each layer's settings live in components/settings/<layer>.py; the ones other modules take
# from here, with the stack's own model.
__all__ = [
    "REPOSITORY_CREDENTIALS",
    "USER_ERROR_SHOWN_EXIT_CODE",
    "Baseline",
    "Cluster",
    "ConfigError",
    "Crossplane",
    "Destination",
    "EmbeddedBucket",
    "ExternalBucket",
    "FinOps",
    "GitOps",
    "GitStore",
    "Observability",
    "Portal",
    "PortalSite",
    "Security",
    "StackConfig",
    "StateStore",
    "Team",
    "crossplane_clusters",
    "default_config",
    "load_stack_config",
    "load_stack_config_or_exit",
    "offered_promises",
    "parse_stack_config",
    "promise_destinations",
    "reference_page",
]

PROFILES = ("dev", "prod")
TOPOLOGIES = ("single-cluster", "multi-cluster")
TARGET_MODES = ("render", "kubeconfig")
CLUSTER_ROLES = ("platform", "worker")
TEAM_SIZES = ("small", "medium", "large")


@dataclasses.dataclass(frozen=True)
class ClusterTarget:
    """How the program reaches a cluster."""

    mode: str = setting(
        "mode",
        "render writes manifests to a directory; kubeconfig applies them to a real cluster",
        default="render",
        choices=TARGET_MODES,
    )
    kubeconfig: Optional[str] = setting(
        "kubeconfig",
        "kubeconfig file path or contents (kubeconfig mode; default: the ambient KUBECONFIG)",
        default=None,
    )
    context: Optional[str] = setting(
        "context", "kubeconfig context to use (kubeconfig mode)", default=None, format=fmt.NAME
    )
    render_dir: Optional[str] = setting(
        "renderDir",
        "where render mode writes manifests (default rendered/<stack>/<cluster>)",
        default=None,
    )


@dataclasses.dataclass(frozen=True)
class Cluster:
    """A Kubernetes cluster: the platform cluster runs Kratix; workers receive workloads."""

    name: str = setting("name", "cluster name, a DNS-1123 label", dns_name=True)
    role: str = setting(
        "role", "platform (runs Kratix) or worker", default="worker", choices=CLUSTER_ROLES
    )
    environment: Optional[str] = setting(
        "environment",
        "default environment label of this cluster's destinations",
        default=None,
        format=fmt.LABEL_VALUE,
    )
    region: Optional[str] = setting(
        "region",
        "default region label of this cluster's destinations",
        default=None,
        format=fmt.LABEL_VALUE,
    )
    target: ClusterTarget = setting("target", "how to reach the cluster", default=ClusterTarget)
    server: Optional[str] = setting(
        "server",
        "API server URL ArgoCD on the platform cluster uses to reach this worker "
        "(multi-cluster GitOps)",
        default=None,
        format=fmt.API_SERVER_URL,
    )
    ca_data: Optional[str] = setting(
        "caData",
        "base64 PEM CA bundle of that API server (default: the system CAs)",
        default=None,
        format=fmt.BASE64_PEM,
    )


@dataclasses.dataclass(frozen=True)
class Team:
    """An application team that requests platform services."""

    name: str = setting("name", "team name, a DNS-1123 label", dns_name=True)
    owner: str = setting("owner", "owning person or group (contact)", default="")
    group: Optional[str] = setting(
        "group",
        "identity-provider group of the team's members (default: <name>-developers)",
        default=None,
        format=fmt.NAME,
    )
    size: str = setting(
        "size",
        "quota and default container limits of each team namespace",
        default="small",
        choices=TEAM_SIZES,
    )
    department: str = setting(
        "department",
        "cost-allocation department (default: the team name)",
        default="",
        format=fmt.LABEL_VALUE,
    )
    product: str = setting(
        "product",
        "cost-allocation product (default: the team name)",
        default="",
        format=fmt.LABEL_VALUE,
    )

    @property
    def idp_group(self) -> str:
        return self.group or f"{self.name}-developers"

    @property
    def cost_labels(self) -> dict[str, str]:
        """The cost-allocation labels the team's workloads carry in every environment."""
        return {
            "team": self.name,
            "owner": naming.label_safe(self.owner or self.idp_group),
            "department": self.department or self.name,
            "product": self.product or self.name,
        }


@dataclasses.dataclass(frozen=True)
class ChartOverride:
    """Overrides one entry of the chart table."""

    version: Optional[str] = setting(
        "version", "chart version to use instead of the pin", default=None, format=fmt.CHART_VERSION
    )
    repository: Optional[str] = setting(
        "repository", "repository to fetch it from", default=None, format=fmt.CHART_REPOSITORY
    )
    values: Mapping[str, Any] = setting(
        "values",
        "Helm values laid over the layer's own (nested maps merged, anything else "
        "replaced, null removes a key); see the layer's page for the keys it sets",
        default=dict,
    )


# ---------------------------------------------------------------------------------------------
# Developer portal (Backstage)


def _default_clusters() -> tuple[Cluster, ...]:
    return (Cluster(name="platform", role="platform", environment="dev", region="local"),)


def _default_state_stores() -> tuple[StateStoreSettings, ...]:
    return (StateStoreSettings(name="default", kind="bucket", bucket=BucketStore(embedded=True)),)


def _default_destinations() -> tuple[DestinationSettings, ...]:
    return (DestinationSettings(name="platform"),)


@dataclasses.dataclass(frozen=True)
class StackConfig:
    """Everything one stack declares. Keys are `idp:<key>`."""

    profile: str = setting(
        "profile",
        "size profile: dev (one small node) or prod (HA)",
        default="dev",
        choices=PROFILES,
    )
    topology: str = setting(
        "topology",
        "single-cluster (the platform is its own destination) or multi-cluster",
        default="single-cluster",
        choices=TOPOLOGIES,
    )
    clusters: tuple[Cluster, ...] = setting(
        "clusters", "the clusters and how to reach them", default=_default_clusters
    )
    state_store_settings: tuple[StateStoreSettings, ...] = setting(
        "stateStores", "where Kratix writes documents", default=_default_state_stores
    )
    destination_settings: tuple[DestinationSettings, ...] = setting(
        "destinations", "Kratix destinations and their labels", default=_default_destinations
    )
    teams: tuple[Team, ...] = setting("teams", "application teams", default=tuple)
    chart_mirror: str = setting(
        "chartMirror",
        "redirect every chart: oci://..., https://... or a local directory of charts",
        default="",
        format=fmt.CHART_MIRROR,
    )
    charts: Mapping[str, ChartOverride] = setting(
        "charts", "per-chart version, repository or values overrides, keyed by chart", default=dict
    )
    crd_descriptions: bool = setting(
        "crdDescriptions",
        "keep the field descriptions in the CustomResourceDefinitions the charts install "
        "(`kubectl explain`); off by default: they are about 3/4 of the CRDs' bytes and the "
        "CRDs most of the state every update step rewrites (docs/performance.md)",
        default=False,
    )
    crd_stack: bool = setting(
        "crdStack",
        "the charts' CustomResourceDefinitions in a stack of their own (crds/), applied before "
        "this one by scripts/up; false installs them with their charts, in this stack's state "
        "(docs/stacks.md)",
        default=True,
    )
    await_service_endpoints: bool = setting(
        "awaitServiceEndpoints",
        "wait for every Service to publish endpoints; false where pods get no routable address "
        "(kwok-simulated clusters: the API server refuses loopback endpoint addresses)",
        default=True,
    )
    kratix: KratixSettings = setting("kratix", "Kratix controller settings", default=KratixSettings)
    state_store_credentials: Mapping[str, Mapping[str, str]] = setting(
        "stateStoreCredentials",
        "secret credentials per state store name (set with `pulumi config set --secret --path`)",
        default=dict,
        secret=True,
    )
    gitops: GitOps = setting("gitops", "GitOps with ArgoCD", default=GitOps)
    security: Security = setting("security", "security baseline", default=Security)
    observability: Observability = setting(
        "observability",
        "telemetry collection, storage, dashboards and alerts",
        default=Observability,
    )
    promises: Promises = setting(
        "promises", "services as a service: every promise in promises/", default=Promises
    )
    finops: FinOps = setting("finops", "cost allocation and delivery metrics", default=FinOps)
    crossplane: Crossplane = setting(
        "crossplane", "Crossplane cloud layer (off by default)", default=Crossplane
    )
    crossplane_credentials: Mapping[str, Mapping[str, str]] = setting(
        "crossplaneCredentials",
        "secret cloud credentials per provider: aws.accessKeyID and "
        "aws.secretAccessKey (set with `pulumi config set --secret --path`)",
        default=dict,
        secret=True,
    )
    gitops_credentials: Mapping[str, Mapping[str, str]] = setting(
        "gitopsCredentials",
        "secret credentials: repository.username/password or "
        "repository.sshPrivateKey, and <cluster>.bearerToken (set with `pulumi config set "
        "--secret --path`)",
        default=dict,
        secret=True,
    )
    portal: Portal = setting("portal", "developer portal (Backstage)", default=Portal)
    portal_credentials: Mapping[str, Mapping[str, str]] = setting(
        "portalCredentials",
        "secret portal credentials: oidc.clientSecret, database.password, "
        "argocd.token and <worker>.token (set with `pulumi config set --secret --path`)",
        default=dict,
        secret=True,
    )
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
        resolved = charts.resolve_chart(
            key, self.chart_mirror, override.version, override.repository, base_dir, override.values
        )
        return dataclasses.replace(
            resolved,
            crd_descriptions=self.crd_descriptions,
            crds="without" if self.crd_stack else None,
        )


# ---------------------------------------------------------------------------------------------
# Reading raw config


def read_raw_config(namespace: str = NAMESPACE) -> dict[str, str]:
    """All `<namespace>:*` values the engine (or a test) handed the program, as strings."""
    merged: dict[str, Any] = dict(pulumi.runtime.get_config_env())
    merged.update(pulumi.runtime.config.CONFIG.get())
    prefix = f"{namespace}:"
    return {k[len(prefix) :]: v for k, v in merged.items() if k.startswith(prefix)}


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
        problems.add(
            path,
            "must be structured YAML (an object or a list), got plain text "
            f"'{text[:40]}'; set it in the stack file or with `pulumi config set --path`",
        )
        return _UNREADABLE


_UNREADABLE = object()


def parse_stack_config(
    raw: Mapping[str, Any], secret_keys: frozenset[str] = frozenset(), base_dir: Path | None = None
) -> StackConfig:
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
    secret_keys = frozenset(
        f"{NAMESPACE}:{key}" for key in raw if pulumi.runtime.is_config_secret(f"{NAMESPACE}:{key}")
    )
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


def _resolve_and_check(
    config: StackConfig, secret_keys: frozenset[str], base_dir: Path | None, problems: Problems
) -> StackConfig:
    _check_clusters(config, problems)
    config = dataclasses.replace(config, state_stores=resolve_state_stores(config, problems))
    check_credentials(config, secret_keys, problems)
    _check_teams(config, problems)
    check_security(config, problems)
    check_finops(config, problems)
    _check_charts(config, base_dir, problems)
    check_gitops(config, secret_keys, problems)
    check_portal(config, secret_keys, problems)
    if problems.items:
        return config
    destinations = resolve_destinations(config, problems)
    # Last: a stack made multi-cluster reports its destinations' problems first.
    check_observability(config, problems)
    config = dataclasses.replace(config, destinations=destinations)
    if not problems.items:
        check_promises(config, problems)
        check_crossplane(config, secret_keys, problems)
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
        config,
        worker_servers={
            c.name: c.server for c in config.clusters if c.role == "worker" and c.server
        },
        portal_site=site,
        telemetry_gateway=gateway if config.observability.enabled and has_workers else None,
    )


def _check_clusters(config: StackConfig, problems: Problems) -> None:
    key = f"{NAMESPACE}:clusters"
    for name in sorted(duplicates([c.name for c in config.clusters])):
        problems.add(key, f"cluster name '{name}' is used more than once; names must be unique")
    platforms = [i for i, c in enumerate(config.clusters) if c.role == "platform"]
    if len(platforms) != 1:
        problems.add(key, f"exactly one cluster needs role: platform, found {len(platforms)}")
    workers = [c for c in config.clusters if c.role == "worker"]
    if config.topology == "single-cluster" and len(config.clusters) != 1:
        problems.add(
            f"{NAMESPACE}:topology",
            "single-cluster takes exactly one cluster (the "
            f"platform), but {len(config.clusters)} are declared; use multi-cluster",
        )
    if config.topology == "multi-cluster" and not workers:
        problems.add(
            f"{NAMESPACE}:topology",
            "multi-cluster needs at least one cluster with "
            "role: worker; add one or use single-cluster",
        )
    for i, cluster in enumerate(config.clusters):
        target = cluster.target
        if target.mode == "render" and (target.kubeconfig or target.context):
            problems.add(
                f"{key}[{i}].target",
                "kubeconfig and context apply only to mode "
                "kubeconfig; remove them or set mode: kubeconfig",
            )
        if target.mode == "kubeconfig" and target.render_dir:
            problems.add(f"{key}[{i}].target.renderDir", "applies only to mode render")
        if target.mode == "kubeconfig":
            problem = kubeconfig_problem(target)
            if problem:
                problems.add(f"{key}[{i}].target", problem)


def ambient_kubeconfigs() -> list[Path]:
    """The kubeconfig files kubectl and the provider read when a cluster names none."""
    ambient = os.environ.get("KUBECONFIG")
    paths = (
        [Path(p).expanduser() for p in ambient.split(os.pathsep) if p]
        if ambient
        else [Path("~/.kube/config").expanduser()]
    )
    return [p for p in paths if p.is_file()]


def kubeconfig_problem(target: ClusterTarget) -> str | None:
    """What is wrong with the kubeconfig a cluster names, found before anything registers: a
    file that does not exist, or a context it does not hold. The ambient kubeconfig
    (KUBECONFIG, ~/.kube/config) is checked only where there is one (the provider says the
    rest)."""
    given = target.kubeconfig
    if given and ("\n" in given or given.lstrip().startswith(("apiVersion", "{"))):
        sources = [("the kubeconfig contents given", given)]
    else:
        if given:
            paths = [Path(given).expanduser()]
            missing = [p for p in paths if not p.is_file()]
            if missing:
                return (
                    f"kubeconfig file '{given}' does not exist; point kubeconfig at the file "
                    "your cluster's credentials are in (or leave it out for KUBECONFIG)"
                )
        else:
            paths = ambient_kubeconfigs()
        sources = [(f"kubeconfig '{p}'", p.read_text(errors="replace")) for p in paths]
    if not target.context or not sources:
        return None
    contexts: list[str] = []
    for where, text in sources:
        try:
            document = yaml.safe_load(text) or {}
        except yaml.YAMLError:
            return f"{where} is not valid YAML; fix it, or point kubeconfig at another file"
        if not isinstance(document, Mapping):
            return f"{where} is not a kubeconfig (a mapping with contexts)"
        contexts += [
            str(c.get("name")) for c in document.get("contexts") or [] if isinstance(c, Mapping)
        ]
    if target.context in contexts:
        return None
    where = " and ".join(w for w, _ in sources)
    held = ", ".join(sorted(set(contexts))) or "none"
    return (
        f"context '{target.context}' is not in {where} (its contexts: {held}); set context to "
        "one of them, or add it (`kubectl config set-context`)"
    )


def _check_teams(config: StackConfig, problems: Problems) -> None:
    for name in sorted(duplicates([t.name for t in config.teams])):
        problems.add(f"{NAMESPACE}:teams", f"team name '{name}' is used more than once")


def _check_charts(config: StackConfig, base_dir: Path | None, problems: Problems) -> None:
    for key in config.charts:
        if key not in charts.CHARTS:
            problems.add(
                f"{NAMESPACE}:charts.{key}",
                "is not a chart of this platform; accepted: " + ", ".join(charts.CHARTS),
            )
    reported: set[str] = set()
    for key in charts.CHARTS:
        try:
            config.chart(key, base_dir)
        except ValueError as error:
            if str(error) not in reported:  # a missing mirror is one problem, not one per chart
                reported.add(str(error))
                problems.add(f"{NAMESPACE}:chartMirror", str(error))


# ---------------------------------------------------------------------------------------------
# Documentation generated from the model


def default_config() -> dict[str, Any]:
    """Each top-level key's default in config shape (what Pulumi.yaml declares)."""
    return {
        f.metadata["key"]: to_raw(getattr(StackConfig(), f.name)) for f in model_fields(StackConfig)
    }


_PULUMI_TYPES: Mapping[Any, str] = {str: "string", bool: "boolean", int: "integer"}


def pulumi_declarations() -> dict[str, dict[str, Any]]:
    """Pulumi.yaml's `config:` block: each top-level key with its type, doc and default
    (scripts/generate_docs.py writes it)."""
    hints = field_types(StackConfig)
    defaults = default_config()
    declared: dict[str, dict[str, Any]] = {}
    for f in model_fields(StackConfig):
        kind = hints[f.name]
        type_ = _PULUMI_TYPES.get(kind) or ("array" if get_origin(kind) is tuple else "object")
        entry: dict[str, Any] = {"type": type_}
        if type_ == "array":
            entry["items"] = {"type": "object"}
        entry["description"] = f.metadata["doc"]
        entry["default"] = defaults[f.metadata["key"]]
        declared[f.metadata["key"]] = entry
    return declared


def reference_markdown() -> str:
    """The config reference table: every key, nested ones included, with its format."""
    header = ["| key | type | default | description |", "|---|---|---|---|"]
    return "\n".join(header + reference_rows(StackConfig, f"{NAMESPACE}:")) + "\n"


def reference_page() -> str:
    """docs/config-reference.md: the table, and every format the values are checked against."""
    formats = "\n".join(
        f"- `{key}`: {text}" for key, text in format_rows(StackConfig, f"{NAMESPACE}:")
    )
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
`idp:crossplane.destinationSelectors`) must match a declared destination. Secret credentials
are checked too, and their values never shown: `sshPrivateKey` (state stores, the GitOps
repository) as an SSH private key, `knownHosts` as a known_hosts file.

{formats}
"""


if __name__ == "__main__":
    print(reference_markdown(), end="")
