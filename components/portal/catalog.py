"""Catalog as code: the Backstage entities that describe the platform, generated from the stack.

The stack config already says which layers run, on which clusters, for which teams; the portal's
catalog is derived from it instead of being written by hand, so it cannot drift. Entities:
a System for the platform, a Component per layer, a Resource per cluster, state store and
destination, a Group per team (and the platform team), and an API per Promise.

Private to the portal layer: only its own modules (components/portal/) import it.
"""

from __future__ import annotations

from typing import Any, Protocol, Sequence

import yaml

from components.config import StackConfig
from components.naming import (
    ARGOCD_NAMESPACE,
    CROSSPLANE_NAMESPACE,
    FLUX_NAMESPACE,
    KRATIX_NAMESPACE,
    KUBECOST_NAMESPACE,
    KYVERNO_NAMESPACE,
    OBSERVABILITY_NAMESPACE,
    PORTAL_NAMESPACE,
)
from components.portal.settings import SETTINGS

ENTITY_API = "backstage.io/v1alpha1"
PLATFORM_SYSTEM = "idp-platform"
PLATFORM_GROUP = "platform-team"
# Backstage's Kubernetes plugin finds an entity's workloads by this annotation and label.
KUBERNETES_ID_ANNOTATION = "backstage.io/kubernetes-id"
KUBERNETES_NAMESPACE_ANNOTATION = "backstage.io/kubernetes-namespace"
ARGOCD_APP_SELECTOR_ANNOTATION = "argocd/app-selector"
TECHDOCS_ANNOTATION = "backstage.io/techdocs-ref"


class PromiseEntry(Protocol):
    """What the portal needs from a Promise (a `promises.definition.PromiseDefinition`)."""

    name: str
    version: str
    description: str
    group: str
    kind: str

    def openapi_schema(self) -> dict:
        """The openAPIV3Schema of the Promise's request kind."""
        ...

    def backstage_template(self) -> dict:
        """The Software Template that requests this Promise from the portal."""
        ...


def entity(
    kind: str,
    name: str,
    spec: dict,
    description: str = "",
    annotations: dict | None = None,
    title: str | None = None,
) -> dict:
    metadata: dict[str, Any] = {"name": name}
    if title:
        metadata["title"] = title
    if description:
        metadata["description"] = description
    if annotations:
        metadata["annotations"] = annotations
    metadata["tags"] = ["idp"]
    return {"apiVersion": ENTITY_API, "kind": kind, "metadata": metadata, "spec": spec}


def lifecycle(config: StackConfig) -> str:
    return "production" if config.profile == "prod" else "experimental"


def layers(config: StackConfig) -> list[tuple[str, str, str]]:
    """(component name, namespace, description) of every layer this stack runs."""
    gitops, finops = config.switched_on("gitops"), config.switched_on("finops")
    every = [
        (True, "kratix-platform", KRATIX_NAMESPACE,
         "Kratix controller and cert-manager: the platform API"),
        (True, "state-stores", KRATIX_NAMESPACE,
         "Where Kratix writes what destinations sync"),
        # The GitOps layer is what syncs destinations (ArgoCD, or Flux for bucket stores).
        (gitops, "gitops", ARGOCD_NAMESPACE,
         "ArgoCD App of Apps and per-environment ApplicationSets"),
        (gitops, "destination-sync", FLUX_NAMESPACE,
         "Objects that sync each destination's state store path to its cluster"),
        (config.switched_on("security"), "security-baseline", KYVERNO_NAMESPACE,
         "Kyverno policies, Pod Security, quotas and default-deny per team namespace"),
        (config.switched_on("observability"), "observability", OBSERVABILITY_NAMESPACE,
         "OpenTelemetry collectors, Prometheus, Grafana, Tempo and Loki"),
        (config.switched_on("promises"), "promises", KRATIX_NAMESPACE,
         "Kratix Promises: every promise this stack offers"),
        (finops, "cost-allocation", KUBECOST_NAMESPACE,
         "Kubecost: cost per team, department, product and environment"),
        (finops and gitops, "delivery-metrics", OBSERVABILITY_NAMESPACE,
         "DORA metrics and time to first deploy from ArgoCD"),
        (config.switched_on("crossplane"), "cloud-resources", CROSSPLANE_NAMESPACE,
         "Crossplane: cloud resources behind the cloud-backed promises"),
        (SETTINGS.of(config).enabled, "developer-portal", PORTAL_NAMESPACE,
         "Backstage: catalog, Golden Paths, TechDocs"),
    ]  # fmt: skip
    return [(name, namespace, description) for on, name, namespace, description in every if on]


def platform_entities(config: StackConfig) -> list[dict]:
    """Every entity the stack config implies (promises are added by `promise_entities`)."""
    owner = f"group:{PLATFORM_GROUP}"
    entities = [
        entity(
            "Group",
            PLATFORM_GROUP,
            {"type": "team", "children": []},
            "Runs the Internal Developer Platform",
            title="Platform team",
        ),
        entity(
            "System",
            PLATFORM_SYSTEM,
            {"owner": owner},
            f"The Internal Developer Platform ({config.topology}, profile {config.profile})",
            title="Internal Developer Platform",
        ),
    ]
    for team in config.teams:
        spec: dict[str, Any] = {"type": "team", "children": []}
        if "@" in team.owner:
            spec["profile"] = {"email": team.owner}
        entities.append(
            entity(
                "Group",
                team.name,
                spec,
                f"Application team ({team.size})",
                annotations={"idp-as-code.io/idp-group": team.idp_group},
            )
        )
    for cluster in config.clusters:
        entities.append(
            entity(
                "Resource",
                f"cluster-{cluster.name}",
                {"type": "kubernetes-cluster", "owner": owner, "system": PLATFORM_SYSTEM},
                f"{cluster.role} cluster",
            )
        )
    for store in config.state_stores:
        entities.append(
            entity(
                "Resource",
                f"state-store-{store.name}",
                {
                    "type": f"kratix-{store.crd_kind.lower()}",
                    "owner": owner,
                    "system": PLATFORM_SYSTEM,
                    "dependsOn": [f"resource:cluster-{config.platform_cluster.name}"],
                },
                f"Kratix {store.crd_kind}",
            )
        )
    for destination in config.destinations:
        entities.append(
            entity(
                "Resource",
                f"destination-{destination.name}",
                {
                    "type": "kratix-destination",
                    "owner": owner,
                    "system": PLATFORM_SYSTEM,
                    "dependsOn": [
                        f"resource:cluster-{destination.cluster}",
                        f"resource:state-store-{destination.state_store}",
                    ],
                },
                f"Kratix destination ({destination.environment})",
                annotations={f"idp-as-code.io/{k}": v for k, v in destination.all_labels.items()},
            )
        )
    platform_cluster = f"resource:cluster-{config.platform_cluster.name}"
    for name, namespace, description in layers(config):
        entities.append(
            entity(
                "Component",
                name,
                {
                    "type": "platform-layer",
                    "lifecycle": lifecycle(config),
                    "owner": owner,
                    "system": PLATFORM_SYSTEM,
                    "dependsOn": [platform_cluster],
                },
                description,
                annotations={
                    KUBERNETES_ID_ANNOTATION: name,
                    KUBERNETES_NAMESPACE_ANNOTATION: namespace,
                },
            )
        )
    return entities


def promise_entities(config: StackConfig, promises: Sequence[PromiseEntry]) -> list[dict]:
    """An API entity per Promise (its request schema as OpenAPI) and its request template."""
    entities = []
    for promise in promises:
        definition = {
            "openapi": "3.0.3",
            "info": {
                "title": f"{promise.kind} ({promise.group})",
                "version": promise.version,
                "description": promise.description,
            },
            "paths": {},
            "components": {"schemas": {promise.kind: promise.openapi_schema()}},
        }
        entities.append(
            entity(
                "API",
                f"{promise.name}-promise",
                {
                    "type": "openapi",
                    "lifecycle": lifecycle(config),
                    "owner": f"group:{PLATFORM_GROUP}",
                    "system": PLATFORM_SYSTEM,
                    "definition": yaml.safe_dump(definition, sort_keys=False),
                },
                promise.description,
                title=f"{promise.name} Promise {promise.version}",
            )
        )
        entities.append(promise.backstage_template())
    return entities


def entity_ref(entity_: dict) -> str:
    return f"{entity_['kind'].lower()}:{entity_['metadata']['name']}"


def as_yaml(entities: Sequence[dict]) -> str:
    """One multi-document YAML file: what Backstage's file location reads."""
    return yaml.safe_dump_all(list(entities), sort_keys=False)
