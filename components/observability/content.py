"""What the ObservabilityStack shows and alerts on: the RED dashboard, the platform dashboard,
the alert rules, and the metrics each source in this platform produces (the vocabulary the
dashboards and rules may use; tests check every expression against it).

Private to the observability layer: only components/observability.py imports it.
"""

from __future__ import annotations

from typing import Mapping

from components.dashboards import AlertRule, Panel, Query, Row, RuleGroup, dashboard, query_variable
from components.observability.settings import Observability

DASHBOARD_FOLDER = "IDP Platform"

# Span metrics from the gateway's spanmetrics connector, through Prometheus remote write
# (`.` becomes `_`, counters gain `_total`, the `ms` unit becomes `_milliseconds`).
CALLS = "traces_span_metrics_calls_total"
DURATION_BUCKET = "traces_span_metrics_duration_milliseconds_bucket"
ERROR_STATUS = 'status_code="STATUS_CODE_ERROR"'
# Server and consumer spans are a service's own work; client spans would count calls twice.
INBOUND = 'span_kind=~"SPAN_KIND_SERVER|SPAN_KIND_CONSUMER"'
# Kratix runs each workflow pipeline as a Job whose name starts with `kratix-`.
KRATIX_JOBS = 'job_name=~"kratix-.+"'

PRODUCED_METRICS: Mapping[str, frozenset[str]] = {
    "otel-gateway spanmetrics connector": frozenset(
        {
            CALLS,
            DURATION_BUCKET,
            "traces_span_metrics_duration_milliseconds_count",
            "traces_span_metrics_duration_milliseconds_sum",
        }
    ),
    "kube-state-metrics (kube-prometheus-stack)": frozenset(
        {
            "kube_pod_container_status_waiting_reason",
            "kube_pod_container_status_restarts_total",
            "kube_job_status_failed",
            "kube_job_status_succeeded",
            "kube_job_info",
            "kube_deployment_status_replicas_available",
        }
    ),
    "otel-cluster k8s_cluster receiver (workers)": frozenset({"k8s_container_restarts"}),
    "argocd-application-controller (PodMonitor)": frozenset(
        {"argocd_app_info", "argocd_app_sync_total"}
    ),
    "cert-manager (PodMonitor)": frozenset(
        {
            "certmanager_certificate_expiration_timestamp_seconds",
            "certmanager_certificate_ready_status",
        }
    ),
    "collector self-telemetry (prometheus/self receivers)": frozenset(
        {
            "otelcol_receiver_accepted_spans_total",
            "otelcol_receiver_refused_spans_total",
            "otelcol_exporter_sent_spans_total",
            "otelcol_exporter_send_failed_spans_total",
            "otelcol_exporter_send_failed_metric_points_total",
            "otelcol_exporter_send_failed_log_records_total",
            "otelcol_exporter_queue_size",
        }
    ),
}


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


def alert_groups(settings: Observability) -> list[RuleGroup]:
    """Every alert carries a severity and the anchor of its runbook section."""
    error_ratio = settings.error_rate_percent / 100
    calls = f"sum by (service_name) (rate({CALLS}{{{INBOUND}}}[5m]))"
    errors = f"sum by (service_name) (rate({CALLS}{{{INBOUND}, {ERROR_STATUS}}}[5m]))"
    services = RuleGroup(
        "idp-services",
        [
            AlertRule(
                "HighErrorRate",
                f"({errors} / {calls}) > {error_ratio} and {calls} > 0.1",
                "critical",
                "{{ $labels.service_name }} fails more than "
                f"{settings.error_rate_percent}% of calls",
                "{{ $labels.service_name }}: {{ $value | humanizePercentage }} of inbound calls "
                "end in error status.",
                "high-error-rate",
            ),
            AlertRule(
                "HighLatencyP99",
                f"histogram_quantile(0.99, sum by (le, service_name) (rate({DURATION_BUCKET}"
                f"{{{INBOUND}}}[5m]))) > {settings.latency_threshold_ms}",
                "warning",
                "{{ $labels.service_name }} p99 latency above "
                f"{settings.latency_threshold_ms} ms",
                "p99 of inbound calls is {{ $value | humanize }} ms.",
                "high-latency-p99",
            ),
            AlertRule(
                "PodCrashLooping",
                "max by (namespace, pod, container) (kube_pod_container_status_waiting_reason"
                '{reason="CrashLoopBackOff"}) > 0 or max by (k8s_cluster_name, '
                "k8s_namespace_name, k8s_pod_name, k8s_container_name) "
                "(delta(k8s_container_restarts[15m])) > 3",
                "warning",
                "A container keeps restarting",
                "{{ $labels.namespace }}{{ $labels.k8s_namespace_name }}/{{ $labels.pod }}"
                "{{ $labels.k8s_pod_name }} is crash-looping.",
                "pod-crash-looping",
                for_="15m",
            ),
        ],
    )
    platform = RuleGroup(
        "idp-platform",
        [
            AlertRule(
                "ArgoCDAppDegraded",
                'max by (name, project) (argocd_app_info{health_status=~"Degraded|Missing"}) > 0',
                "critical",
                "ArgoCD application {{ $labels.name }} is unhealthy",
                "{{ $labels.name }} (project {{ $labels.project }}) has been Degraded or Missing "
                "for 15 minutes.",
                "argocd-app-degraded",
                for_="15m",
            ),
            AlertRule(
                "ArgoCDAppOutOfSync",
                'max by (name, project) (argocd_app_info{sync_status="OutOfSync"}) > 0',
                "warning",
                "ArgoCD application {{ $labels.name }} is out of sync",
                "{{ $labels.name }} has differed from git for an hour (prod syncs wait for the "
                "sync window).",
                "argocd-app-out-of-sync",
                for_="1h",
            ),
            AlertRule(
                "KratixPipelineFailed",
                f"max by (namespace, job_name) (kube_job_status_failed{{{KRATIX_JOBS}}}) > 0",
                "warning",
                "Kratix pipeline {{ $labels.job_name }} failed",
                "The workflow Job {{ $labels.namespace }}/{{ $labels.job_name }} has failed pods; "
                "the promise or resource it serves is not up to date.",
                "kratix-pipeline-failed",
                for_="5m",
            ),
            AlertRule(
                "CertificateExpiringSoon",
                "min by (namespace, name) (certmanager_certificate_expiration_timestamp_seconds"
                " - time()) < 14 * 86400",
                "warning",
                "Certificate {{ $labels.namespace }}/{{ $labels.name }} expires soon",
                "It expires in {{ $value | humanizeDuration }} and cert-manager has not renewed "
                "it.",
                "certificate-expiring-soon",
                for_="1h",
            ),
            AlertRule(
                "OTelCollectorExportFailing",
                " or ".join(
                    f"sum by (job) (rate(otelcol_exporter_send_failed_{signal}_total[5m])) > 0"
                    for signal in ("spans", "metric_points", "log_records")
                ),
                "warning",
                "Collector {{ $labels.job }} is dropping telemetry",
                "Exports from {{ $labels.job }} fail; check the backend or the gateway endpoint.",
                "otel-collector-export-failing",
                for_="15m",
            ),
        ],
    )
    return [services, platform]
