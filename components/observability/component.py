"""ObservabilityStack: OpenTelemetry collection and auto-instrumentation on every cluster, and
central backends (Prometheus, Alertmanager, Grafana, Tempo, Loki) on the platform cluster.

Every cluster runs a node agent DaemonSet (OTLP from pods, host and kubelet metrics, container
logs) and the OpenTelemetry Operator with the `Instrumentation` Golden Path services opt into.
The platform cluster also runs the gateway (memory limits, span metrics before sampling, tail
sampling, batching) that exports traces to Tempo, metrics to Prometheus (remote write) and logs
to Loki. Workers' agents send to that gateway; a small cluster collector per worker reports
pod and container state (kube-state-metrics runs only next to Prometheus).
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Mapping, Sequence, cast

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components import charts, naming
from components.cert_manager import cert_manager_values
from components.charts import ResolvedChart, install_chart, platform_namespace
from components.dashboards import (
    LOKI_DATASOURCE_UID,
    PROMETHEUS_DATASOURCE_UID,
    TEMPO_DATASOURCE_UID,
    grafana_dashboard_config_map,
    prometheus_rule,
)
from components.naming import ARGOCD_NAMESPACE, CERT_MANAGER_NAMESPACE
from components.observability.content import (
    DASHBOARD_FOLDER,
    alert_groups,
    platform_dashboard,
    red_dashboard,
)
from components.observability.settings import Observability
from components.profiles import Footprint, SizeProfile, per_profile


@dataclasses.dataclass(frozen=True)
class ObservabilityFootprint:
    """Every observability workload; storage and retention empty/0 where nothing persists."""

    prometheus: Footprint
    prometheus_retention: str
    prometheus_storage: str
    alertmanager: Footprint
    prometheus_operator: Footprint
    kube_state_metrics: Footprint
    grafana: Footprint
    grafana_sidecar: Footprint
    loki: Footprint
    loki_retention: str
    loki_storage: str
    tempo: Footprint
    tempo_retention: str
    tempo_storage: str
    otel_operator: Footprint
    collector_agent: Footprint
    collector_gateway: Footprint
    collector_cluster: Footprint
    tail_sampling_traces: int
    """Traces the gateway holds in memory while it decides whether to keep them."""

    def dev_budget_workloads(self) -> list[Footprint]:
        """One pod of each workload on the one dev node (Grafana has two sidecars)."""
        return [
            self.prometheus,
            self.alertmanager,
            self.prometheus_operator,
            self.kube_state_metrics,
            self.grafana,
            self.grafana_sidecar,
            self.grafana_sidecar,
            self.loki,
            self.tempo,
            self.otel_operator,
            self.collector_agent,
            self.collector_gateway,
        ]


SIZES: Mapping[str, ObservabilityFootprint] = per_profile(
    # All together 380m CPU and 824Mi requested: the layer's share of the one dev node.
    dev=ObservabilityFootprint(
        prometheus=Footprint(1, "100m", "192Mi", "1", "512Mi"),
        prometheus_retention="2d",
        prometheus_storage="",
        alertmanager=Footprint(1, "10m", "24Mi", "100m", "64Mi"),
        prometheus_operator=Footprint(1, "20m", "48Mi", "200m", "128Mi"),
        kube_state_metrics=Footprint(1, "10m", "32Mi", "100m", "128Mi"),
        grafana=Footprint(1, "50m", "96Mi", "500m", "256Mi"),
        grafana_sidecar=Footprint(1, "10m", "24Mi", "100m", "64Mi"),
        loki=Footprint(1, "50m", "112Mi", "500m", "384Mi"),
        loki_retention="72h",
        loki_storage="",
        tempo=Footprint(1, "30m", "80Mi", "500m", "256Mi"),
        tempo_retention="24h",
        tempo_storage="",
        otel_operator=Footprint(1, "20m", "48Mi", "200m", "128Mi"),
        collector_agent=Footprint(1, "30m", "64Mi", "250m", "192Mi"),
        collector_gateway=Footprint(1, "40m", "80Mi", "500m", "256Mi"),
        collector_cluster=Footprint(1, "20m", "48Mi", "200m", "128Mi"),
        tail_sampling_traces=5000,
    ),
    # Two Prometheus and Alertmanager replicas on separate nodes; Loki and Tempo are single
    # binaries on persistent volumes (their HA modes need object storage, Tempo 3's Kafka).
    prod=ObservabilityFootprint(
        prometheus=Footprint(2, "500m", "2Gi", "2", "4Gi"),
        prometheus_retention="15d",
        prometheus_storage="100Gi",
        alertmanager=Footprint(2, "50m", "64Mi", "250m", "128Mi"),
        prometheus_operator=Footprint(1, "100m", "128Mi", "500m", "256Mi"),
        kube_state_metrics=Footprint(1, "50m", "128Mi", "500m", "512Mi"),
        grafana=Footprint(1, "100m", "256Mi", "1", "512Mi"),
        grafana_sidecar=Footprint(1, "20m", "64Mi", "200m", "128Mi"),
        loki=Footprint(1, "500m", "1Gi", "2", "4Gi"),
        loki_retention="720h",
        loki_storage="100Gi",
        tempo=Footprint(1, "250m", "1Gi", "2", "4Gi"),
        tempo_retention="336h",
        tempo_storage="50Gi",
        otel_operator=Footprint(2, "50m", "128Mi", "500m", "256Mi"),
        collector_agent=Footprint(1, "100m", "128Mi", "500m", "512Mi"),
        collector_gateway=Footprint(2, "250m", "512Mi", "1", "1Gi"),
        collector_cluster=Footprint(1, "50m", "128Mi", "250m", "256Mi"),
        tail_sampling_traces=50000,
    ),
)


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


@dataclasses.dataclass(frozen=True)
class ObservabilityCharts:
    """Where each chart of the layer comes from (upstream or the mirror)."""

    operator_crds: ResolvedChart
    kube_prometheus_stack: ResolvedChart
    loki: ResolvedChart
    tempo: ResolvedChart
    otel_operator: ResolvedChart
    otel_collector: ResolvedChart
    cert_manager: ResolvedChart
    """Installed on workers only: the operator's webhook certificate needs cert-manager."""


@dataclasses.dataclass(frozen=True)
class WorkerTelemetry:
    """The worker clusters, whose agents send to the platform cluster's gateway."""

    providers: Mapping[str, k8s.Provider]
    """Providers of the worker clusters, by cluster name: agents and instrumentation there."""
    gateway_endpoint: str
    """host:port of the platform cluster's OTLP gateway, as workers reach it (TLS)."""


@dataclasses.dataclass(frozen=True)
class ObservabilityStackArgs:
    platform_provider: k8s.Provider
    """Provider of the platform cluster, where the backends and the gateway run."""
    platform_cluster: str
    """Name of the platform cluster (the `k8s.cluster.name` of its telemetry)."""
    workers: WorkerTelemetry | None
    """The worker clusters and where they send; None on a single cluster."""
    charts: ObservabilityCharts
    profile: SizeProfile
    settings: Observability
    platform_cert_manager: Sequence[pulumi.Resource]
    """The platform cluster's cert-manager: operator and Prometheus Operator webhook certs."""
    argocd: bool = False
    """Whether ArgoCD runs on the platform cluster (GitOps on): then its controller is scraped."""


class ObservabilityStack(pulumi.ComponentResource):
    """Collectors and instrumentation on every cluster; backends, dashboards and alerts on the
    platform cluster."""

    TYPE: ClassVar[str] = "idp:platform:ObservabilityStack"

    namespace: str
    """Where everything of this layer runs, on every cluster."""
    crds_ready: list[pulumi.Resource]
    """Depend on these before creating PrometheusRules, ServiceMonitors, PodMonitors or
    dashboard ConfigMaps (the namespace and the Prometheus Operator CRDs)."""
    endpoints: dict[str, str]
    """In-cluster URLs of the backends and of the OTLP endpoint pods send to."""
    runbook_base: str
    """Where alert runbooks are published; rules link to `<runbook_base>#<alert>`."""

    def __init__(
        self, name: str, args: ObservabilityStackArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__(self.TYPE, name, {}, opts)
        self._name = name
        self._args = args
        self.namespace = NAMESPACE
        self.endpoints = dict(ENDPOINTS)
        self.runbook_base = args.settings.runbook_url
        platform = pulumi.ResourceOptions(parent=self, provider=args.platform_provider)

        namespace = self._namespace(name, platform)
        crds = install_chart(
            naming.child_name(name, "operator-crds"),
            args.charts.operator_crds,
            {},
            namespace=NAMESPACE,
            component="prometheus-operator-crds",
            owner=name,
            opts=platform,
            depends_on=[namespace],
        )
        self.crds_ready = [namespace, crds]
        after_crds = merge(platform, depends_on=self.crds_ready)

        admin = self._grafana_admin(after_crds)
        install_chart(
            naming.child_name(name, "kube-prometheus-stack"),
            args.charts.kube_prometheus_stack,
            kube_prometheus_stack_values(args.profile, args.platform_cluster),
            namespace=NAMESPACE,
            component="kube-prometheus-stack",
            owner=name,
            opts=platform,
            depends_on=[*self.crds_ready, admin, *args.platform_cert_manager],
        )
        install_chart(
            naming.child_name(name, "loki"),
            args.charts.loki,
            loki_values(args.profile),
            namespace=NAMESPACE,
            component="loki",
            owner=name,
            opts=platform,
            depends_on=[namespace],
        )
        install_chart(
            naming.child_name(name, "tempo"),
            args.charts.tempo,
            tempo_values(args.profile),
            namespace=NAMESPACE,
            component="tempo",
            owner=name,
            opts=platform,
            depends_on=[namespace],
        )
        install_chart(
            naming.child_name(name, "gateway"),
            args.charts.otel_collector,
            gateway_values(args.profile, args.settings),
            namespace=NAMESPACE,
            component="otel-gateway",
            owner=name,
            opts=platform,
            depends_on=[namespace],
        )
        self._collection(
            args.platform_cluster,
            platform,
            namespace,
            args.platform_cert_manager,
            gateway=service_address(GATEWAY_NAME, OTLP_GRPC_PORT),
            gateway_tls=False,
        )

        grafana_dashboard_config_map(
            naming.child_name(name, "red-dashboard"),
            red_dashboard(),
            folder=DASHBOARD_FOLDER,
            owner=name,
            opts=after_crds,
        )
        grafana_dashboard_config_map(
            naming.child_name(name, "platform-dashboard"),
            platform_dashboard(),
            folder=DASHBOARD_FOLDER,
            owner=name,
            opts=after_crds,
        )
        prometheus_rule(
            naming.child_name(name, "alerts"),
            "idp-platform-alerts",
            alert_groups(args.settings),
            runbook_base=self.runbook_base,
            owner=name,
            opts=after_crds,
        )
        for monitor_name, spec in pod_monitors(argocd=args.argocd).items():
            k8s.apiextensions.CustomResource(
                naming.child_name(name, monitor_name),
                api_version=MONITOR_API,
                kind="PodMonitor",
                metadata={
                    "name": monitor_name,
                    "namespace": NAMESPACE,
                    "labels": naming.standard_labels("pod-monitor", name),
                },
                spec=spec,
                opts=after_crds,
            )

        if args.workers is not None:
            for cluster, provider in args.workers.providers.items():
                self._worker(cluster, provider, args.workers.gateway_endpoint)
        self.register_outputs({"namespace": self.namespace, "endpoints": self.endpoints})

    def _namespace(self, resource_name: str, opts: pulumi.ResourceOptions) -> k8s.core.v1.Namespace:
        return platform_namespace(
            naming.child_name(resource_name, "ns"),
            NAMESPACE,
            component="observability",
            owner=self._name,
            opts=opts,
            pod_security=POD_SECURITY_LEVEL,
        )

    def _grafana_admin(self, opts: pulumi.ResourceOptions) -> k8s.core.v1.Secret:
        """Grafana's admin password, generated once and kept secret; the chart would otherwise
        template a new random one on every render."""
        password = random.RandomPassword(
            naming.child_name(self._name, "grafana-admin-password"),
            length=32,
            special=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return k8s.core.v1.Secret(
            naming.child_name(self._name, "grafana-admin"),
            metadata={
                "name": GRAFANA_ADMIN_SECRET,
                "namespace": NAMESPACE,
                "labels": naming.standard_labels("grafana", self._name),
            },
            string_data={
                "admin-user": "admin",
                "admin-password": pulumi.Output.secret(cast(Any, password.result)),
            },
            opts=opts,
        )

    def _collection(
        self,
        cluster: str,
        opts: pulumi.ResourceOptions,
        namespace: k8s.core.v1.Namespace,
        cert_manager: Sequence[pulumi.Resource],
        *,
        gateway: str,
        gateway_tls: bool,
    ) -> None:
        """What every cluster runs: the node agent, the operator and the Instrumentation."""
        args = self._args
        prefix = (
            self._name
            if cluster == args.platform_cluster
            else naming.child_name(self._name, cluster)
        )
        install_chart(
            naming.child_name(prefix, "agent"),
            args.charts.otel_collector,
            agent_values(args.profile, cluster, gateway, gateway_tls),
            namespace=NAMESPACE,
            component="otel-agent",
            owner=self._name,
            opts=opts,
            depends_on=[namespace],
        )
        operator = install_chart(
            naming.child_name(prefix, "otel-operator"),
            args.charts.otel_operator,
            otel_operator_values(args.profile),
            namespace=NAMESPACE,
            component="opentelemetry-operator",
            owner=self._name,
            opts=opts,
            depends_on=[namespace, *cert_manager],
        )
        k8s.apiextensions.CustomResource(
            naming.child_name(prefix, "instrumentation"),
            api_version=INSTRUMENTATION_API,
            kind="Instrumentation",
            metadata={
                "name": naming.INSTRUMENTATION_NAME,
                "namespace": NAMESPACE,
                "labels": naming.standard_labels("instrumentation", self._name),
            },
            spec=instrumentation_spec(),
            opts=merge(opts, depends_on=[operator]),
        )

    def _worker(self, cluster: str, provider: k8s.Provider, gateway: str) -> None:
        args = self._args
        opts = pulumi.ResourceOptions(parent=self, provider=provider)
        prefix = naming.child_name(self._name, cluster)
        namespace = self._namespace(prefix, opts)
        cert_manager = install_chart(
            naming.child_name(prefix, "cert-manager"),
            args.charts.cert_manager,
            cert_manager_values(args.profile),
            namespace=CERT_MANAGER_NAMESPACE,
            component="cert-manager",
            owner=self._name,
            opts=opts,
            namespace_resource_name=naming.child_name(prefix, "cert-manager-ns"),
        )
        self._collection(
            cluster, opts, namespace, [cert_manager], gateway=gateway, gateway_tls=True
        )
        install_chart(
            naming.child_name(prefix, "cluster-collector"),
            args.charts.otel_collector,
            cluster_collector_values(
                args.profile, cluster, service_address(AGENT_NAME, OTLP_GRPC_PORT)
            ),
            namespace=NAMESPACE,
            component="otel-cluster",
            owner=self._name,
            opts=opts,
            depends_on=[namespace],
        )


def merge(opts: pulumi.ResourceOptions, **options) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(**options))


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


# -- OpenTelemetry --------------------------------------------------------------------------------


def collector_base(name: str, mode: str, footprint: Footprint, *, root: bool = False) -> dict:
    """Values every collector release shares: the pinned contrib image, names, footprint, and
    a locked-down container (root only where it must read root-owned host files)."""
    repository, tag = charts.IMAGES["otel-collector"].rsplit(":", 1)
    user = 0 if root else COLLECTOR_UID
    return {
        "securityContext": {
            "runAsUser": user,
            "runAsGroup": user,
            "runAsNonRoot": not root,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "podSecurityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        "mode": mode,
        "nameOverride": name,
        "fullnameOverride": name,
        # The chart no longer defaults the image; contrib has every component used here.
        "image": {"repository": repository, "tag": tag},
        "command": {"name": "otelcol-contrib"},
        "resources": footprint.resources(),
        "useGOMEMLIMIT": True,
        "ports": {
            "metrics": {
                "enabled": True,
                "containerPort": COLLECTOR_METRICS_PORT,
                "servicePort": COLLECTOR_METRICS_PORT,
                "protocol": "TCP",
            }
        },
    }


def otlp_receiver() -> dict:
    return {
        "protocols": {
            "grpc": {"endpoint": f"0.0.0.0:{OTLP_GRPC_PORT}"},
            "http": {"endpoint": f"0.0.0.0:{OTLP_HTTP_PORT}"},
        }
    }


def self_metrics_receiver(name: str) -> dict:
    """The collector scrapes its own telemetry and sends it down its metrics pipeline, so
    collectors on workers report their health too."""
    return {
        "config": {
            "scrape_configs": [
                {
                    "job_name": name,
                    "scrape_interval": "30s",
                    "static_configs": [
                        {"targets": [f"${{env:MY_POD_IP}}:{COLLECTOR_METRICS_PORT}"]}
                    ],
                }
            ]
        }
    }


MEMORY_LIMITER = {"check_interval": "1s", "limit_percentage": 80, "spike_limit_percentage": 25}
BATCH = {"send_batch_size": 8192, "timeout": "5s"}


def cluster_resource(cluster: str) -> dict:
    return {"attributes": [{"key": "k8s.cluster.name", "value": cluster, "action": "upsert"}]}


def otlp_exporter(endpoint: str, tls: bool) -> dict:
    return {
        "endpoint": endpoint,
        "tls": {"insecure": not tls},
        "sending_queue": {"enabled": True},
        "retry_on_failure": {"enabled": True},
    }


def pipeline(receivers: list[str], processors: list[str], exporters: list[str]) -> dict:
    return {"receivers": receivers, "processors": processors, "exporters": exporters}


HEALTH_CHECK_PORT = 13133


def collector_config(config: dict) -> dict:
    """A whole collector config, as the chart's `alternateConfig`: what we write is what runs.

    The chart's `config` is merged over its defaults (jaeger, zipkin and prometheus receivers,
    a debug exporter), which only a `null` can delete, and Pulumi's Python SDK drops `null`s
    from values before Helm sees them. So the config is complete here, with what the chart's
    defaults provided that the pods need: the health_check extension its probes call, and the
    collector's own metrics on COLLECTOR_METRICS_PORT (scraped by `prometheus/self`)."""
    return {
        **config,
        "extensions": {"health_check": {"endpoint": f"${{env:MY_POD_IP}}:{HEALTH_CHECK_PORT}"}},
        "service": {
            **config["service"],
            "extensions": ["health_check"],
            "telemetry": {
                "metrics": {
                    "readers": [
                        {
                            "pull": {
                                "exporter": {
                                    "prometheus": {
                                        "host": "${env:MY_POD_IP}",
                                        "port": COLLECTOR_METRICS_PORT,
                                    }
                                }
                            }
                        }
                    ]
                }
            },
        },
    }


def agent_values(profile: SizeProfile, cluster: str, gateway: str, gateway_tls: bool) -> dict:
    """The node agent: OTLP from pods on the node, host and kubelet metrics, container logs;
    everything enriched with Kubernetes metadata and sent to the gateway."""
    node_env = {"name": "K8S_NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}
    # The current names: the chart rewrites the old ones (filelog, k8sattributes) for now.
    processors = ["memory_limiter", "k8s_attributes", "resource/cluster", "batch"]
    config = {
        "receivers": {
            "otlp": otlp_receiver(),
            "prometheus/self": self_metrics_receiver(AGENT_NAME),
            "hostmetrics": {
                "root_path": "/hostfs",
                "collection_interval": "30s",
                "scrapers": {
                    s: {} for s in ("cpu", "memory", "load", "disk", "filesystem", "network")
                },
            },
            "kubeletstats": {
                "collection_interval": "30s",
                "auth_type": "serviceAccount",
                "endpoint": "https://${env:K8S_NODE_NAME}:10250",
                # Kubelet serving certificates are self-signed on most clusters.
                "insecure_skip_verify": True,
            },
            "file_log": {
                "include": ["/var/log/pods/*/*/*.log"],
                # The collectors' own logs would loop through themselves.
                "exclude": [f"/var/log/pods/{NAMESPACE}_otel-*/*/*.log"],
                "start_at": "end",
                "include_file_path": True,
                "operators": [{"type": "container", "id": "container-parser"}],
            },
        },
        "processors": {
            "memory_limiter": MEMORY_LIMITER,
            "k8s_attributes": {
                "filter": {"node_from_env_var": "K8S_NODE_NAME"},
                "extract": {
                    "metadata": [
                        "k8s.namespace.name",
                        "k8s.pod.name",
                        "k8s.deployment.name",
                        "k8s.node.name",
                        "k8s.container.name",
                    ]
                },
            },
            "resource/cluster": cluster_resource(cluster),
            "batch": BATCH,
        },
        "exporters": {"otlp/gateway": otlp_exporter(gateway, gateway_tls)},
        "service": {
            "pipelines": {
                "traces": pipeline(["otlp"], processors, ["otlp/gateway"]),
                "metrics": pipeline(
                    ["otlp", "hostmetrics", "kubeletstats", "prometheus/self"],
                    processors,
                    ["otlp/gateway"],
                ),
                "logs": pipeline(["otlp", "file_log"], processors, ["otlp/gateway"]),
            }
        },
    }
    return {
        # Root: the kubelet writes pod logs root-owned and not world-readable.
        **collector_base(AGENT_NAME, "daemonset", SIZES[profile.name].collector_agent, root=True),
        "alternateConfig": collector_config(config),
        # Pods on a node reach the agent on that node.
        "service": {"enabled": True, "internalTrafficPolicy": "Local"},
        "extraEnvs": [node_env],
        "extraVolumes": [host_path("hostfs", "/"), host_path("varlogpods", "/var/log/pods")],
        "extraVolumeMounts": [
            {
                "name": "hostfs",
                "mountPath": "/hostfs",
                "readOnly": True,
                "mountPropagation": "HostToContainer",
            },
            {"name": "varlogpods", "mountPath": "/var/log/pods", "readOnly": True},
        ],
        "clusterRole": {
            "create": True,
            "rules": [
                {
                    "apiGroups": [""],
                    "resources": ["pods", "namespaces", "nodes", "nodes/stats", "nodes/proxy"],
                    "verbs": ["get", "list", "watch"],
                },
                {
                    "apiGroups": ["apps"],
                    "resources": ["replicasets", "deployments"],
                    "verbs": ["get", "list", "watch"],
                },
            ],
        },
    }


def host_path(name: str, path: str) -> dict:
    return {"name": name, "hostPath": {"path": path}}


def gateway_values(profile: SizeProfile, settings: Observability) -> dict:
    """The gateway: span metrics from every span, then tail sampling, then the backends."""
    o = SIZES[profile.name]
    config = {
        "receivers": {
            "otlp": otlp_receiver(),
            "prometheus/self": self_metrics_receiver(GATEWAY_NAME),
        },
        "connectors": {
            # RED metrics for every service: traces_span_metrics_calls_total and
            # traces_span_metrics_duration_milliseconds_* in Prometheus.
            "spanmetrics": {
                "namespace": "traces.span.metrics",
                "histogram": {
                    "unit": "ms",
                    "explicit": {
                        "buckets": [
                            "5ms",
                            "10ms",
                            "25ms",
                            "50ms",
                            "100ms",
                            "250ms",
                            "500ms",
                            "1s",
                            "2500ms",
                            "5s",
                            "10s",
                        ]
                    },
                },
                "dimensions": [
                    {"name": "http.request.method"},
                    {"name": "http.response.status_code"},
                ],
                "exemplars": {"enabled": True},
                "metrics_flush_interval": "15s",
            },
            "forward/sampling": {},
        },
        "processors": {
            "memory_limiter": MEMORY_LIMITER,
            "batch": BATCH,
            "tail_sampling": {
                "decision_wait": "10s",
                "num_traces": o.tail_sampling_traces,
                "policies": [
                    {
                        "name": "errors",
                        "type": "status_code",
                        "status_code": {"status_codes": ["ERROR"]},
                    },
                    {
                        "name": "slow",
                        "type": "latency",
                        "latency": {"threshold_ms": settings.latency_threshold_ms},
                    },
                    {
                        "name": "sample",
                        "type": "probabilistic",
                        "probabilistic": {"sampling_percentage": settings.trace_sample_percent},
                    },
                ],
            },
        },
        "exporters": {
            "otlp/tempo": otlp_exporter(service_address(TEMPO_NAME, OTLP_GRPC_PORT), tls=False),
            "prometheusremotewrite": {
                "endpoint": f"{ENDPOINTS['prometheus']}/api/v1/write",
                # service.name, k8s.cluster.name, ... become labels (service_name, ...).
                "resource_to_telemetry_conversion": {"enabled": True},
                "tls": {"insecure": True},
            },
            "otlphttp/loki": {
                "endpoint": f"{ENDPOINTS['loki']}/otlp",
                "sending_queue": {"enabled": True},
                "retry_on_failure": {"enabled": True},
            },
        },
        "service": {
            "pipelines": {
                # Every span feeds span metrics, then waits for the sampling decision.
                "traces": pipeline(
                    ["otlp"], ["memory_limiter"], ["spanmetrics", "forward/sampling"]
                ),
                "traces/sampled": pipeline(
                    ["forward/sampling"], ["tail_sampling", "batch"], ["otlp/tempo"]
                ),
                "metrics": pipeline(
                    ["otlp", "spanmetrics", "prometheus/self"],
                    ["memory_limiter", "batch"],
                    ["prometheusremotewrite"],
                ),
                "logs": pipeline(["otlp"], ["memory_limiter", "batch"], ["otlphttp/loki"]),
            }
        },
    }
    values = {
        **collector_base(GATEWAY_NAME, "deployment", o.collector_gateway),
        "replicaCount": o.collector_gateway.replicas,
        "alternateConfig": collector_config(config),
        "service": {"enabled": True},
    }
    if o.collector_gateway.replicas > 1:
        values["podDisruptionBudget"] = {"enabled": True, "minAvailable": 1}
    return values


def cluster_collector_values(profile: SizeProfile, cluster: str, agent: str) -> dict:
    """One collector per worker for cluster-wide state (pod phases, container restarts), which
    a DaemonSet would report once per node."""
    config = {
        "receivers": {
            "k8s_cluster": {
                "collection_interval": "30s",
                "node_conditions_to_report": ["Ready", "MemoryPressure"],
            },
            "prometheus/self": self_metrics_receiver(CLUSTER_COLLECTOR_NAME),
        },
        "processors": {
            "memory_limiter": MEMORY_LIMITER,
            "resource/cluster": cluster_resource(cluster),
            "batch": BATCH,
        },
        "exporters": {"otlp/agent": otlp_exporter(agent, tls=False)},
        "service": {
            "pipelines": {
                "metrics": pipeline(
                    ["k8s_cluster", "prometheus/self"],
                    ["memory_limiter", "resource/cluster", "batch"],
                    ["otlp/agent"],
                )
            }
        },
    }
    return {
        **collector_base(
            CLUSTER_COLLECTOR_NAME, "deployment", SIZES[profile.name].collector_cluster
        ),
        "replicaCount": 1,
        "alternateConfig": collector_config(config),
        "service": {"enabled": False},
        "clusterRole": {
            "create": True,
            "rules": [
                {
                    "apiGroups": ["", "apps", "batch", "autoscaling"],
                    "resources": [
                        "events",
                        "namespaces",
                        "nodes",
                        "pods",
                        "replicationcontrollers",
                        "resourcequotas",
                        "services",
                        "daemonsets",
                        "deployments",
                        "replicasets",
                        "statefulsets",
                        "jobs",
                        "cronjobs",
                        "horizontalpodautoscalers",
                    ],
                    "verbs": ["get", "list", "watch"],
                }
            ],
        },
    }


def otel_operator_values(profile: SizeProfile) -> dict:
    o = SIZES[profile.name]
    repository = charts.IMAGES["otel-collector"].rsplit(":", 1)[0]
    return {
        "fullnameOverride": OTEL_OPERATOR_NAME,
        "replicaCount": o.otel_operator.replicas,
        "manager": {
            "resources": o.otel_operator.resources(),
            "collectorImage": {"repository": repository},
            # Go needs the feature gate (and privileged pods, see README).
            "autoInstrumentation": {"go": {"enabled": True}},
        },
        # cert-manager issues the webhook certificate: stable across renders, unlike the
        # chart's self-generated one.
        "admissionWebhooks": {
            "certManager": {"enabled": True},
            "autoGenerateCert": {"enabled": False},
        },
        "pdb": {"create": o.otel_operator.replicas > 1},
    }


def instrumentation_spec() -> dict:
    """Java, Go, Python and Node.js services opt in with `naming.instrumentation_annotation`;
    they send OTLP/HTTP to the agent on their node."""
    return {
        "exporter": {"endpoint": ENDPOINTS["otlpHttp"]},
        "propagators": ["tracecontext", "baggage"],
        # Sampling happens at the gateway (tail sampling); services send every span.
        "sampler": {"type": "parentbased_always_on"},
        "env": [{"name": "OTEL_EXPORTER_OTLP_PROTOCOL", "value": "http/protobuf"}],
        "resource": {"addK8sUIDAttributes": True},
        # Injected init containers pass Pod Security `restricted` in team namespaces.
        "initContainerSecurityContext": {
            "allowPrivilegeEscalation": False,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        **{language: {} for language in naming.INSTRUMENTATION_LANGUAGES},
    }


def pod_monitors(argocd: bool) -> dict[str, dict]:
    """Scrapes of platform components whose metrics the dashboards and alerts read (ArgoCD's
    application controller only where ArgoCD runs)."""

    def monitor(namespace: str, app: str, port: str) -> dict:
        return {
            "namespaceSelector": {"matchNames": [namespace]},
            "selector": {"matchLabels": {"app.kubernetes.io/name": app}},
            "podMetricsEndpoints": [{"port": port, "interval": "30s"}],
        }

    monitors = {}
    if argocd:
        monitors["argocd-application-controller"] = monitor(
            ARGOCD_NAMESPACE, "argocd-application-controller", "metrics"
        )
    monitors["cert-manager"] = monitor(CERT_MANAGER_NAMESPACE, "cert-manager", "http-metrics")
    return monitors
