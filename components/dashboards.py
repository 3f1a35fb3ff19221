"""Dashboards and alert rules as code, for every layer.

Grafana dashboards are built as JSON models from a few typed panels and shipped as ConfigMaps
that Grafana's dashboard sidecar loads (label `naming.GRAFANA_DASHBOARD_LABEL`, folder from
`naming.GRAFANA_FOLDER_ANNOTATION`). Alert rules are PrometheusRule objects whose every alert
carries a severity and a runbook link. Both live in `naming.OBSERVABILITY_NAMESPACE` on the
platform cluster; create them after `ObservabilityStack.crds_ready` (PrometheusRule is a CRD).

`referenced_metrics` pulls metric names out of PromQL, so a layer's tests can check that its
dashboards and rules only read metrics something in the platform produces.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Iterable, Iterator, Mapping, Sequence

import pulumi
import pulumi_kubernetes as k8s

from components import naming

# Data source UIDs the ObservabilityStack provisions in Grafana; panels refer to them by UID.
PROMETHEUS_DATASOURCE_UID = "prometheus"
TEMPO_DATASOURCE_UID = "tempo"
LOKI_DATASOURCE_UID = "loki"

PROMETHEUS_RULE_API = "monitoring.coreos.com/v1"
SEVERITIES = ("critical", "warning", "info")
PANEL_KINDS = ("timeseries", "stat", "table")
# Grafana's layout grid is 24 units wide.
GRID_WIDTH = 24
# A dashboard's schemaVersion: what Grafana 11-13 write for this panel layout.
SCHEMA_VERSION = 39


@dataclasses.dataclass(frozen=True)
class Query:
    """One PromQL expression of a panel, with its legend."""

    expr: str
    legend: str = ""


@dataclasses.dataclass(frozen=True)
class Panel:
    """A Prometheus panel; `width` is in grid units (24 is the full row)."""

    title: str
    queries: Sequence[Query]
    kind: str = "timeseries"
    unit: str = "short"
    width: int = 12
    height: int = 8
    description: str = ""

    def __post_init__(self) -> None:
        assert self.kind in PANEL_KINDS, self.kind
        assert 0 < self.width <= GRID_WIDTH, self.width
        assert self.queries, f"panel '{self.title}' has no query"


@dataclasses.dataclass(frozen=True)
class Row:
    """A titled row of panels; with `repeat` Grafana repeats it per value of that variable."""

    title: str
    panels: Sequence[Panel]
    repeat: str | None = None


def query_variable(
    name: str, label: str, query: str, *, multi: bool = True, include_all: bool = True
) -> dict:
    """A dashboard variable filled from Prometheus, e.g. `label_values(metric, label)`."""
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": {"type": "prometheus", "uid": PROMETHEUS_DATASOURCE_UID},
        "query": {"query": query, "refId": f"{name}-values"},
        "definition": query,
        "refresh": 2,
        "sort": 1,
        "multi": multi,
        "includeAll": include_all,
        "current": {"selected": True, "text": "All", "value": "$__all"} if include_all else {},
    }


def dashboard(
    uid: str,
    title: str,
    rows: Sequence[Row],
    *,
    description: str = "",
    tags: Iterable[str] = (),
    variables: Sequence[dict] = (),
    refresh: str = "1m",
    time_from: str = "now-6h",
) -> dict:
    """A Grafana dashboard JSON model: rows laid out top to bottom, panels left to right."""
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}", uid), f"dashboard uid '{uid}' is not a slug"
    panels: list[dict] = []
    y = 0
    for row in rows:
        panels.append(_row_panel(row, len(panels) + 1, y))
        y += 1
        x, row_height = 0, 0
        for panel in row.panels:
            if x + panel.width > GRID_WIDTH:
                x, y = 0, y + row_height
                row_height = 0
            panels.append(_panel_json(panel, len(panels) + 1, x, y))
            x += panel.width
            row_height = max(row_height, panel.height)
        y += row_height
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": sorted(tags),
        "editable": False,
        "graphTooltip": 1,
        "refresh": refresh,
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "timezone": "utc",
        "time": {"from": time_from, "to": "now"},
        "templating": {"list": list(variables)},
        "annotations": {"list": []},
        "panels": panels,
    }


def _row_panel(row: Row, panel_id: int, y: int) -> dict:
    panel = {
        "id": panel_id,
        "type": "row",
        "title": row.title,
        "collapsed": False,
        "gridPos": {"x": 0, "y": y, "w": GRID_WIDTH, "h": 1},
        "panels": [],
    }
    if row.repeat:
        panel["repeat"] = row.repeat
    return panel


def _panel_json(panel: Panel, panel_id: int, x: int, y: int) -> dict:
    return {
        "id": panel_id,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": {"type": "prometheus", "uid": PROMETHEUS_DATASOURCE_UID},
        "gridPos": {"x": x, "y": y, "w": panel.width, "h": panel.height},
        "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}},
        "targets": [
            {
                "refId": chr(ord("A") + i),
                "expr": query.expr,
                "legendFormat": query.legend,
                "datasource": {"type": "prometheus", "uid": PROMETHEUS_DATASOURCE_UID},
            }
            for i, query in enumerate(panel.queries)
        ],
    }


def dashboard_expressions(model: Mapping) -> Iterator[str]:
    """Every PromQL expression in a dashboard JSON model: panel targets and query variables."""
    for panel in model.get("panels", []):
        for target in panel.get("targets", []):
            yield target["expr"]
    for variable in model.get("templating", {}).get("list", []):
        if variable.get("type") == "query":
            # label_values(<selector>, <label>): only the selector is PromQL.
            query = variable["query"]["query"]
            yield re.sub(r"^label_values\((.*),\s*\w+\)$", r"\1", query)


def grafana_dashboard_config_map(
    resource_name: str,
    model: Mapping,
    *,
    folder: str,
    owner: str,
    opts: pulumi.ResourceOptions,
    namespace: str = naming.OBSERVABILITY_NAMESPACE,
) -> k8s.core.v1.ConfigMap:
    """A ConfigMap holding one dashboard, loaded by Grafana's sidecar into `folder`.

    `opts` carries the caller's parent and the platform cluster's provider.
    """
    return k8s.core.v1.ConfigMap(
        resource_name,
        metadata={
            "name": f"dashboard-{model['uid']}",
            "namespace": namespace,
            "labels": naming.standard_labels(
                "grafana-dashboard", owner, **{naming.GRAFANA_DASHBOARD_LABEL: "1"}
            ),
            "annotations": {naming.GRAFANA_FOLDER_ANNOTATION: folder},
        },
        data={f"{model['uid']}.json": json.dumps(model, indent=1, sort_keys=True)},
        opts=opts,
    )


@dataclasses.dataclass(frozen=True)
class AlertRule:
    """One alert. `runbook` is the anchor of its section in the runbook document."""

    name: str
    expr: str
    severity: str
    summary: str
    description: str
    runbook: str
    for_: str = "10m"

    def __post_init__(self) -> None:
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", self.name), f"alert '{self.name}' not CamelCase"
        assert self.severity in SEVERITIES, f"alert {self.name}: severity {self.severity}"
        assert re.fullmatch(r"[a-z0-9-]+", self.runbook), f"alert {self.name}: runbook anchor"

    def rule(self, runbook_base: str) -> dict:
        return {
            "alert": self.name,
            "expr": self.expr,
            "for": self.for_,
            "labels": {"severity": self.severity},
            "annotations": {
                "summary": self.summary,
                "description": self.description,
                "runbook_url": f"{runbook_base}#{self.runbook}",
            },
        }


@dataclasses.dataclass(frozen=True)
class RecordingRule:
    """A precomputed series: `record` follows Prometheus' `level:metric:operations` naming."""

    record: str
    expr: str
    labels: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Labels set on every recorded series: what tells apart the same record computed by
    several groups (promtool refuses such rules as duplicates without them)."""

    def __post_init__(self) -> None:
        assert re.fullmatch(r"[a-z_]+:[a-z0-9_]+(:[a-z0-9_]+)?", self.record), self.record

    def rule(self) -> dict:
        rule: dict = {"record": self.record, "expr": self.expr}
        if self.labels:
            rule["labels"] = dict(self.labels)
        return rule


@dataclasses.dataclass(frozen=True)
class RuleGroup:
    """Rules evaluated together every `interval`; recording rules come first, in order, so
    later rules and alerts in the group read what earlier ones recorded."""

    name: str
    alerts: Sequence[AlertRule]
    interval: str = "1m"
    records: Sequence[RecordingRule] = ()

    def spec(self, runbook_base: str) -> dict:
        return {
            "name": self.name,
            "interval": self.interval,
            "rules": [record.rule() for record in self.records]
            + [alert.rule(runbook_base) for alert in self.alerts],
        }


def prometheus_rule(
    resource_name: str,
    name: str,
    groups: Sequence[RuleGroup],
    *,
    runbook_base: str,
    owner: str,
    opts: pulumi.ResourceOptions,
    namespace: str = naming.OBSERVABILITY_NAMESPACE,
) -> k8s.apiextensions.CustomResource:
    """A PrometheusRule with `groups`. Prometheus selects every rule in the cluster (no release
    label needed); `opts` must depend on the Prometheus Operator CRDs."""
    return k8s.apiextensions.CustomResource(
        resource_name,
        api_version=PROMETHEUS_RULE_API,
        kind="PrometheusRule",
        metadata={
            "name": name,
            "namespace": namespace,
            "labels": naming.standard_labels("prometheus-rule", owner),
        },
        spec={"groups": [group.spec(runbook_base) for group in groups]},
        opts=opts,
    )


# PromQL words that are not metric names.
_PROMQL_KEYWORDS = frozenset(
    {
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "bool",
        "and",
        "or",
        "unless",
        "offset",
        "inf",
        "nan",
        "atan2",
    }
)
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENTIFIER = re.compile(r"(?<![\w:.])([A-Za-z_:][\w:]*)(?![\w:])(?!\s*\()")


def referenced_metrics(expr: str) -> set[str]:
    """Metric names a PromQL expression reads (functions, labels, keywords and literals
    removed). Grafana variables (`$service`) and label matchers are ignored."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    text = _GROUPING.sub("", text)
    text = re.sub(r"\$\w+", "", text)
    return {
        name
        for name in _IDENTIFIER.findall(text)
        if name.lower() not in _PROMQL_KEYWORDS and not re.fullmatch(r"\d.*", name)
    }
