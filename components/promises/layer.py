"""The promises layer: how it registers, the namespaces it owns, its stack outputs and facts, and
its `LAYER` record (listed in components/topology.py).
"""

from __future__ import annotations

import json

import pulumi

from components import charts
from components.config import StackConfig
from components.layer import Layer, Topology
from components.promises.component import KratixPromise, KratixPromiseArgs
from components.promises.settings import SETTINGS, offered_promises
from components.promises.sizes import SIZES

# -- the layer: idp:promises, each promise after the Kratix controller ----------------------------


def promise_layer(t: Topology) -> dict[str, KratixPromise]:
    config = t.config
    settings = SETTINGS.of(config)
    promises = {}
    t.offered_promises = offered_promises(config)
    for definition in t.offered_promises:
        operator = definition.operator
        # Cloud-backed promises go where Crossplane runs, after its composite APIs exist.
        selectors = settings.destination_selectors
        waits_for: list[pulumi.Resource] = [t.kratix_controller]
        if definition.cloud_backed:
            selectors = config.cloud_selectors
            waits_for = [t.kratix_controller, *t.cloud]
        promises[definition.name] = KratixPromise(
            f"promise-{definition.name}",
            KratixPromiseArgs(
                definition=definition,
                provider=t.platform_provider,
                image_registry=settings.image_registry,
                destination_selectors=selectors,
                operator_chart=(
                    charts.operator_chart(operator.chart, config.chart_mirror) if operator else None
                ),
                operator_footprint=SIZES[t.profile.name].promise_operator,
                team_labels={team.name: team.cost_labels for team in config.teams},
                depends_on=waits_for,
            ),
        )
    return promises


def promise_namespaces(config: StackConfig) -> set[str]:
    # The promises' operators, on the destinations.
    return {d.operator.namespace for d in offered_promises(config) if d.operator}


def promise_outputs(t: Topology, promises: dict[str, KratixPromise]) -> dict[str, object]:
    if not promises:
        return {}
    return {
        "promises": {name: {"version": p.version, "image": p.image} for name, p in promises.items()}
    }


def promise_facts(config: StackConfig) -> dict[str, str]:
    return {"promises": json.dumps(sorted(d.name for d in offered_promises(config)))}


LAYER = Layer(
    "promises",
    promise_layer,
    promise_namespaces,
    promise_outputs,
    promise_facts,
    title="Promises",
    components=(KratixPromise.TYPE,),
    settings=SETTINGS,
)
