"""The destination layer: how it registers, the namespaces it owns, its stack outputs and facts,
and its `LAYER` record (listed in components/topology.py).
"""

from __future__ import annotations

from components.destinations.component import Destination, DestinationArgs
from components.layer import Layer, Topology

# -- the layer: every destination, on its state store, synced by the workload sync ----------------


def destination_layer(t: Topology) -> dict[str, Destination]:
    return {
        spec.name: Destination(
            spec.name,
            DestinationArgs(
                spec=spec,
                store=t.config.state_store(spec.state_store),
                store_access=t.state_stores[spec.state_store].access,
                platform_provider=t.platform_provider,
                worker_provider=t.providers[spec.cluster],
                depends_on=[t.state_stores[spec.state_store].resource],
                workload_sync=t.workload_sync,
            ),
        )
        for spec in t.config.destinations
    }


def destination_outputs(t: Topology, destinations: dict[str, Destination]) -> dict[str, object]:
    return {
        "destinations": {
            spec.name: {
                "cluster": spec.cluster,
                "stateStore": spec.state_store,
                "labels": dest.labels,
                "path": dest.path,
                "dependenciesPath": dest.dependencies_path,
                "resourcesPath": dest.resources_path,
            }
            for spec, dest in ((spec, destinations[spec.name]) for spec in t.config.destinations)
        }
    }


LAYER = Layer(
    "destinations",
    destination_layer,
    outputs=destination_outputs,
    title="Destinations",
    components=(Destination.TYPE,),
)
