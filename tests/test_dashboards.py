"""The dashboards-as-code and alert-rule builders other layers use."""

from __future__ import annotations

import json

import pytest

from components import dashboards, naming
from tests.harness import run_program


def _sample_dashboard() -> dict:
    rows = [dashboards.Row("Traffic", [
        dashboards.Panel("Rate", [dashboards.Query("sum(rate(a_total[5m]))", "rate")],
                         width=16),
        dashboards.Panel("Errors", [dashboards.Query("sum(rate(b_total[5m]))")], width=16),
    ], repeat="service")]
    variables = [dashboards.query_variable("service", "Service", "label_values(a_total, svc)")]
    return dashboards.dashboard("sample", "Sample", rows, tags=["b", "a"], variables=variables)


def test_dashboard_lays_panels_out_on_the_grid_and_wraps_full_rows():
    model = _sample_dashboard()
    row, rate, errors = model["panels"]
    assert row["type"] == "row" and row["repeat"] == "service"
    assert rate["gridPos"] == {"x": 0, "y": 1, "w": 16, "h": 8}
    # 16 + 16 > 24: the second panel wraps below the first.
    assert errors["gridPos"] == {"x": 0, "y": 9, "w": 16, "h": 8}
    assert [p["id"] for p in model["panels"]] == [1, 2, 3]
    assert rate["targets"][0]["datasource"]["uid"] == dashboards.PROMETHEUS_DATASOURCE_UID
    assert model["tags"] == ["a", "b"]


def test_dashboard_expressions_include_variables_without_their_label_argument():
    expressions = list(dashboards.dashboard_expressions(_sample_dashboard()))
    assert expressions == ["sum(rate(a_total[5m]))", "sum(rate(b_total[5m]))", "a_total"]


@pytest.mark.parametrize("expr, metrics", [
    ('sum by (service_name) (rate(calls_total{status_code="STATUS_CODE_ERROR"}[5m]))',
     {"calls_total"}),
    ("histogram_quantile(0.99, sum by (le) (rate(duration_bucket[5m]))) offset 5m",
     {"duration_bucket"}),
    ("(expiry_seconds - time()) < 14 * 86400 and on(namespace) kube_pod_info",
     {"expiry_seconds", "kube_pod_info"}),
    ('max by (name) (argocd_app_info{sync_status!="Synced", name=~"$app"}) > 0',
     {"argocd_app_info"}),
])
def test_referenced_metrics_finds_metric_names_only(expr, metrics):
    assert dashboards.referenced_metrics(expr) == metrics


def test_alert_rule_refuses_missing_severity_or_runbook():
    with pytest.raises(AssertionError):
        dashboards.AlertRule("X", "up == 0", "page", "s", "d", "x")
    with pytest.raises(AssertionError):
        dashboards.AlertRule("X", "up == 0", "warning", "s", "d", "Not An Anchor")


def test_config_map_and_rule_helpers_register_what_grafana_and_prometheus_select():
    import pulumi

    def program():
        opts = pulumi.ResourceOptions()
        dashboards.grafana_dashboard_config_map("sample-cm", _sample_dashboard(),
                                                folder="Samples", owner="test", opts=opts)
        alert = dashboards.AlertRule("SampleDown", "up == 0", "warning", "down", "d",
                                     "sample-down")
        dashboards.prometheus_rule("sample-rule", "sample", [dashboards.RuleGroup("g", [alert])],
                                   runbook_base="docs/runbooks.md", owner="test", opts=opts)

    registry = run_program({}, program=program)
    config_map = registry.named("sample-cm")
    assert config_map.get("metadata", "namespace") == naming.OBSERVABILITY_NAMESPACE
    assert config_map.get("metadata", "labels")[naming.GRAFANA_DASHBOARD_LABEL] == "1"
    assert config_map.get("metadata", "annotations") == {naming.GRAFANA_FOLDER_ANNOTATION:
                                                         "Samples"}
    assert json.loads(config_map.get("data")["sample.json"])["uid"] == "sample"
    rule = registry.named("sample-rule").get("spec", "groups")[0]["rules"][0]
    assert rule["labels"] == {"severity": "warning"}
    assert rule["annotations"]["runbook_url"] == "docs/runbooks.md#sample-down"
