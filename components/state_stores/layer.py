"""The state store layer: how it registers, the namespaces it owns, its stack outputs and facts,
and its `LAYER` record (listed in components/topology.py).
"""

from __future__ import annotations

from components import charts, naming
from components.config import StackConfig
from components.layer import Layer, Topology
from components.naming import CERT_MANAGER_NAMESPACE, KRATIX_NAMESPACE
from components.state_stores.component import StateStore, StateStoreArgs

# -- the layer: every state store of the stack, after Kratix --------------------------------------


def state_store_layer(t: Topology) -> dict[str, StateStore]:
    stores = {
        spec.name: StateStore(
            spec.name,
            StateStoreArgs(
                spec=spec,
                provider=t.platform_provider,
                profile=t.profile,
                credentials=t.config.state_store_credentials.get(spec.name, {}),
                images=charts.IMAGES,
                depends_on=[t.kratix],
            ),
        )
        for spec in t.config.state_stores
    }
    t.state_stores = stores
    return stores


def state_store_namespaces(config: StackConfig) -> set[str]:
    return {s.secret_namespace for s in config.state_stores} | {
        naming.embedded_store_namespace(s.name) for s in config.state_stores if s.embedded
    }


def state_store_outputs(t: Topology, stores: dict[str, StateStore]) -> dict[str, object]:
    namespaces = sorted(
        {CERT_MANAGER_NAMESPACE, KRATIX_NAMESPACE} | state_store_namespaces(t.config)
    )
    return {
        "stateStores": {
            name: {"kind": store.kind, "endpoint": store.endpoint} for name, store in stores.items()
        },
        "namespaces": namespaces,
    }


LAYER = Layer(
    "state-stores",
    state_store_layer,
    state_store_namespaces,
    state_store_outputs,
    title="State stores",
    components=(StateStore.TYPE,),
)
