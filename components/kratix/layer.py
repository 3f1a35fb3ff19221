"""The Kratix layer: how it registers, the namespaces it owns, its stack outputs and facts, and its
`LAYER` record (listed in components/topology.py).
"""

from __future__ import annotations

import json

from components.clusters import render_directory
from components.config import StackConfig
from components.kratix.component import KratixPlatform, KratixPlatformArgs
from components.kratix.settings import SETTINGS
from components.layer import Layer, Topology
from components.naming import CERT_MANAGER_NAMESPACE, KRATIX_NAMESPACE

# -- the layer: Kratix on the platform cluster, always on -----------------------------------------


def kratix_layer(t: Topology) -> KratixPlatform:
    config = t.config
    platform = KratixPlatform(
        "kratix",
        KratixPlatformArgs(
            provider=t.platform_provider,
            cert_manager_chart=t.chart("cert-manager"),
            kratix_chart=t.chart("kratix"),
            profile=t.profile,
            controller_image=SETTINGS.of(config).image,
            service_account_annotations=SETTINGS.of(config).service_account_annotations,
            facts=t.facts(),
        ),
    )
    t.kratix, t.kratix_controller = platform, platform.controller
    t.platform_cert_manager = platform.cert_manager
    return platform


def kratix_namespaces(config: StackConfig) -> set[str]:
    return {CERT_MANAGER_NAMESPACE, KRATIX_NAMESPACE}


def kratix_facts(config: StackConfig) -> dict[str, str]:
    return {
        "profile": config.profile,
        "topology": config.topology,
        "teams": json.dumps(sorted(t.name for t in config.teams)),
        "environments": json.dumps(sorted({d.environment for d in config.destinations})),
        "destinations": json.dumps(sorted(d.name for d in config.destinations)),
        "clusters": json.dumps(sorted(c.name for c in config.clusters)),
    }


def kratix_outputs(t: Topology, _: KratixPlatform) -> dict[str, object]:
    clusters = {}
    for cluster in t.config.clusters:
        target = {"mode": cluster.target.mode}
        if cluster.target.mode == "render":
            target["renderDir"] = render_directory(t.stack, cluster)
        elif cluster.target.context:
            target["context"] = cluster.target.context
        clusters[cluster.name] = {"role": cluster.role, "target": target}
    return {"profile": t.config.profile, "topology": t.config.topology, "clusters": clusters}


LAYER = Layer(
    "kratix",
    kratix_layer,
    kratix_namespaces,
    kratix_outputs,
    kratix_facts,
    title="Kratix",
    components=(KratixPlatform.TYPE,),
    settings=SETTINGS,
)
