"""The security baseline layer: how it registers, the namespaces it owns, its stack outputs and
facts, and its `LAYER` record (listed in components/topology.py).
"""

from __future__ import annotations

from components.layer import Layer, Topology
from components.security.component import (
    SecurityBaseline,
    SecurityBaselineArgs,
    environments_by_cluster,
    team_namespaces_by_cluster,
)
from components.security.settings import SETTINGS

# -- the layer: idp:security, one baseline per cluster ---------------------------------------------


def security_layer(t: Topology) -> dict[str, SecurityBaseline]:
    config = t.config
    if not SETTINGS.of(config).enabled:
        return {}
    team_namespaces = team_namespaces_by_cluster(config.teams, environments_by_cluster(config))
    return {
        cluster.name: SecurityBaseline(
            f"security-{cluster.name}",
            SecurityBaselineArgs(
                provider=t.providers[cluster.name],
                chart=t.chart("kyverno"),
                profile=t.profile,
                settings=SETTINGS.of(config),
                team_namespaces=team_namespaces.get(cluster.name, []),
                platform_namespaces=t.platform_namespaces(),
            ),
        )
        for cluster in config.clusters
    }


def security_outputs(t: Topology, baselines: dict[str, SecurityBaseline]) -> dict[str, object]:
    if not baselines:
        return {}
    return {
        "security": {
            cluster: {"enforce": baseline.enforce, "teamNamespaces": baseline.namespaces}
            for cluster, baseline in baselines.items()
        }
    }


LAYER = Layer(
    "security",
    security_layer,
    outputs=security_outputs,
    title="Security",
    components=(SecurityBaseline.TYPE,),
    settings=SETTINGS,
)
