"""The Crossplane layer: how it registers, the namespaces it owns, its stack outputs and facts, and
its `LAYER` record (listed in components/topology.py).
"""

from __future__ import annotations

from components.config import StackConfig
from components.crossplane.component import CloudResources, CloudResourcesArgs
from components.crossplane.settings import SETTINGS, crossplane_clusters
from components.layer import Layer, Topology, switch
from components.naming import CROSSPLANE_NAMESPACE
from promises.cloud import composite_apis

# -- the layer: idp:crossplane, on the clusters the cloud-backed promises schedule to -------------


def crossplane_layer(t: Topology) -> dict[str, CloudResources]:
    config = t.config
    cloud = {
        cluster: CloudResources(
            f"crossplane-{cluster}",
            CloudResourcesArgs(
                provider=t.providers[cluster],
                chart=t.chart("crossplane"),
                profile=t.profile,
                settings=SETTINGS.of(config),
                credentials=SETTINGS.credentials_of(config),
                composite_apis=composite_apis(),
            ),
        )
        for cluster in crossplane_clusters(config)
    }
    t.cloud = list(cloud.values())
    return cloud


def crossplane_namespaces(config: StackConfig) -> set[str]:
    return {CROSSPLANE_NAMESPACE} if SETTINGS.of(config).enabled else set()


def crossplane_outputs(t: Topology, cloud: dict[str, CloudResources]) -> dict[str, object]:
    if not cloud:
        return {}
    return {
        "crossplane": {
            cluster: {
                "namespace": layer.namespace,
                "providers": layer.providers,
                "compositeApis": layer.composite_apis,
            }
            for cluster, layer in cloud.items()
        }
    }


def crossplane_facts(config: StackConfig) -> dict[str, str]:
    return {"crossplane": switch(SETTINGS.of(config).enabled)}


LAYER = Layer(
    "crossplane",
    crossplane_layer,
    crossplane_namespaces,
    crossplane_outputs,
    crossplane_facts,
    title="Cloud",
    components=(CloudResources.TYPE,),
    settings=SETTINGS,
)
