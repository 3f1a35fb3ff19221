"""The observability layer: what runs where, collector pipelines wired end to end, Grafana's
linked data sources, dashboards and alert rules that read only produced metrics, and the dev
footprint, for both shipped stacks under Pulumi mocks."""

from __future__ import annotations

import json
import re

import pytest

from components import charts, dashboards, naming
from components.observability.sizes import SIZES
from components.observability.names import AGENT_NAME, ENDPOINTS, GATEWAY_NAME, OTLP_GRPC_PORT, OTLP_HTTP_PORT
from components.observability.metrics import PRODUCED_METRICS
from tests.harness import REPO, Registry, run_program, stack_config
from tests.test_config_errors import DEV, PROD, edit, expect_config_error

WORKERS = ("prod-eu-west-1", "prod-us-east-1", "staging-eu-west-1")
PLATFORM_CHARTS = {"operator-crds": "prometheus-operator-crds",
                   "kube-prometheus-stack": "kube-prometheus-stack", "loki": "loki",
                   "tempo": "tempo", "gateway": "opentelemetry-collector",
                   "agent": "opentelemetry-collector",
                   "otel-operator": "opentelemetry-operator"}
WORKER_CHARTS = {"cert-manager": "cert-manager", "agent": "opentelemetry-collector",
                 "otel-operator": "opentelemetry-operator",
                 "cluster-collector": "opentelemetry-collector"}
EXPECTED_ALERTS = {"HighErrorRate", "HighLatencyP99", "PodCrashLooping", "ArgoCDAppDegraded",
                   "ArgoCDAppOutOfSync", "KratixPipelineFailed", "CertificateExpiringSoon",
                   "OTelCollectorExportFailing"}


def _charts(registry: Registry) -> dict[str, object]:
    return {r.name: r for r in registry.kind("Chart") if r.parent_name == "observability"}


def _values(registry: Registry, name: str) -> dict:
    return registry.named(name).get("values")


# This layer's own dashboards and rules; other layers (FinOps) add theirs to the same Grafana.
OBSERVABILITY = "idp:platform:ObservabilityStack"


def _dashboards(registry: Registry) -> list[dict]:
    maps = [r for r in registry.kind("ConfigMap")
            if (r.get("metadata", "labels") or {}).get(naming.GRAFANA_DASHBOARD_LABEL) == "1"
            and r.parent_type == OBSERVABILITY]
    return [json.loads(text) for r in maps for text in r.get("data").values()]


def _rules(registry: Registry) -> list[dict]:
    return [rule for r in registry.kind("PrometheusRule") if r.parent_type == OBSERVABILITY
            for group in r.get("spec", "groups") for rule in group["rules"]]


# -- what is deployed where ---------------------------------------------------------------------


def test_dev_runs_backends_and_collection_on_the_one_cluster(dev):
    found = _charts(dev)
    assert set(found) == {f"observability-{role}" for role in PLATFORM_CHARTS}
    for role, chart_key in PLATFORM_CHARTS.items():
        chart = found[f"observability-{role}"]
        assert chart.provider_name == "platform"
        assert chart.get("chart") == chart_key
        assert chart.get("version") == charts.CHARTS[chart_key].version
        assert chart.get("namespace") == naming.OBSERVABILITY_NAMESPACE


def test_prod_workers_run_collection_and_instrumentation_but_no_backends(prod):
    found = _charts(prod)
    expected = {f"observability-{role}" for role in PLATFORM_CHARTS}
    expected |= {f"observability-{w}-{role}" for w in WORKERS for role in WORKER_CHARTS}
    assert set(found) == expected
    for worker in WORKERS:
        for role, chart_key in WORKER_CHARTS.items():
            chart = found[f"observability-{worker}-{role}"]
            assert chart.provider_name == worker and chart.get("chart") == chart_key
    backends = {"observability-kube-prometheus-stack", "observability-loki",
                "observability-tempo", "observability-gateway", "observability-operator-crds"}
    assert {found[name].provider_name for name in backends} == {"platform"}
    instrumentations = {r.provider_name for r in prod.kind("Instrumentation")}
    assert instrumentations == {"platform", *WORKERS}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_monitoring_namespace_is_privileged_and_left_alone_by_kyverno(stack, request):
    registry: Registry = request.getfixturevalue(stack)
    namespaces = [r for r in registry.kind("Namespace")
                  if r.get("metadata", "name") == naming.OBSERVABILITY_NAMESPACE]
    assert len(namespaces) == (1 if stack == "dev" else 4)
    for namespace in namespaces:
        labels = namespace.get("metadata", "labels")
        assert naming.pod_security_labels("privileged").items() <= labels.items()
    for policy in registry.kind("ValidatingPolicy"):
        assert naming.OBSERVABILITY_NAMESPACE in json.dumps(policy.get("spec")), policy.name
    kyverno = registry.named("security-platform-kyverno").get("values")
    assert naming.OBSERVABILITY_NAMESPACE in json.dumps(kyverno["config"])


def test_crds_are_applied_before_anything_uses_them(dev):
    crds = dev.named("observability-operator-crds")
    namespace = dev.named("observability-ns")
    assert namespace.urn in crds.dependencies
    for name in ("observability-kube-prometheus-stack", "observability-alerts",
                 "observability-red-dashboard", "observability-argocd-application-controller"):
        assert crds.urn in dev.named(name).dependencies, name
    # Prometheus Operator and OTel Operator webhooks get cert-manager certificates.
    cert_manager = dev.named("kratix-cert-manager").urn
    assert cert_manager in dev.named("observability-kube-prometheus-stack").dependencies
    assert cert_manager in dev.named("observability-otel-operator").dependencies
    operator = dev.named("observability-otel-operator").urn
    assert operator in dev.named("observability-instrumentation").dependencies


def test_worker_operators_wait_for_their_own_cert_manager(prod):
    for worker in WORKERS:
        cert_manager = prod.named(f"observability-{worker}-cert-manager")
        assert cert_manager.get("namespace") == "cert-manager"
        operator = prod.named(f"observability-{worker}-otel-operator")
        assert cert_manager.urn in operator.dependencies


def test_kube_prometheus_stack_selects_every_monitor_and_rule_and_skips_its_crds(dev):
    values = _values(dev, "observability-kube-prometheus-stack")
    assert values["crds"] == {"enabled": False}
    spec = values["prometheus"]["prometheusSpec"]
    for kind in ("serviceMonitor", "podMonitor", "rule", "probe", "scrapeConfig"):
        assert spec[f"{kind}SelectorNilUsesHelmValues"] is False, kind
    assert spec["enableRemoteWriteReceiver"] is True
    assert values["prometheusOperator"]["admissionWebhooks"] == {
        "certManager": {"enabled": True}, "patch": {"enabled": False}}


def test_operator_uses_cert_manager_and_collectors_set_their_image(prod):
    for name, registration in _charts(prod).items():
        values = registration.get("values")
        if registration.get("chart") == "opentelemetry-operator":
            assert values["admissionWebhooks"] == {"certManager": {"enabled": True},
                                                   "autoGenerateCert": {"enabled": False}}
        if registration.get("chart") == "opentelemetry-collector":
            image = f"{values['image']['repository']}:{values['image']['tag']}"
            assert image == charts.IMAGES["otel-collector"], name
            assert values["command"] == {"name": "otelcol-contrib"}


# -- collector pipelines -------------------------------------------------------------------------


def _assert_pipelines_wired(config: dict, name: str) -> None:
    """Every component a pipeline names is configured, every configured one is used, and every
    connector is both an exporter and a receiver."""
    pipelines = config["service"]["pipelines"]
    used = {section: set() for section in ("receivers", "processors", "exporters")}
    for pipeline in pipelines.values():
        for section in used:
            used[section] |= set(pipeline[section])
    connectors = set(config.get("connectors", {}))
    defined = {section: {k for k, v in config.get(section, {}).items() if v is not None}
               for section in used}
    assert used["receivers"] == defined["receivers"] | connectors, name
    assert used["processors"] == defined["processors"], name
    assert used["exporters"] == defined["exporters"] | connectors, name
    for connector in connectors:
        assert connector in used["receivers"] and connector in used["exporters"], connector


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_collector_pipeline_is_wired_end_to_end(stack, request):
    registry = request.getfixturevalue(stack)
    collectors = [r for r in _charts(registry).values()
                  if r.get("chart") == "opentelemetry-collector"]
    assert len(collectors) == (2 if stack == "dev" else 2 + 2 * len(WORKERS))
    for collector in collectors:
        _assert_pipelines_wired(collector.get("values")["alternateConfig"], collector.name)


def test_agent_collects_otlp_host_kubelet_and_logs_and_sends_to_the_gateway(prod):
    platform = _values(prod, "observability-agent")
    assert platform["mode"] == "daemonset"
    pipelines = platform["alternateConfig"]["service"]["pipelines"]
    assert set(pipelines) == {"traces", "metrics", "logs"}
    assert "file_log" in pipelines["logs"]["receivers"]
    assert {"otlp", "hostmetrics", "kubeletstats"} <= set(pipelines["metrics"]["receivers"])
    assert all(p["exporters"] == ["otlp/gateway"] for p in pipelines.values())
    gateway = platform["alternateConfig"]["exporters"]["otlp/gateway"]
    assert gateway["endpoint"] == f"{GATEWAY_NAME}.monitoring.svc.cluster.local:{OTLP_GRPC_PORT}"
    assert gateway["tls"] == {"insecure": True}
    assert platform["service"]["internalTrafficPolicy"] == "Local"
    for worker in WORKERS:
        config = _values(prod, f"observability-{worker}-agent")["alternateConfig"]
        exporter = config["exporters"]["otlp/gateway"]
        # Workers cross the network to the platform cluster: TLS, the configured endpoint.
        assert exporter["endpoint"] == "otlp.platform.example.com:4317"
        assert exporter["tls"] == {"insecure": False}
        cluster = config["processors"]["resource/cluster"]["attributes"][0]
        assert cluster == {"key": "k8s.cluster.name", "value": worker, "action": "upsert"}


def test_gateway_makes_span_metrics_before_tail_sampling_and_feeds_every_backend(prod):
    values = _values(prod, "observability-gateway")
    config = values["alternateConfig"]
    pipelines = config["service"]["pipelines"]
    assert pipelines["traces"]["exporters"] == ["spanmetrics", "forward/sampling"]
    assert "tail_sampling" not in pipelines["traces"]["processors"]
    assert pipelines["traces/sampled"]["processors"] == ["tail_sampling", "batch"]
    assert "spanmetrics" in pipelines["metrics"]["receivers"]
    for pipeline in pipelines.values():
        assert pipeline["processors"][0] in ("memory_limiter", "tail_sampling")
    exporters = config["exporters"]
    assert exporters["otlp/tempo"]["endpoint"] == \
        f"tempo.monitoring.svc.cluster.local:{OTLP_GRPC_PORT}"
    assert exporters["prometheusremotewrite"]["endpoint"] == \
        f"{ENDPOINTS['prometheus']}/api/v1/write"
    assert exporters["otlphttp/loki"]["endpoint"] == f"{ENDPOINTS['loki']}/otlp"
    policies = {p["name"]: p for p in config["processors"]["tail_sampling"]["policies"]}
    assert policies["sample"]["probabilistic"] == {"sampling_percentage": 5}
    assert policies["slow"]["latency"] == {"threshold_ms": 500}
    # Prod: two gateways and a PDB.
    assert values["replicaCount"] == 2 and values["podDisruptionBudget"]["enabled"] is True


def test_instrumentation_covers_four_languages_and_sends_to_the_node_agent(dev):
    instrumentation = dev.named("observability-instrumentation")
    metadata = instrumentation.get("metadata")
    assert metadata["name"] == naming.INSTRUMENTATION_NAME
    assert metadata["namespace"] == naming.OBSERVABILITY_NAMESPACE
    spec = instrumentation.get("spec")
    assert {"java", "go", "python", "nodejs"} <= set(spec)
    assert spec["exporter"]["endpoint"] == \
        f"http://{AGENT_NAME}.monitoring.svc.cluster.local:{OTLP_HTTP_PORT}"
    # The annotation Golden Path templates use points at this object.
    annotation = naming.instrumentation_annotation("python")
    assert annotation == {"instrumentation.opentelemetry.io/inject-python":
                          f"{metadata['namespace']}/{metadata['name']}"}
    assert _values(dev, "observability-otel-operator")["manager"]["autoInstrumentation"] == \
        {"go": {"enabled": True}}


# -- Grafana, Loki, Tempo -------------------------------------------------------------------------


def test_grafana_links_traces_logs_and_metrics(dev):
    grafana = _values(dev, "observability-kube-prometheus-stack")["grafana"]
    sources = {s["uid"]: s for s in grafana["additionalDataSources"]}
    assert set(sources) == {"prometheus", "tempo", "loki"}
    tempo = sources["tempo"]["jsonData"]
    assert tempo["tracesToLogsV2"]["datasourceUid"] == "loki"
    assert tempo["tracesToMetrics"]["datasourceUid"] == "prometheus"
    assert sources["loki"]["jsonData"]["derivedFields"][0]["datasourceUid"] == "tempo"
    assert sources["prometheus"]["jsonData"]["exemplarTraceIdDestinations"][0][
        "datasourceUid"] == "tempo"
    dashboards_sidecar = grafana["sidecar"]["dashboards"]
    assert dashboards_sidecar["label"] == naming.GRAFANA_DASHBOARD_LABEL
    assert dashboards_sidecar["folderAnnotation"] == naming.GRAFANA_FOLDER_ANNOTATION
    assert dashboards_sidecar["searchNamespace"] == "ALL"
    # The admin password is generated once and kept secret, never templated by the chart.
    assert grafana["admin"]["existingSecret"] == "grafana-admin"
    secret = dev.named("observability-grafana-admin")
    assert secret.get("metadata", "name") == "grafana-admin"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_loki_and_tempo_are_single_binaries_sized_by_profile(stack, request):
    registry = request.getfixturevalue(stack)
    footprint = SIZES[stack]
    loki = _values(registry, "observability-loki")
    assert loki["deploymentMode"] == "Monolithic"
    assert {loki[t]["replicas"] for t in ("read", "write", "backend")} == {0}
    assert loki["singleBinary"]["resources"] == footprint.loki.resources()
    assert loki["loki"]["limits_config"]["retention_period"] == footprint.loki_retention
    tempo = _values(registry, "observability-tempo")
    assert tempo["tempo"]["retention"] == footprint.tempo_retention
    prometheus = _values(registry, "observability-kube-prometheus-stack")["prometheus"][
        "prometheusSpec"]
    assert prometheus["retention"] == footprint.prometheus_retention
    if stack == "prod":
        assert loki["singleBinary"]["persistence"] == {"enabled": True, "size": "100Gi"}
        assert tempo["persistence"] == {"enabled": True, "size": "50Gi"}
        assert prometheus["storageSpec"]["volumeClaimTemplate"]["spec"]["resources"] == {
            "requests": {"storage": "100Gi"}}
        assert prometheus["replicas"] == 2 and prometheus["podAntiAffinity"] == "hard"
    else:
        assert loki["singleBinary"]["persistence"] == {"enabled": False}
        assert "storageSpec" not in prometheus


def _millicores(cpu: str) -> int:
    return int(cpu[:-1]) if cpu.endswith("m") else int(float(cpu) * 1000)


def _mebibytes(memory: str) -> int:
    return int(memory[:-2]) * (1024 if memory.endswith("Gi") else 1)


def test_dev_footprint_fits_the_layers_budget(dev):
    workloads = SIZES["dev"].dev_budget_workloads()
    assert sum(_millicores(w.cpu_request) for w in workloads) <= 450
    assert sum(_mebibytes(w.memory_request) for w in workloads) <= 900
    assert {w.replicas for w in workloads} == {1}
    # The charts get exactly these footprints.
    footprint = SIZES["dev"]
    kps = _values(dev, "observability-kube-prometheus-stack")
    assert kps["prometheus"]["prometheusSpec"]["resources"] == footprint.prometheus.resources()
    assert kps["grafana"]["sidecar"]["resources"] == footprint.grafana_sidecar.resources()
    assert _values(dev, "observability-gateway")["resources"] == \
        footprint.collector_gateway.resources()


# -- dashboards and alert rules -------------------------------------------------------------------


def test_dashboards_parse_and_read_only_metrics_the_platform_produces(dev):
    produced = frozenset().union(*PRODUCED_METRICS.values())
    models = _dashboards(dev)
    assert {m["uid"] for m in models} == {"idp-red", "idp-platform"}
    for model in models:
        expressions = list(dashboards.dashboard_expressions(model))
        assert expressions, model["uid"]
        for expr in expressions:
            metrics = dashboards.referenced_metrics(expr)
            assert metrics, f"{model['uid']}: no metric in {expr}"
            assert metrics <= produced, f"{model['uid']}: {metrics - produced} not produced"


def test_red_dashboard_shows_rate_errors_and_duration_per_service(dev):
    red = next(m for m in _dashboards(dev) if m["uid"] == "idp-red")
    row = red["panels"][0]
    assert row["type"] == "row" and row["repeat"] == "service"
    titles = [p["title"] for p in red["panels"][1:]]
    assert titles[:3] == ["Rate", "Errors", "Duration"]
    assert red["templating"]["list"][0]["name"] == "service"


def test_alert_rules_read_only_produced_metrics(dev):
    produced = frozenset().union(*PRODUCED_METRICS.values())
    for rule in _rules(dev):
        metrics = dashboards.referenced_metrics(rule["expr"])
        assert metrics and metrics <= produced, (rule["alert"], metrics - produced)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_alert_has_a_severity_and_a_runbook_section(stack, request):
    registry = request.getfixturevalue(stack)
    rules = _rules(registry)
    assert {r["alert"] for r in rules} == EXPECTED_ALERTS
    runbook = (REPO / "docs" / "runbooks.md").read_text()
    sections = set(re.findall(r"^## (\S+)$", runbook, re.MULTILINE))
    base = "docs/runbooks.md" if stack == "dev" else \
        "https://git.example.com/platform/idp-as-code/-/blob/main/docs/runbooks.md"
    for rule in rules:
        assert rule["labels"]["severity"] in dashboards.SEVERITIES, rule["alert"]
        url = rule["annotations"]["runbook_url"]
        page, _, anchor = url.partition("#")
        assert page == base and anchor in sections, url
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]


def test_alert_thresholds_follow_the_config(prod):
    by_name = {r["alert"]: r for r in _rules(prod)}
    assert by_name["HighLatencyP99"]["expr"].endswith("> 500")
    assert "> 0.05" in by_name["HighErrorRate"]["expr"]


def test_platform_scrapes_what_the_dashboards_read(dev):
    monitors = {r.get("metadata", "name"): r.get("spec") for r in dev.kind("PodMonitor")}
    assert monitors["argocd-application-controller"]["namespaceSelector"] == {
        "matchNames": ["argocd"]}
    assert monitors["cert-manager"]["namespaceSelector"] == {"matchNames": ["cert-manager"]}


def test_argocd_is_scraped_only_where_it_runs():
    config = stack_config("dev", gitops={"enabled": False}, finops={"enabled": False})
    monitors = [r.get("metadata", "name") for r in run_program(config, "dev").kind("PodMonitor")]
    assert monitors == ["cert-manager"]


def test_stack_outputs_name_the_endpoints(dev):
    outputs = dev.outputs["observability"]
    assert outputs["namespace"] == "monitoring"
    assert outputs["endpoints"]["otlpGrpc"].endswith(f":{OTLP_GRPC_PORT}")
    assert set(outputs["endpoints"]) == {"prometheus", "alertmanager", "grafana", "tempo",
                                         "loki", "otlpGrpc", "otlpHttp"}


# -- config errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("config, key, words", [
    (edit(PROD, lambda c: c["observability"].pop("gatewayEndpoint")),
     "idp:observability.gatewayEndpoint", "prod-eu-west-1"),
    (edit(PROD, lambda c: c["observability"].update(gatewayEndpoint="https://otlp.example.com")),
     "idp:observability.gatewayEndpoint", "host:port"),
    (edit(DEV, lambda c: c["observability"].update(traceSamplePercent=0)),
     "idp:observability.traceSamplePercent", "1 to 100"),
    (edit(DEV, lambda c: c["observability"].update(errorRatePercent=150)),
     "idp:observability.errorRatePercent", "1 to 100"),
], ids=["missing-gateway", "gateway-with-scheme", "zero-sampling", "error-rate-over-100"])
def test_observability_config_errors_name_the_key(config, key, words):
    stack = "prod" if config["profile"] == "prod" else "dev"
    message = expect_config_error(config, stack)
    assert f"{key}:" in message and words in message, message
