"""The observability layer's settings (`idp:observability`) and their checks."""

from __future__ import annotations

import dataclasses
from typing import Optional

from components import formats as fmt
from components.config import LayerSettings, Phase, StackConfig
from components.configschema import NAMESPACE, Problems, setting


@dataclasses.dataclass(frozen=True)
class Observability:
    """OpenTelemetry collectors and auto-instrumentation, Prometheus, Grafana, Tempo, Loki."""

    enabled: bool = setting("enabled", "install the observability stack", default=False)
    gateway_endpoint: Optional[str] = setting(
        "gatewayEndpoint",
        "host:port where workers' collectors reach the platform cluster's "
        "OTLP gateway over TLS (multi-cluster)",
        default=None,
        format=fmt.HOST_AND_PORT,
    )
    trace_sample_percent: int = setting(
        "traceSamplePercent",
        "share of ordinary traces the gateway keeps (1-100); traces with "
        "an error or slower than latencyThresholdMs are always kept",
        default=10,
        bounds=fmt.PERCENT,
    )
    latency_threshold_ms: int = setting(
        "latencyThresholdMs",
        "p99 latency alert threshold, and the duration above which a trace is always kept",
        default=1000,
        bounds=fmt.Range(1, unit="milliseconds"),
    )
    error_rate_percent: int = setting(
        "errorRatePercent",
        "error ratio of a service (percent of calls) that fires HighErrorRate",
        default=5,
        bounds=fmt.PERCENT,
    )
    runbook_url: str = setting(
        "runbookURL",
        "where alert runbooks are published (each alert links to its #section)",
        default="docs/runbooks.md",
        format=fmt.RUNBOOK_URL,
    )


def check_observability(
    config: StackConfig, _secret_keys: frozenset[str], problems: Problems
) -> None:
    settings, key = SETTINGS.of(config), f"{NAMESPACE}:observability"
    if not settings.enabled:
        return
    workers = [c.name for c in config.clusters if c.role == "worker"]
    endpoint = settings.gateway_endpoint
    if workers and not endpoint:
        problems.add(
            f"{key}.gatewayEndpoint",
            "workers (" + ", ".join(workers) + ") send "
            "telemetry to the platform cluster: set the host:port of its OTLP gateway",
        )


def telemetry_gateway(config: StackConfig) -> str | None:
    """host:port of the OTLP gateway workers send to; None without workers or observability."""
    settings = SETTINGS.of(config)
    has_workers = any(c.role == "worker" for c in config.clusters)
    return settings.gateway_endpoint if settings.enabled and has_workers else None


SETTINGS = LayerSettings(
    "observability",
    Observability,
    "telemetry collection, storage, dashboards and alerts",
    rank=150,
    checks=((Phase.DESTINATIONS, check_observability),),
)
