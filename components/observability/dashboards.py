"""The observability layer's Grafana dashboards: RED per service, and the platform's own."""

from __future__ import annotations

from components.dashboards import Panel, Query, Row, dashboard, query_variable
from components.observability.metrics import (
    CALLS,
    DURATION_BUCKET,
    ERROR_STATUS,
    INBOUND,
    KRATIX_JOBS,
)

DASHBOARD_FOLDER = "IDP Platform"


def red_dashboard() -> dict:
    """Rate, errors and duration of every instrumented service, one row per service."""
    selected = 'service_name=~"$service"'

    def rate(extra: str = "") -> str:
        matchers = ", ".join(m for m in (selected, INBOUND, extra) if m)
        return f"sum by (service_name) (rate({CALLS}{{{matchers}}}[$__rate_interval]))"

    def quantile(q: str) -> Query:
        return Query(
            f"histogram_quantile({q}, sum by (le, service_name) (rate("
            f"{DURATION_BUCKET}{{{selected}, {INBOUND}}}[$__rate_interval])))",
            f"p{q[2:]} {{{{service_name}}}}",
        )

    row = Row(
        "$service",
        [
            Panel(
                "Rate",
                [Query(rate(), "{{service_name}}")],
                unit="reqps",
                width=8,
                description="Inbound calls per second (server and consumer spans).",
            ),
            Panel(
                "Errors",
                [Query(f"{rate(ERROR_STATUS)} / {rate()}", "{{service_name}}")],
                unit="percentunit",
                width=8,
                description="Share of calls with error status.",
            ),
            Panel(
                "Duration",
                [quantile("0.50"), quantile("0.95"), quantile("0.99")],
                unit="ms",
                width=8,
                description="Latency quantiles of inbound calls.",
            ),
            Panel(
                "Slowest operations (p99)",
                [
                    Query(
                        f"topk(10, histogram_quantile(0.99, sum by (le, span_name) (rate("
                        f"{DURATION_BUCKET}{{{selected}, {INBOUND}}}[$__rate_interval]))))",
                        "{{span_name}}",
                    )
                ],
                kind="table",
                unit="ms",
                width=24,
            ),
        ],
        repeat="service",
    )
    return dashboard(
        "idp-red",
        "Services: rate, errors, duration",
        [row],
        description="RED metrics from span metrics of every auto-instrumented service.",
        tags=["idp", "red"],
        variables=[query_variable("service", "Service", f"label_values({CALLS}, service_name)")],
    )


def platform_dashboard() -> dict:
    """Kratix pipelines, ArgoCD sync and health, certificates and the collectors."""
    kratix = Row(
        "Kratix pipelines",
        [
            Panel(
                "Pipeline runs",
                [Query(f"count(kube_job_info{{{KRATIX_JOBS}}})", "runs")],
                kind="stat",
                width=6,
            ),
            Panel(
                "Failed pipeline runs",
                [Query(f"count(kube_job_status_failed{{{KRATIX_JOBS}}} > 0)", "failed")],
                kind="stat",
                width=6,
            ),
            Panel(
                "Failures by namespace",
                [
                    Query(
                        f"sum by (namespace) (kube_job_status_failed{{{KRATIX_JOBS}}})",
                        "{{namespace}}",
                    )
                ],
                width=12,
            ),
        ],
    )
    argocd = Row(
        "ArgoCD",
        [
            Panel(
                "Applications by sync status",
                [Query("count by (sync_status) (argocd_app_info)", "{{sync_status}}")],
                width=8,
            ),
            Panel(
                "Applications by health",
                [Query("count by (health_status) (argocd_app_info)", "{{health_status}}")],
                width=8,
            ),
            Panel(
                "Sync operations",
                [
                    Query(
                        "sum by (phase) (increase(argocd_app_sync_total[$__rate_interval]))",
                        "{{phase}}",
                    )
                ],
                width=8,
            ),
        ],
    )
    certificates = Row(
        "Certificates",
        [
            Panel(
                "Days until expiry",
                [
                    Query(
                        "min by (namespace, name) (certmanager_certificate_expiration_timestamp_seconds"
                        " - time()) / 86400",
                        "{{namespace}}/{{name}}",
                    )
                ],
                kind="table",
                width=12,
            ),
            Panel(
                "Certificates not ready",
                [
                    Query(
                        'count(certmanager_certificate_ready_status{condition="False"} == 1)',
                        "not ready",
                    )
                ],
                kind="stat",
                width=12,
            ),
        ],
    )
    collectors = Row(
        "OpenTelemetry collectors",
        [
            Panel(
                "Spans accepted / refused",
                [
                    Query(
                        "sum by (job) (rate(otelcol_receiver_accepted_spans_total[$__rate_interval]))",
                        "accepted {{job}}",
                    ),
                    Query(
                        "sum by (job) (rate(otelcol_receiver_refused_spans_total[$__rate_interval]))",
                        "refused {{job}}",
                    ),
                ],
                unit="ops",
                width=8,
            ),
            Panel(
                "Export failures",
                [
                    Query(
                        "sum by (job) (rate(otelcol_exporter_send_failed_spans_total"
                        "[$__rate_interval]))",
                        "spans {{job}}",
                    ),
                    Query(
                        "sum by (job) (rate(otelcol_exporter_send_failed_metric_points_total"
                        "[$__rate_interval]))",
                        "metric points {{job}}",
                    ),
                    Query(
                        "sum by (job) (rate(otelcol_exporter_send_failed_log_records_total"
                        "[$__rate_interval]))",
                        "log records {{job}}",
                    ),
                ],
                unit="ops",
                width=8,
            ),
            Panel(
                "Exporter queue size",
                [Query("max by (job) (otelcol_exporter_queue_size)", "{{job}}")],
                width=8,
            ),
        ],
    )
    return dashboard(
        "idp-platform",
        "IDP platform health",
        [kratix, argocd, certificates, collectors],
        description="Kratix pipelines, ArgoCD, certificates and telemetry.",
        tags=["idp", "platform"],
    )
