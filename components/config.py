"""The config kernel: the model every stack shares (profile, clusters, state stores and
destinations, teams, charts) and how a layer declares its own settings with it.

Each layer's settings model and checks live in its folder (`components/<layer>/settings.py`,
its `SETTINGS = LayerSettings(...)`); the layer's `LAYER` record carries them and
components/validation.py assembles the stack's one model from the layers it is given, parses
and checks it as a whole. This module imports no layer.
"""

from __future__ import annotations

import dataclasses
import enum
import os
from pathlib import Path
from typing import Any, Callable, Generic, Mapping, Optional, TypeVar, cast

import pulumi
import yaml

from components import charts, naming
from components import formats as fmt
from components.charts import ResolvedChart
from components.configschema import NAMESPACE, Problems, setting
from components.placement import (
    BucketStore,
    Destination,
    DestinationSettings,
    StateStore,
    StateStoreSettings,
)

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


def _default_clusters() -> tuple[Cluster, ...]:
    return (Cluster(name="platform", role="platform", environment="dev", region="local"),)


def _default_state_stores() -> tuple[StateStoreSettings, ...]:
    return (StateStoreSettings(name="default", kind="bucket", bucket=BucketStore(embedded=True)),)


def _default_destinations() -> tuple[DestinationSettings, ...]:
    return (DestinationSettings(name="platform"),)


@dataclasses.dataclass(frozen=True)
class StackConfig:
    """Everything one stack declares. Keys are `idp:<key>`: the kernel's below, each layer's
    in `layers` (its `LayerSettings` declares it)."""

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
    state_store_credentials: Mapping[str, Mapping[str, str]] = setting(
        "stateStoreCredentials",
        "secret credentials per state store name (set with `pulumi config set --secret --path`)",
        default=dict,
        secret=True,
    )
    # Resolved by validation (not config keys): what the program builds from, with nothing
    # left optional that it relies on.
    state_stores: tuple[StateStore, ...] = ()
    destinations: tuple[Destination, ...] = ()
    worker_servers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """API server URL of each worker that declares one (every worker ArgoCD syncs does)."""
    layers: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    """Each layer's settings by its key (`idp:<key>`): a layer reads its own with its
    `SETTINGS.of(config)`, typed; another layer's never (`switched_on` says whether it runs)."""
    # What one layer's settings hand another (each filled by the owner's `hand_over`).
    worker_auth: str = "bearerToken"
    """How the platform's tools authenticate to workers' API servers, bearerToken or awsIAM (the
    GitOps layer's clusterAuth; the portal's Kubernetes plugin follows it)."""
    cloud_selectors: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Destination labels cloud-backed work is scheduled to (the Crossplane layer's)."""

    @property
    def platform_cluster(self) -> Cluster:
        return next(c for c in self.clusters if c.role == "platform")

    def cluster(self, name: str) -> Cluster:
        return next(c for c in self.clusters if c.name == name)

    def switched_on(self, key: str) -> bool:
        """Whether the layer whose settings are `idp:<key>` is on (its `enabled` setting): what
        one layer may know of another's settings."""
        return bool(self.layers[key].enabled)

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


# The Python language host's code for "the program already showed the user what went wrong":
# the run then ends with that message alone, without a generic "non-zero exit code" error.
USER_ERROR_SHOWN_EXIT_CODE = 32


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


def gitops_workers(config: StackConfig) -> list[Cluster]:
    """Workers ArgoCD on the platform cluster must reach: those that sync a destination."""
    synced = {d.cluster for d in config.destination_settings}  # None: the platform cluster
    return [c for c in config.clusters if c.role == "worker" and c.name in synced]


# ---------------------------------------------------------------------------------------------
# A layer's settings, declared with the kernel


class Phase(enum.IntEnum):
    """When a layer's check runs. The kernel's own checks come first (clusters, state stores and
    their credentials, teams), then the phases in this order; within a phase the layers' checks
    run in the order of their keys (`rank`). Any problem before DESTINATIONS stops the run there,
    and any before PLACEMENT stops it before PLACEMENT."""

    SETTINGS = 1
    """The layer's settings on their own (before the charts are checked)."""
    CREDENTIALS = 2
    """With the secret keys (after the charts are checked)."""
    DESTINATIONS = 3
    """Once the destinations are resolved, before any layer reads them."""
    PLACEMENT = 4
    """With the resolved destinations, only when nothing else is wrong."""


Check = Callable[["StackConfig", frozenset[str], Problems], None]
"""A layer's rule across fields: adds a problem (key path and fix) for each mistake."""

Settings = TypeVar("Settings")

CREDENTIALS_TYPE = Mapping[str, Mapping[str, str]]


def _no_hand_over(config: StackConfig) -> StackConfig:
    return config


@dataclasses.dataclass(frozen=True)
class LayerSettings(Generic[Settings]):
    """A layer's top-level key `idp:<key>`: its model (a frozen dataclass of `setting(...)`
    fields), its checks, and optionally a secret credentials key beside it.

    `rank` places the key in Pulumi.yaml, docs/config-reference.md and the order keys are parsed
    and checked: the kernel's keys are ranked 10, 20, ... in the order `StackConfig` declares
    them; a new layer takes a number after the last one (230)."""

    key: str
    model: type[Settings]
    doc: str
    rank: int
    checks: tuple[tuple[Phase, Check], ...] = ()
    credentials: str | None = None
    """The key of its secret credentials (`idp:<credentials>`: a map of maps of strings)."""
    credentials_doc: str = ""
    credentials_rank: int = 0
    hand_over: Callable[[StackConfig], StackConfig] = _no_hand_over
    """What it hands another layer's settings: a kernel field of `StackConfig` it fills."""

    def of(self, config: StackConfig) -> Settings:
        """This layer's settings in `config`, typed."""
        return cast(Settings, config.layers[self.key])

    def credentials_of(self, config: StackConfig) -> CREDENTIALS_TYPE:
        """This layer's secret credentials in `config` (empty when it declares none)."""
        if self.credentials is None:
            return {}
        return cast(CREDENTIALS_TYPE, config.layers[self.credentials])
