"""The real charts, checked as data: every Helm value the program sets is one the pinned chart
reads, and every pin agrees with the chart mirror the tests install from."""

from __future__ import annotations

import pytest
import yaml

from components import charts
from tests.chart_values import chart_at, unread_keys
from tests.harness import CHART_MIRROR, reveal

HELM_CHART = "kubernetes:helm.sh/v4:Chart"


@pytest.fixture(scope="module", autouse=True)
def real_charts():
    if not (CHART_MIRROR / "kratix" / "Chart.yaml").is_file():
        pytest.fail(f"no chart mirror at {CHART_MIRROR}: set IDP_CHART_MIRROR to a folder "
                    "filled by scripts/mirror-charts")


def installed_charts(registry):
    """(resource name, chart, values) for every chart a stack installs, the chart read from the
    mirror (the values do not depend on where the chart comes from)."""
    return [(r.name, chart_at(CHART_MIRROR / r.get("chart").rsplit("/", 1)[-1]),
             _plain(r.get("values") or {})) for r in registry.of_type(HELM_CHART)]


def _plain(value):
    value = reveal(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_value_the_program_sets_is_read_by_the_real_chart(stack, request):
    unread = {f"{name} ({chart.path.name})": keys
              for name, chart, values in installed_charts(request.getfixturevalue(stack))
              if (keys := unread_keys(chart, values))}
    assert unread == {}, "values no template reads (misspelled or moved upstream):\n" + \
        yaml.safe_dump(unread)


def test_the_check_catches_a_misspelled_key_and_accepts_maps_handed_on_whole():
    kratix = chart_at(CHART_MIRROR / "kratix")
    assert unread_keys(kratix, {"imagee": "x"}) == ["imagee"]
    grafana_parent = chart_at(CHART_MIRROR / "kube-prometheus-stack")
    assert unread_keys(grafana_parent, {"grafana": {"adminPasword": "x"}}) == \
        ["grafana.adminPasword"]
    assert unread_keys(grafana_parent, {
        "prometheus": {"prometheusSpec": {"retentionn": "1d", "retention": "1d"}}}) == \
        ["prometheus.prometheusSpec.retentionn"]
    assert unread_keys(grafana_parent, {
        "prometheus": {"prometheusSpec": {"resources": {"requests": {"cpu": "1"}}}},
        "grafana": {"defaultDashboardsEnabled": False},  # read by the parent chart
        "global": {"anything": 1}}) == []
    loki = chart_at(CHART_MIRROR / "loki")  # config templates kept in values.yaml, via tpl
    assert unread_keys(loki, {"loki": {"limits_config": {"retention_period": "1d"},
                                       "storagee": {}}}) == ["loki.storagee"]


def test_a_key_counts_as_read_only_at_the_whole_path_a_template_reads():
    # `.enabled` is read all over sealed-secrets, but its budget switch is `pdb.create`.
    sealed = chart_at(CHART_MIRROR / "sealed-secrets")
    assert unread_keys(sealed, {"pdb": {"enabled": True}}) == ["pdb.enabled"]
    assert unread_keys(sealed, {"pdb": {"create": True}}) == []
    # loki reads its bucket names with `dig "storage" "bucketNames" "chunks" "" .Values.loki`.
    loki = chart_at(CHART_MIRROR / "loki")
    assert unread_keys(loki, {"loki": {"storage": {"bucketNames": {"chunks": "c"}}}}) == []
    assert unread_keys(loki, {"loki": {"storage": {"bucketNamez": {"chunks": "c"}}}}) == [
        "loki.storage.bucketNamez"]


@pytest.mark.parametrize("key", sorted(charts.CHARTS))
def test_each_pin_matches_the_chart_mirror(key):
    source = charts.CHARTS[key]
    chart = yaml.safe_load((CHART_MIRROR / source.chart / "Chart.yaml").read_text())
    assert str(chart["version"]) == source.version, \
        f"components/charts.py pins {key} {source.version}; the mirror holds {chart['version']}"


@pytest.mark.parametrize("key", sorted(charts.OPERATOR_CHARTS))
def test_each_operator_pin_matches_the_chart_mirror(key):
    source = charts.OPERATOR_CHARTS[key]
    chart = yaml.safe_load((CHART_MIRROR / source.chart / "Chart.yaml").read_text())
    assert str(chart["version"]) == source.version
