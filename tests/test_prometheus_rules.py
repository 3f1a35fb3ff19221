"""Every PrometheusRule the program renders, parsed by Prometheus' own promtool (`check rules`)
and run on synthetic series (`test rules`): each alert fires on the series that should page and
stays silent on healthy ones; each DORA recording rule yields the expected figure for a known
history of ArgoCD syncs and pushed deployment events.

The behaviour tests run the rule groups as the program builds them (the alert thresholds of
the shipped prod stack), without their annotations: the templates in those are parsed by
`check rules` on the rendered objects, and their rendered text is not what is under test."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Sequence

import pytest
import yaml

from components import naming
from components.finops import dora_content, dora_names, dora_notifications
from components.observability.alerts import alert_groups
from components.observability.settings import SETTINGS as OBSERVABILITY
from tests.harness import parse_stack_file
from tests.validator_binaries import run

ENV = "prod"


def _rule_objects(registry) -> list[tuple[str, dict]]:
    return [(r.get("metadata", "name"), r.get("spec"))
            for r in registry.kind("PrometheusRule")]


def _write(path: Path, value) -> Path:
    path.write_text(yaml.safe_dump(value, sort_keys=False))
    return path


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_promtool_accepts_every_rendered_prometheus_rule(stack, request, tmp_path):
    registry = request.getfixturevalue(stack)
    objects = _rule_objects(registry)
    # The alerts and the DORA recording rules.
    assert {name for name, _ in objects} == {"idp-platform-alerts", "idp-dora"}
    files = [str(_write(tmp_path / f"{name}.yaml", spec)) for name, spec in objects]
    result = run("promtool", "check", "rules", *files)
    assert result.returncode == 0, result.stdout + result.stderr
    for name, spec in objects:
        count = sum(len(group["rules"]) for group in spec["groups"])
        assert f"SUCCESS: {count} rules found" in result.stdout, (name, result.stdout)


def _without_annotations(groups: Sequence[dict]) -> list[dict]:
    groups = copy.deepcopy(list(groups))
    for group in groups:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    return groups


def _promtool_test(tmp_path: Path, groups: Sequence[dict], tests: Sequence[dict]) -> None:
    _write(tmp_path / "rules.yaml", {"groups": list(groups)})
    _write(tmp_path / "tests.yaml", {"rule_files": ["rules.yaml"], "evaluation_interval": "1m",
                                     "tests": list(tests)})
    result = run("promtool", "test", "rules", "tests.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout, result.stdout


# -- alerts -------------------------------------------------------------------------------------

SERVER = 'span_kind="SPAN_KIND_SERVER"'
CLIENT = 'span_kind="SPAN_KIND_CLIENT"'
ERROR = 'status_code="STATUS_CODE_ERROR"'
UNSET = 'status_code="STATUS_CODE_UNSET"'


def _series(name: str, labels: str, values: str) -> dict:
    return {"series": f"{name}{{{labels}}}", "values": values}


def _calls(service: str, kind: str, status: str, per_minute: int) -> dict:
    return _series("traces_span_metrics_calls_total",
                   f'service_name="{service}", {kind}, {status}', f"0+{per_minute}x60")


def _buckets(service: str, counts: dict[str, int]) -> list[dict]:
    """Cumulative histogram buckets growing by `counts[le]` a minute."""
    return [_series("traces_span_metrics_duration_milliseconds_bucket",
                    f'service_name="{service}", {SERVER}, le="{le}"', f"0+{n}x60")
            for le, n in counts.items()]


def _alert_test(alertname: str, eval_time: str, firing: Sequence[dict], series: list[dict],
                quiet_at: str | None = None) -> dict:
    """`firing` are the expected alerts' labels at `eval_time` (severity added); at `quiet_at`
    (before `for` has passed) nothing fires yet."""
    severity = {rule.name: rule.severity for group in alert_groups(_settings())
                for rule in group.alerts}[alertname]
    checks = [{"eval_time": eval_time, "alertname": alertname,
               "exp_alerts": [{"exp_labels": {**labels, "severity": severity}}
                              for labels in firing]}]
    if quiet_at:
        checks.insert(0, {"eval_time": quiet_at, "alertname": alertname, "exp_alerts": []})
    return {"name": alertname, "interval": "1m", "input_series": series,
            "alert_rule_test": checks}


def _settings():
    return OBSERVABILITY.of(parse_stack_file("prod"))


def alert_tests() -> list[dict]:
    settings = _settings()
    # The shipped prod thresholds, which the series below straddle.
    assert (settings.error_rate_percent, settings.latency_threshold_ms) == (5, 500)
    return [
        _alert_test("HighErrorRate", "20m", [{"service_name": "checkout"}], [
            # checkout: 10% of inbound calls fail.
            _calls("checkout", SERVER, ERROR, 60), _calls("checkout", SERVER, UNSET, 540),
            # search: 1%, below the threshold.
            _calls("search", SERVER, ERROR, 6), _calls("search", SERVER, UNSET, 594),
            # cart: its failing calls are outbound (client spans), not its own errors.
            _calls("cart", CLIENT, ERROR, 600), _calls("cart", SERVER, UNSET, 600),
            # idle: all calls fail, but only a few a minute (under 0.1 per second).
            _calls("idle", SERVER, ERROR, 3),
        ], quiet_at="8m"),
        _alert_test("HighLatencyP99", "20m", [{"service_name": "checkout"}], [
            # checkout: every call between 1 and 2.5 s; search: every call under 100 ms.
            *_buckets("checkout", {"100": 0, "500": 0, "1000": 0, "2500": 60, "+Inf": 60}),
            *_buckets("search", {"100": 60, "500": 60, "1000": 60, "2500": 60, "+Inf": 60}),
        ], quiet_at="8m"),
        _alert_test("PodCrashLooping", "40m", [
            {"namespace": "payments-prod", "pod": "api-1", "container": "api"},
            {"k8s_cluster_name": "prod-eu-west-1", "k8s_namespace_name": "search-prod",
             "k8s_pod_name": "indexer-0", "k8s_container_name": "indexer"},
        ], [
            _series("kube_pod_container_status_waiting_reason",
                    'namespace="payments-prod", pod="api-1", container="api", '
                    'reason="CrashLoopBackOff"', "1x60"),
            # Waiting for its image: not a crash loop.
            _series("kube_pod_container_status_waiting_reason",
                    'namespace="payments-prod", pod="api-2", container="api", '
                    'reason="ContainerCreating"', "1x60"),
            # Worker containers (k8s_cluster receiver): one restarts every minute, one once.
            _series("k8s_container_restarts",
                    'k8s_cluster_name="prod-eu-west-1", k8s_namespace_name="search-prod", '
                    'k8s_pod_name="indexer-0", k8s_container_name="indexer"', "0+1x60"),
            _series("k8s_container_restarts",
                    'k8s_cluster_name="prod-eu-west-1", k8s_namespace_name="search-prod", '
                    'k8s_pod_name="indexer-1", k8s_container_name="indexer"', "0x20 1x40"),
        ], quiet_at="10m"),
        _alert_test("ArgoCDAppDegraded", "30m", [{"name": "payments-prod-api",
                                                  "project": "payments"}], [
            _series("argocd_app_info", 'namespace="argocd", name="payments-prod-api", '
                    'project="payments", health_status="Degraded", sync_status="Synced"',
                    "1x60"),
            _series("argocd_app_info", 'namespace="argocd", name="search-prod-api", '
                    'project="search", health_status="Healthy", sync_status="Synced"', "1x60"),
        ], quiet_at="10m"),
        _alert_test("ArgoCDAppOutOfSync", "80m", [{"name": "search-prod-api",
                                                   "project": "search"}], [
            _series("argocd_app_info", 'namespace="argocd", name="search-prod-api", '
                    'project="search", health_status="Healthy", sync_status="OutOfSync"',
                    "1x90"),
            _series("argocd_app_info", 'namespace="argocd", name="payments-prod-api", '
                    'project="payments", health_status="Healthy", sync_status="Synced"',
                    "1x90"),
        ], quiet_at="50m"),
        _alert_test("KratixPipelineFailed", "15m", [{"namespace": "platform-requests",
                                                     "job_name": "kratix-postgresql-a1b2"}], [
            _series("kube_job_status_failed", 'namespace="platform-requests", '
                    'job_name="kratix-postgresql-a1b2", reason="BackoffLimitExceeded"', "1x20"),
            _series("kube_job_status_failed", 'namespace="platform-requests", '
                    'job_name="kratix-redis-c3d4"', "0x20"),
            # Not a Kratix pipeline.
            _series("kube_job_status_failed", 'namespace="payments-prod", '
                    'job_name="nightly-backup", reason="BackoffLimitExceeded"', "1x20"),
        ], quiet_at="3m"),
        _alert_test("CertificateExpiringSoon", "90m", [{"namespace": "argocd",
                                                        "name": "argocd-server-tls"}], [
            # Expires a week after the test starts; the other in 90 days.
            _series("certmanager_certificate_expiration_timestamp_seconds",
                    'namespace="argocd", name="argocd-server-tls"', f"{7 * 86400}x100"),
            _series("certmanager_certificate_expiration_timestamp_seconds",
                    'namespace="monitoring", name="grafana-tls"', f"{90 * 86400}x100"),
        ], quiet_at="30m"),
        _alert_test("OTelCollectorExportFailing", "30m", [{"job": "otel-agent"},
                                                          {"job": "otel-cluster"}], [
            _series("otelcol_exporter_send_failed_spans_total",
                    'job="otel-agent", exporter="otlp/gateway"', "0+10x60"),
            _series("otelcol_exporter_send_failed_metric_points_total",
                    'job="otel-cluster", exporter="otlp/agent"', "0+5x60"),
            # The gateway's counters exist but do not move.
            _series("otelcol_exporter_send_failed_spans_total",
                    'job="otel-gateway", exporter="otlp/tempo"', "0x60"),
            _series("otelcol_exporter_send_failed_log_records_total",
                    'job="otel-gateway", exporter="otlphttp/loki"', "0x60"),
        ], quiet_at="10m"),
    ]


def test_every_alert_has_a_firing_and_a_silent_case():
    tested = {test["name"] for test in alert_tests()}
    assert tested == {rule.name for group in alert_groups(_settings()) for rule in group.alerts}


def test_each_alert_fires_on_its_trigger_and_stays_silent_on_healthy_series(tmp_path):
    groups = [group.spec("docs/runbooks.md") for group in alert_groups(_settings())]
    _promtool_test(tmp_path, _without_annotations(groups), alert_tests())


# -- DORA recording rules -----------------------------------------------------------------------

APP = 'namespace="argocd", name="{app}", project="{team}"'


def _argocd_label(key: str) -> str:
    """How ArgoCD names an Application label on argocd_app_labels."""
    return "label_" + re.sub(r"[^A-Za-z0-9_]", "_", key)


def _app(app: str, team: str, environment: str) -> dict:
    """argocd_app_labels of one Application (the controller's applicationLabels)."""
    return _series("argocd_app_labels", APP.format(app=app, team=team)
                   + f', {_argocd_label(naming.ENVIRONMENT_LABEL)}="{environment}", '
                     f'{_argocd_label(naming.TEAM_LABEL)}="{team}"', "1x1500")


def _syncs(app: str, team: str, phase: str, values: str) -> dict:
    return _series("argocd_app_sync_total",
                   APP.format(app=app, team=team) + f', phase="{phase}"', values)


def _health(app: str, team: str, status: str, values: str) -> dict:
    return _series("argocd_app_info", APP.format(app=app, team=team)
                   + f', health_status="{status}", sync_status="Synced"', values)


def _pushed(metric: str, app: str, team: str, environment: str, value: int) -> dict:
    """A sample the ArgoCD notifications pushed (Pushgateway group labels, honoured)."""
    return _series(metric, f'job="{dora_names.PUSH_JOB}", instance="", team="{team}", '
                           f'environment="{environment}", application="{app}"', f"{value}x1500")


# Four deployments of payments' API in the day before the evaluation, one of its five syncs
# failed; search deployed twice and never failed. The API was Degraded for 30 minutes once.
# Lead times: payments 10 and 30 minutes (median 20), search 1 hour. First deploys: payments'
# web 50 minutes after it was requested. dev's Application must not count in prod.
DORA_HISTORY = [
    _app("payments-prod-api", "payments", ENV), _app("payments-prod-web", "payments", ENV),
    _app("search-prod-api", "search", ENV), _app("search-dev-api", "search", "dev"),
    _syncs("payments-prod-api", "payments", "Succeeded", "0x360 1x240 2x240 3x240 4x440"),
    _syncs("payments-prod-api", "payments", "Failed", "0x400 1x1120"),
    _syncs("search-prod-api", "search", "Succeeded", "0x700 1x300 2x520"),
    _syncs("search-dev-api", "search", "Succeeded", "0+1x1520"),
    _syncs("search-dev-api", "search", "Failed", "0+1x1520"),
    _health("payments-prod-api", "payments", "Healthy", "1x599 stale _x29 1x900"),
    _health("payments-prod-api", "payments", "Degraded", "_x599 1x29 stale _x900"),
    _health("payments-prod-web", "payments", "Healthy", "1x1530"),
    _health("search-prod-api", "search", "Healthy", "1x1530"),
    _health("search-dev-api", "search", "Degraded", "1x1530"),
    _pushed(dora_names.DEPLOY_FINISHED, "payments-prod-api", "payments", ENV, 1_000_600),
    _pushed(dora_names.DEPLOY_COMMIT, "payments-prod-api", "payments", ENV, 1_000_000),
    _pushed(dora_names.DEPLOY_FINISHED, "payments-prod-web", "payments", ENV, 2_001_800),
    _pushed(dora_names.DEPLOY_COMMIT, "payments-prod-web", "payments", ENV, 2_000_000),
    _pushed(dora_names.DEPLOY_FINISHED, "search-prod-api", "search", ENV, 3_003_600),
    _pushed(dora_names.DEPLOY_COMMIT, "search-prod-api", "search", ENV, 3_000_000),
    _pushed(dora_names.DEPLOY_FINISHED, "search-dev-api", "search", "dev", 4_000_060),
    _pushed(dora_names.DEPLOY_COMMIT, "search-dev-api", "search", "dev", 4_000_000),
    _pushed(dora_names.FIRST_DEPLOY, "payments-prod-web", "payments", ENV, 5_003_000),
    _pushed(dora_names.REQUESTED, "payments-prod-web", "payments", ENV, 5_000_000),
]

TEAMS = {"payments": f'environment="{ENV}", team="payments"',
         "search": f'environment="{ENV}", team="search"'}


def _expect(record: str, values: dict[str, float], eval_time: str = "1500m") -> dict:
    return {"expr": f'{record}{{environment="{ENV}"}}', "eval_time": eval_time,
            "exp_samples": [{"labels": f"{record}{{{labels}}}", "value": value}
                            for labels, value in values.items()]}


def dora_expectations() -> dict[str, dict]:
    """What each recorded series must be at the end of DORA_HISTORY, by record."""
    payments, search = TEAMS["payments"], TEAMS["search"]
    return {
        # Deployment frequency: successful syncs in the last day.
        dora_names.DEPLOYMENTS_1D: _expect(dora_names.DEPLOYMENTS_1D, {payments: 4, search: 2}),
        dora_names.SYNCS_7D: _expect(dora_names.SYNCS_7D, {payments: 5, search: 2}),
        dora_names.FAILED_SYNCS_7D: _expect(dora_names.FAILED_SYNCS_7D, {payments: 1, search: 0}),
        # Change failure rate: a team that never failed has a rate of 0, not no figure.
        dora_names.CHANGE_FAILURE_RATE: _expect(dora_names.CHANGE_FAILURE_RATE,
                                          {payments: 0.2, search: 0}),
        # Time to restore: the one 30-minute episode (search had none, so no figure).
        dora_names.TIME_TO_RESTORE: _expect(dora_names.TIME_TO_RESTORE, {payments: 1800}),
        dora_names.LEAD_TIME_MEDIAN: _expect(dora_names.LEAD_TIME_MEDIAN, {payments: 1200, search: 3600}),
        dora_names.TIME_TO_FIRST_DEPLOY_MEDIAN: _expect(dora_names.TIME_TO_FIRST_DEPLOY_MEDIAN,
                                                  {payments: 3000}),
        dora_names.APP_DEGRADED: _expect(dora_names.APP_DEGRADED, {
            f'{payments}, namespace="argocd", name="payments-prod-api"': 1,
            f'{payments}, namespace="argocd", name="payments-prod-web"': 0,
            f'{search}, namespace="argocd", name="search-prod-api"': 0}, eval_time="615m"),
        dora_names.LEAD_TIME: _expect(dora_names.LEAD_TIME, {
            f'{payments}, application="payments-prod-api"': 600,
            f'{payments}, application="payments-prod-web"': 1800,
            f'{search}, application="search-prod-api"': 3600}),
        dora_names.TIME_TO_FIRST_DEPLOY: _expect(dora_names.TIME_TO_FIRST_DEPLOY, {
            f'{payments}, application="payments-prod-web"': 3000}),
        dora_names.APP_INFO: _expect(dora_names.APP_INFO, {
            f'{payments}, namespace="argocd", name="payments-prod-api"': 1,
            f'{payments}, namespace="argocd", name="payments-prod-web"': 1,
            f'{search}, namespace="argocd", name="search-prod-api"': 1}),
    }


def test_every_dora_record_has_an_expected_value():
    assert set(dora_expectations()) == {r.record for r in dora_content.recording_rules(ENV).records}


def test_dora_rules_yield_the_known_figures_of_a_known_history(tmp_path):
    group = dora_content.recording_rules(ENV).spec("")
    _promtool_test(tmp_path, [group], [{
        "name": "dora", "interval": "1m", "input_series": DORA_HISTORY,
        "promql_expr_test": list(dora_expectations().values())}])


# -- every metric read is produced by a declared, deployed source ----------------------------------


def _collector_configs(registry) -> dict[str, dict]:
    """Each OpenTelemetry collector release's config, by release name."""
    return {r.name: r.get("values")["alternateConfig"] for r in registry.kind("Chart")
            if r.get("chart") == "opentelemetry-collector"}


def _metrics_pipelines(config: dict) -> list[dict]:
    return [p for name, p in config["service"]["pipelines"].items()
            if name.split("/")[0] == "metrics"]


def _trace_spanmetrics(registry) -> set[str]:
    """The names Prometheus stores for the gateway's spanmetrics connector: its namespace,
    `.` as `_`, counters with `_total`, the histogram with its unit (remote write)."""
    [gateway] = [c for name, c in _collector_configs(registry).items()
                 if name.endswith("-gateway")]
    connector = gateway["connectors"]["spanmetrics"]
    assert any("spanmetrics" in p["receivers"] for p in _metrics_pipelines(gateway))
    prefix = connector["namespace"].replace(".", "_")
    unit = {"ms": "milliseconds", "s": "seconds"}[connector["histogram"]["unit"]]
    return {f"{prefix}_calls_total"} | {f"{prefix}_duration_{unit}_{suffix}"
                                        for suffix in ("bucket", "count", "sum")}


def _trace_kube_state_metrics(registry) -> bool:
    [kps] = [r for r in registry.kind("Chart") if r.get("chart") == "kube-prometheus-stack"]
    return kps.get("values").get("kube-state-metrics", {}).get("enabled", True) is not False


def _trace_k8s_cluster(registry) -> bool:
    configs = [c for name, c in _collector_configs(registry).items()
               if name.endswith("-cluster-collector")]
    return bool(configs) and all(
        any("k8s_cluster" in p["receivers"] for p in _metrics_pipelines(c)) for c in configs)


def _trace_pod_monitor(name: str):
    return lambda registry: name in {r.get("metadata", "name")
                                     for r in registry.kind("PodMonitor")}


def _trace_self_telemetry(registry) -> bool:
    """Every collector scrapes its own telemetry port into its metrics pipeline."""
    from components.observability.names import COLLECTOR_METRICS_PORT

    for config in _collector_configs(registry).values():
        scrape = config["receivers"]["prometheus/self"]["config"]["scrape_configs"][0]
        assert scrape["static_configs"][0]["targets"][0].endswith(f":{COLLECTOR_METRICS_PORT}")
        if not any("prometheus/self" in p["receivers"] for p in _metrics_pipelines(config)):
            return False
    return True


# How to find each declared source (components/observability/metrics.py, PRODUCED_METRICS) in what the stack
# deploys: a new source needs an entry here.
TRACES = {
    "otel-gateway spanmetrics connector": _trace_spanmetrics,
    "kube-state-metrics (kube-prometheus-stack)": _trace_kube_state_metrics,
    "otel-cluster k8s_cluster receiver (workers)": _trace_k8s_cluster,
    "argocd-application-controller (PodMonitor)": _trace_pod_monitor(
        "argocd-application-controller"),
    "cert-manager (PodMonitor)": _trace_pod_monitor("cert-manager"),
    "collector self-telemetry (prometheus/self receivers)": _trace_self_telemetry,
}


def test_every_declared_metric_source_is_one_the_prod_stack_deploys(prod):
    from components.observability.metrics import PRODUCED_METRICS

    assert set(TRACES) == set(PRODUCED_METRICS)
    for source, metrics in PRODUCED_METRICS.items():
        found = TRACES[source](prod)
        if isinstance(found, set):
            assert found == set(metrics), (source, found ^ set(metrics))
        else:
            assert found, f"{source}: not deployed by the prod stack"


def test_dora_sources_are_the_argocd_controller_scrape_and_the_notifications(prod):
    assert _trace_pod_monitor("argocd-application-controller")(prod)
    [argocd] = [r for r in prod.kind("Chart") if r.get("chart") == "argo-cd"]
    values = argocd.get("values")
    assert values["controller"]["metrics"]["enabled"] is True
    templates = values["notifications"]["templates"]
    pushed = {line.split()[0] for text in templates.values()
              for body in [yaml.safe_load(text)["webhook"][dora_names.DORA_SERVICE]["body"]]
              for line in body.splitlines() if line and not line.startswith("{{")}
    assert pushed == dora_notifications.pushed_metrics() == {dora_names.DEPLOY_FINISHED, dora_names.DEPLOY_COMMIT,
                                               dora_names.FIRST_DEPLOY, dora_names.REQUESTED}


def test_grafana_links_read_only_produced_metrics(dev):
    from components import dashboards
    from components.observability.backends import grafana_datasources
    from components.observability.metrics import PRODUCED_METRICS

    produced = frozenset().union(*PRODUCED_METRICS.values())
    queries = [q["query"] for source in grafana_datasources()
               for q in source["jsonData"].get("tracesToMetrics", {}).get("queries", [])]
    assert queries
    for query in queries:
        read = dashboards.referenced_metrics(query.replace("$__tags", ""))
        assert read and read <= produced, (query, read - produced)


# -- dashboard queries parsed by Prometheus ----------------------------------------------------------

# What Grafana substitutes before a query reaches Prometheus: its interval and the dashboards'
# variables (multi-value variables become regular expressions).
GRAFANA_SUBSTITUTIONS = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h",
                         "$__tags": 'service_name="checkout"'}


def _as_prometheus_sees_it(expr: str) -> str:
    for variable, value in GRAFANA_SUBSTITUTIONS.items():
        expr = expr.replace(variable, value)
    return re.sub(r"\$(\w+)", r"any_\1", expr)


def _dashboards(registry) -> dict[str, dict]:
    import json

    return {model["uid"]: model for r in registry.kind("ConfigMap")
            if (r.get("metadata", "labels") or {}).get(naming.GRAFANA_DASHBOARD_LABEL) == "1"
            for model in map(json.loads, r.get("data").values())}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_promtool_parses_every_dashboard_and_data_source_query(stack, request, tmp_path):
    from components import dashboards
    from components.observability.backends import grafana_datasources

    registry = request.getfixturevalue(stack)
    models = _dashboards(registry)
    assert {"idp-red", "idp-platform", dora_names.DASHBOARD_UID} <= set(models)
    queries = [(uid, expr) for uid, model in models.items()
               for expr in dashboards.dashboard_expressions(model)]
    queries += [("grafana data sources", q["query"]) for source in grafana_datasources()
                for q in source["jsonData"].get("tracesToMetrics", {}).get("queries", [])]
    # Each query as a recording rule: `check rules` parses its PromQL as Prometheus does.
    rules = [{"record": f"dashboard:query_{i}:check", "expr": _as_prometheus_sees_it(expr)}
             for i, (_, expr) in enumerate(queries)]
    path = _write(tmp_path / "queries.yaml", {"groups": [{"name": "queries", "rules": rules}]})
    result = run("promtool", "check", "rules", str(path))
    assert result.returncode == 0 and f"SUCCESS: {len(rules)} rules found" in result.stdout, (
        result.stdout + result.stderr)
