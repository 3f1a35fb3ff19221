"""The metrics each source in this platform produces: the vocabulary the observability layer's
dashboards and alert rules may use (tests check every expression against it).
"""

from __future__ import annotations

from typing import Mapping

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
