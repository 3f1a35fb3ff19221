"""The names, ports and in-cluster endpoints of the observability layer's pieces (what its
charts, collectors and other layers' workloads address).
"""

from __future__ import annotations

from components import naming

NAMESPACE = naming.OBSERVABILITY_NAMESPACE
# Node agents read host paths and container logs: the namespace cannot be baseline.
POD_SECURITY_LEVEL = "privileged"
# Release-independent names (fullnameOverride), so Services have stable addresses.
KPS_NAME = "kps"
PROMETHEUS_SERVICE = f"{KPS_NAME}-prometheus"
ALERTMANAGER_SERVICE = f"{KPS_NAME}-alertmanager"
GRAFANA_NAME = "grafana"
LOKI_NAME = "loki"
TEMPO_NAME = "tempo"
AGENT_NAME = "otel-agent"
GATEWAY_NAME = "otel-gateway"
CLUSTER_COLLECTOR_NAME = "otel-cluster"
# The operator chart appends "-webhook" and "-controller-manager-..." to its fullname: with a
# release name carrying the cluster's name those exceed the API server's 63 characters.
OTEL_OPERATOR_NAME = "otel-operator"
GRAFANA_ADMIN_SECRET = "grafana-admin"
OTLP_GRPC_PORT = 4317
OTLP_HTTP_PORT = 4318
COLLECTOR_METRICS_PORT = 8888
# The contrib image's own non-root user.
COLLECTOR_UID = 10001
INSTRUMENTATION_API = "opentelemetry.io/v1alpha1"
MONITOR_API = "monitoring.coreos.com/v1"


def service_address(service: str, port: int) -> str:
    """host:port of a Service of this layer, as gRPC exporters take it."""
    return f"{service}.{NAMESPACE}.svc.cluster.local:{port}"


def service_url(service: str, port: int) -> str:
    return f"http://{service_address(service, port)}"


ENDPOINTS = {
    "prometheus": service_url(PROMETHEUS_SERVICE, 9090),
    "alertmanager": service_url(ALERTMANAGER_SERVICE, 9093),
    "grafana": service_url(GRAFANA_NAME, 80),
    "tempo": service_url(TEMPO_NAME, 3200),
    "loki": service_url(LOKI_NAME, 3100),
    "otlpGrpc": service_url(AGENT_NAME, OTLP_GRPC_PORT),
    "otlpHttp": service_url(AGENT_NAME, OTLP_HTTP_PORT),
}
