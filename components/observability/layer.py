"""The observability layer: how it registers, the namespaces it owns, its stack outputs and facts,
and its `LAYER` record (listed in components/topology.py).
"""

from __future__ import annotations

from components.config import StackConfig
from components.layer import Layer, Topology, switch
from components.observability.component import (
    ObservabilityCharts,
    ObservabilityStack,
    ObservabilityStackArgs,
    WorkerTelemetry,
)
from components.observability.names import NAMESPACE
from components.observability.settings import SETTINGS, telemetry_gateway

# -- the layer: idp:observability ------------------------------------------------------------------


def observability_layer(t: Topology) -> ObservabilityStack | None:
    config = t.config
    if not SETTINGS.of(config).enabled:
        return None
    gateway = telemetry_gateway(config)
    stack = ObservabilityStack(
        "observability",
        ObservabilityStackArgs(
            platform_provider=t.platform_provider,
            platform_cluster=config.platform_cluster.name,
            workers=WorkerTelemetry(
                {c.name: t.providers[c.name] for c in config.clusters if c.role == "worker"},
                gateway,
            )
            if gateway is not None
            else None,
            charts=ObservabilityCharts(
                operator_crds=t.chart("prometheus-operator-crds"),
                kube_prometheus_stack=t.chart("kube-prometheus-stack"),
                loki=t.chart("loki"),
                tempo=t.chart("tempo"),
                otel_operator=t.chart("opentelemetry-operator"),
                otel_collector=t.chart("opentelemetry-collector"),
                cert_manager=t.chart("cert-manager"),
            ),
            profile=t.profile,
            settings=SETTINGS.of(config),
            platform_cert_manager=[t.platform_cert_manager],
            argocd=config.switched_on("gitops"),
        ),
    )
    # ServiceMonitors and rules of other layers (FinOps) wait for the Prometheus Operator CRDs.
    t.monitoring_crds = list(stack.crds_ready)
    return stack


def observability_namespaces(config: StackConfig) -> set[str]:
    return {NAMESPACE} if SETTINGS.of(config).enabled else set()


def observability_outputs(t: Topology, stack: ObservabilityStack | None) -> dict[str, object]:
    if stack is None:
        return {}
    return {"observability": {"namespace": stack.namespace, "endpoints": stack.endpoints}}


def observability_facts(config: StackConfig) -> dict[str, str]:
    return {"observability": switch(SETTINGS.of(config).enabled)}


LAYER = Layer(
    "observability",
    observability_layer,
    observability_namespaces,
    observability_outputs,
    observability_facts,
    title="Observability",
    components=(ObservabilityStack.TYPE,),
    settings=SETTINGS,
)
