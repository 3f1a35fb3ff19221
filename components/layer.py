"""The shared kernel of the layers: the `Layer` record each layer module declares, and the
`Topology` that `compose` hands every layer in turn.

Not a layer itself: layers (one folder each, `components/<layer>/`) import it,
`components/topology.py` imports the layers, so no layer needs another. What one layer hands a later one is a field of `Topology`, named for what
it carries and typed with the shared types (resources, the sync seam), never a layer's class.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Callable, Generic, Mapping, Protocol, Sequence, TypeVar

import pulumi
import pulumi_kubernetes as k8s

from components.charts import ResolvedChart
from components.config import LayerSettings, StackConfig
from components.profiles import PROFILES, SizeProfile
from components.sync import StoreAccess, WorkloadSync

Registered = TypeVar("Registered")


def _no_namespaces(_: StackConfig) -> set[str]:
    return set()


def _no_outputs(_t: Topology, _registered: object) -> dict[str, object]:
    return {}


def _no_facts(_: StackConfig) -> dict[str, str]:
    return {}


@dataclasses.dataclass(frozen=True)
class Layer(Generic[Registered]):
    """One layer of the platform: how it registers (`build` returns what its `outputs` read
    back), the namespaces it owns (left alone by Kyverno), what it reports in the stack outputs
    and the facts it publishes (the idp-platform-facts ConfigMap the policy packs and the portal
    read); its `title` and the `idp:platform:*` types of its components (the review's rows:
    scripts/generate_docs.py writes them to review/layers.py)."""

    name: str
    build: Callable[[Topology], Registered]
    namespaces: Callable[[StackConfig], set[str]] = _no_namespaces
    outputs: Callable[[Topology, Registered], dict[str, object]] = _no_outputs
    facts: Callable[[StackConfig], dict[str, str]] = _no_facts
    title: str = dataclasses.field(kw_only=True)
    components: tuple[str, ...] = dataclasses.field(kw_only=True)
    settings: LayerSettings[Any] | None = dataclasses.field(default=None, kw_only=True)
    """Its settings model and checks (its folder's settings.py), or None where it reads only the
    kernel's (state stores, destinations)."""


def switch(enabled: bool) -> str:
    """A layer's on/off switch as a fact."""
    return "true" if enabled else "false"


class StoreHandle(Protocol):
    """What a state store hands the destinations that sync it."""

    @property
    def access(self) -> StoreAccess: ...

    @property
    def resource(self) -> pulumi.Resource: ...


@dataclasses.dataclass(frozen=True)
class ChartAddition:
    """Values one layer adds to a chart another layer installs, and what that chart then has
    to wait for."""

    values: dict = dataclasses.field(default_factory=dict)
    depends_on: list[pulumi.Resource] = dataclasses.field(default_factory=list)


def _nothing_added(_: Topology) -> ChartAddition:
    return ChartAddition()


@dataclasses.dataclass
class Topology:
    """The stack, its providers, and what each layer hands the later ones (every field says who
    fills it and who reads it)."""

    config: StackConfig
    stack: str
    project_dir: Path
    providers: Mapping[str, k8s.Provider]
    layers: Sequence[Layer[Any]]
    """Every layer, in registration order: their namespaces, facts and outputs together."""
    workload_sync: WorkloadSync | None = None
    """How destinations' paths reach their clusters: the GitOps layer's, unless given."""
    argocd_addition: Callable[[Topology], ChartAddition] = _nothing_added
    """What other layers add to ArgoCD's chart; asked by the GitOps layer when it registers."""
    kratix: pulumi.Resource = dataclasses.field(init=False)
    """Kratix and the platform's cert-manager (the Kratix layer): state stores wait for it."""
    kratix_controller: pulumi.Resource = dataclasses.field(init=False)
    """The Kratix controller (the Kratix layer): promises wait for it."""
    platform_cert_manager: pulumi.Resource = dataclasses.field(init=False)
    """cert-manager on the platform cluster (the Kratix layer), for the observability layer."""
    state_stores: Mapping[str, StoreHandle] = dataclasses.field(default_factory=dict)
    """Each state store by name (the state store layer), for the destinations on it."""
    monitoring_crds: list[pulumi.Resource] = dataclasses.field(default_factory=list)
    """What ServiceMonitors and rules of other layers wait for (none without observability)."""
    cloud: list[pulumi.Resource] = dataclasses.field(default_factory=list)
    """The Crossplane layer's components: cloud-backed promises wait for their APIs."""
    offered_promises: list = dataclasses.field(default_factory=list)
    """The promises this stack offers (the promises layer), for the portal's catalog."""
    registered: dict[str, Any] = dataclasses.field(default_factory=dict)
    """What each layer's `build` returned, by layer name (its `outputs` read it back)."""

    @property
    def profile(self) -> SizeProfile:
        return PROFILES[self.config.profile]

    @property
    def platform_provider(self) -> k8s.Provider:
        return self.providers[self.config.platform_cluster.name]

    def chart(self, key: str) -> ResolvedChart:
        return self.config.chart(key, self.project_dir)

    def platform_namespaces(self) -> list[str]:
        """The namespaces the platform's own components and charts use (Kyverno leaves them
        alone)."""
        return namespaces_of(self.layers, self.config)

    def facts(self) -> dict[str, str]:
        """What the stack declares, published for the policy packs (adoption fit) and the
        portal: each layer's facts, in layer order."""
        return facts_of(self.layers, self.config)

    def outputs(self) -> dict[str, object]:
        """Stack outputs: what an operator needs to find and reach each piece, layer by layer."""
        outputs: dict[str, object] = {}
        for layer in self.layers:
            outputs.update(layer.outputs(self, self.registered[layer.name]))
        return outputs


def namespaces_of(layers: Sequence[Layer[Any]], config: StackConfig) -> list[str]:
    return sorted(set().union(*(layer.namespaces(config) for layer in layers)))


def facts_of(layers: Sequence[Layer[Any]], config: StackConfig) -> dict[str, str]:
    facts: dict[str, str] = {}
    for layer in layers:
        facts.update(layer.facts(config))
    return facts
