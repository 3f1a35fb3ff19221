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

from components import naming
from components.cert_manager import cert_manager_values
from components.charts import ResolvedChart, install_chart, platform_namespace
from components.dashboards import (
    grafana_dashboard_config_map,
    prometheus_rule,
)
from components.naming import CERT_MANAGER_NAMESPACE
from components.observability.alerts import alert_groups
from components.observability.backends import (
    kube_prometheus_stack_values,
    loki_values,
    tempo_values,
)
from components.observability.collectors import (
    agent_values,
    cluster_collector_values,
    gateway_values,
    instrumentation_spec,
    otel_operator_values,
    pod_monitors,
)
from components.observability.dashboards import DASHBOARD_FOLDER, platform_dashboard, red_dashboard
from components.observability.names import (
    AGENT_NAME,
    ENDPOINTS,
    GATEWAY_NAME,
    GRAFANA_ADMIN_SECRET,
    INSTRUMENTATION_API,
    MONITOR_API,
    NAMESPACE,
    OTLP_GRPC_PORT,
    POD_SECURITY_LEVEL,
    service_address,
)
from components.observability.settings import Observability
from components.profiles import SizeProfile


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
