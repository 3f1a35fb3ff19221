"""Chart values of the backends on the platform cluster: kube-prometheus-stack (Prometheus,
Alertmanager), Grafana and its data sources, Loki and Tempo.
"""

from __future__ import annotations

from components import naming
from components.dashboards import (
    LOKI_DATASOURCE_UID,
    PROMETHEUS_DATASOURCE_UID,
    TEMPO_DATASOURCE_UID,
)
from components.observability.names import (
    ENDPOINTS,
    GRAFANA_ADMIN_SECRET,
    GRAFANA_NAME,
    KPS_NAME,
    LOKI_NAME,
    OTLP_GRPC_PORT,
    OTLP_HTTP_PORT,
    TEMPO_NAME,
)
from components.observability.sizes import SIZES
from components.profiles import SizeProfile

# -- Prometheus, Alertmanager, Grafana ------------------------------------------------------------


def kube_prometheus_stack_values(profile: SizeProfile, cluster: str) -> dict:
    o = SIZES[profile.name]
    ha = profile.highly_available
    # Every ServiceMonitor, PodMonitor, Probe, ScrapeConfig and rule in the cluster, whatever its
    # labels: other layers add their own without knowing this release's name.
    select_all = {
        f"{kind}SelectorNilUsesHelmValues": False
        for kind in ("serviceMonitor", "podMonitor", "rule", "probe", "scrapeConfig")
    }
    prometheus_spec: dict = {
        **select_all,
        "replicas": o.prometheus.replicas,
        "resources": o.prometheus.resources(),
        "retention": o.prometheus_retention,
        "podAntiAffinity": "hard" if ha else "soft",
        "externalLabels": {"cluster": cluster},
        # The gateway remote-writes span metrics and everything collectors gather.
        "enableRemoteWriteReceiver": True,
        "enableFeatures": ["exemplar-storage"],
    }
    if o.prometheus_storage:
        prometheus_spec["storageSpec"] = volume_claim(o.prometheus_storage)
    alertmanager_spec: dict = {
        "replicas": o.alertmanager.replicas,
        "resources": o.alertmanager.resources(),
        "podAntiAffinity": "hard" if ha else "soft",
    }
    return {
        "fullnameOverride": KPS_NAME,
        "cleanPrometheusOperatorObjectNames": True,
        # The CRDs come from the prometheus-operator-crds chart, applied first.
        "crds": {"enabled": False},
        "prometheus": {"prometheusSpec": prometheus_spec},
        "alertmanager": {"alertmanagerSpec": alertmanager_spec},
        "prometheusOperator": {
            "resources": o.prometheus_operator.resources(),
            # cert-manager issues the webhook certificate; the patch Jobs would generate a new
            # one on every render.
            "admissionWebhooks": {"certManager": {"enabled": True}, "patch": {"enabled": False}},
        },
        "kube-state-metrics": {"resources": o.kube_state_metrics.resources()},
        # The node agents' hostmetrics receiver reads /proc and /sys through a read-only host
        # mount; node-exporter would also need the host network and PID namespaces, which the
        # platform-no-privileged policy refuses.
        "nodeExporter": {"enabled": False},
        "grafana": grafana_values(profile),
    }


def volume_claim(size: str) -> dict:
    return {
        "volumeClaimTemplate": {
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}
        }
    }


def grafana_values(profile: SizeProfile) -> dict:
    o = SIZES[profile.name]
    sidecar = o.grafana_sidecar.resources()
    return {
        "enabled": True,
        "fullnameOverride": GRAFANA_NAME,
        "replicas": o.grafana.replicas,
        "resources": o.grafana.resources(),
        "admin": {
            "existingSecret": GRAFANA_ADMIN_SECRET,
            "userKey": "admin-user",
            "passwordKey": "admin-password",
        },
        # The upstream Kubernetes dashboards stay; ours arrive through the sidecar.
        "defaultDashboardsEnabled": True,
        "sidecar": {
            "resources": sidecar,
            "dashboards": {
                "enabled": True,
                "label": naming.GRAFANA_DASHBOARD_LABEL,
                "labelValue": "1",
                "searchNamespace": "ALL",
                "folderAnnotation": naming.GRAFANA_FOLDER_ANNOTATION,
                "provider": {"foldersFromFilesStructure": True},
            },
            "datasources": {"enabled": True, "defaultDatasourceEnabled": False},
        },
        "additionalDataSources": grafana_datasources(),
    }


def grafana_datasources() -> list[dict]:
    """Prometheus, Tempo and Loki, linked: exemplars and logs lead to traces, traces to logs
    (by trace ID) and to span metrics (by service)."""
    return [
        {
            "name": "Prometheus",
            "uid": PROMETHEUS_DATASOURCE_UID,
            "type": "prometheus",
            "access": "proxy",
            "url": ENDPOINTS["prometheus"],
            "isDefault": True,
            "jsonData": {
                "exemplarTraceIdDestinations": [
                    {"name": "trace_id", "datasourceUid": TEMPO_DATASOURCE_UID}
                ]
            },
        },
        {
            "name": "Tempo",
            "uid": TEMPO_DATASOURCE_UID,
            "type": "tempo",
            "access": "proxy",
            "url": ENDPOINTS["tempo"],
            "jsonData": {
                "tracesToLogsV2": {
                    "datasourceUid": LOKI_DATASOURCE_UID,
                    "filterByTraceID": True,
                    "spanStartTimeShift": "-5m",
                    "spanEndTimeShift": "5m",
                    "tags": [{"key": "service.name", "value": "service_name"}],
                },
                "tracesToMetrics": {
                    "datasourceUid": PROMETHEUS_DATASOURCE_UID,
                    "tags": [{"key": "service.name", "value": "service_name"}],
                    "queries": [
                        {
                            "name": "Request rate",
                            "query": "sum(rate(traces_span_metrics_calls_total{$__tags}[5m]))",
                        },
                        {
                            "name": "Error rate",
                            "query": "sum(rate(traces_span_metrics_calls_total"
                            '{$__tags, status_code="STATUS_CODE_ERROR"}'
                            "[5m]))",
                        },
                    ],
                },
                "serviceMap": {"datasourceUid": PROMETHEUS_DATASOURCE_UID},
                "nodeGraph": {"enabled": True},
                "lokiSearch": {"datasourceUid": LOKI_DATASOURCE_UID},
            },
        },
        {
            "name": "Loki",
            "uid": LOKI_DATASOURCE_UID,
            "type": "loki",
            "access": "proxy",
            "url": ENDPOINTS["loki"],
            "jsonData": {
                "derivedFields": [
                    {
                        "name": "trace_id",
                        "matcherType": "label",
                        "matcherRegex": "trace_id",
                        "datasourceUid": TEMPO_DATASOURCE_UID,
                        "url": "$${__value.raw}",
                    }
                ]
            },
        },
    ]


# -- Loki and Tempo -------------------------------------------------------------------------------


def loki_values(profile: SizeProfile) -> dict:
    o = SIZES[profile.name]
    return {
        "fullnameOverride": LOKI_NAME,
        "deploymentMode": "Monolithic",
        "loki": {
            "auth_enabled": False,
            "commonConfig": {"replication_factor": 1},
            "storage": {
                "type": "filesystem",
                # Required even on the filesystem (grafana/loki#19655).
                "bucketNames": {"chunks": "chunks", "ruler": "ruler", "admin": "admin"},
            },
            "schemaConfig": {
                "configs": [
                    {
                        "from": "2026-01-01",
                        "store": "tsdb",
                        "object_store": "filesystem",
                        "schema": "v13",
                        "index": {"prefix": "index_", "period": "24h"},
                    }
                ]
            },
            # OTLP logs keep trace_id as structured metadata: the link back to traces.
            "limits_config": {
                "retention_period": o.loki_retention,
                "allow_structured_metadata": True,
            },
            "compactor": {"retention_enabled": True, "delete_request_store": "filesystem"},
        },
        "singleBinary": {
            "replicas": o.loki.replicas,
            "resources": o.loki.resources(),
            "persistence": persistence(o.loki_storage),
        },
        # The rules sidecar (loki-sc-rules) is the same k8s-sidecar Grafana runs: same size.
        "sidecar": {"resources": o.grafana_sidecar.resources()},
        **{target: {"replicas": 0} for target in ("read", "write", "backend")},
        # Memcached caches, the nginx gateway, MinIO and the canary: not needed by one binary.
        "chunksCache": {"enabled": False},
        "resultsCache": {"enabled": False},
        "gateway": {"enabled": False},
        "minio": {"enabled": False},
        "lokiCanary": {"enabled": False},
        "test": {"enabled": False},
    }


def persistence(size: str) -> dict:
    return {"enabled": True, "size": size} if size else {"enabled": False}


def tempo_values(profile: SizeProfile) -> dict:
    o = SIZES[profile.name]
    return {
        "fullnameOverride": TEMPO_NAME,
        "replicas": o.tempo.replicas,
        "tempo": {
            "resources": o.tempo.resources(),
            "retention": o.tempo_retention,
            "storage": {
                "trace": {
                    "backend": "local",
                    "local": {"path": "/var/tempo/traces"},
                    "wal": {"path": "/var/tempo/wal"},
                }
            },
            "receivers": {
                "otlp": {
                    "protocols": {
                        "grpc": {"endpoint": f"0.0.0.0:{OTLP_GRPC_PORT}"},
                        "http": {"endpoint": f"0.0.0.0:{OTLP_HTTP_PORT}"},
                    }
                }
            },
            # Span metrics come from the gateway, computed before sampling.
            "metricsGenerator": {"enabled": False},
            # The chart sets none for the container (found by checkov on the applied
            # manifests); Tempo writes only to its volume.
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
                "readOnlyRootFilesystem": True,
            },
        },
        # The chart's pod defaults (user 10001, non-root) stay; Helm merges this map into them.
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        "persistence": persistence(o.tempo_storage),
    }
