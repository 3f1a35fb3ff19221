"""The observability layer's alert rules (each links to its runbook section)."""

from __future__ import annotations

from components.dashboards import AlertRule, RuleGroup
from components.observability.metrics import (
    CALLS,
    DURATION_BUCKET,
    ERROR_STATUS,
    INBOUND,
    KRATIX_JOBS,
)
from components.observability.settings import Observability


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
