"""The portal layer: how it registers, the namespaces it owns, its stack outputs and facts, and its
`LAYER` record (listed in components/topology.py).
"""

from __future__ import annotations

from typing import Mapping

import pulumi_kubernetes as k8s

from components.config import StackConfig
from components.layer import Layer, Topology, switch
from components.naming import ARGOCD_API_URL, IN_CLUSTER_SERVER, PORTAL_NAMESPACE
from components.portal.catalog import platform_entities, promise_entities
from components.portal.component import DeveloperPortal, DeveloperPortalArgs, PortalCluster
from components.portal.settings import SETTINGS, portal_site

# -- the layer: idp:portal -------------------------------------------------------------------------


def portal_layer(t: Topology) -> DeveloperPortal | None:
    config = t.config
    site = portal_site(config)
    if site is None:  # the portal is off
        return None
    return DeveloperPortal(
        "portal",
        DeveloperPortalArgs(
            settings=SETTINGS.of(config),
            site=site,
            provider=t.platform_provider,
            chart=t.chart("backstage"),
            profile=t.profile,
            clusters=portal_clusters(config, t.providers),
            entities=platform_entities(config) + promise_entities(config, t.offered_promises),
            credentials=SETTINGS.credentials_of(config),
            argocd_api=ARGOCD_API_URL if config.switched_on("gitops") else None,
        ),
    )


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
        if config.worker_auth == "awsIAM":
            auth = {
                "authProvider": "aws",
                "authMetadata": {"kubernetes.io/x-k8s-aws-id": worker.name},
            }
        else:
            token = SETTINGS.credentials_of(config).get(worker.name, {}).get("token")
            if not token:
                continue  # a bearer-token worker is shown once it has a portal token
        if worker.ca_data:
            auth["caData"] = worker.ca_data
        clusters.append(
            PortalCluster(worker.name, worker.server, providers[worker.name], auth, token)
        )
    return clusters


def portal_namespaces(config: StackConfig) -> set[str]:
    return {PORTAL_NAMESPACE} if SETTINGS.of(config).enabled else set()


def portal_outputs(t: Topology, portal: DeveloperPortal | None) -> dict[str, object]:
    if portal is None:
        return {}
    return {
        "portal": {
            "namespace": portal.namespace,
            "url": SETTINGS.of(t.config).base_url,
            "catalogEntities": sorted(
                f"{e['kind']}:{e['metadata']['name']}" for e in portal.entities
            ),
        }
    }


def portal_facts(config: StackConfig) -> dict[str, str]:
    return {"portal": switch(SETTINGS.of(config).enabled)}


LAYER = Layer(
    "portal",
    portal_layer,
    portal_namespaces,
    portal_outputs,
    portal_facts,
    title="Portal",
    components=(DeveloperPortal.TYPE,),
    settings=SETTINGS,
)
