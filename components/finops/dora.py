"""DeliveryMetrics: DORA metrics and time-to-first-deploy, per team and environment.

Two sources, both produced by what the platform already runs:
- ArgoCD's application controller metrics (`argocd_app_sync_total`, `argocd_app_info`, and
  `argocd_app_labels` carrying each Application's environment and team labels) give deployment
  frequency, change failure rate and time to restore through recording rules.
- ArgoCD notifications post one event per deployed revision (and one per Application's first
  healthy sync) to a Pushgateway as timestamps: sync finish, commit time (from the repository),
  request time. Recording rules turn them into lead time for changes and time-to-first-deploy.

Each environment gets its own notification subscription and recording-rule group; the
"Delivery (DORA)" dashboard reads only the recorded series, and draws the stack's recorded
baseline (`idp:finops.baseline`) next to them.

Private to the FinOps layer (its layer.py hands ArgoCD the notifications' values through
`argocd_addition`): the names in dora_names.py, the rules and dashboard in dora_content.py, the
ArgoCD notifications in dora_notifications.py.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar, Mapping, Sequence

import pulumi
import pulumi_kubernetes as k8s

from components import dashboards, naming
from components.charts import ResolvedChart, install_chart
from components.finops.dora_content import DORA_METRICS, dora_dashboard, recording_rules
from components.finops.dora_names import DASHBOARD_FOLDER, DASHBOARD_UID, PUSHGATEWAY_NAME
from components.finops.settings import Baseline
from components.finops.sizes import DELIVERY_SIZES
from components.naming import ARGOCD_NAMESPACE
from components.profiles import SizeProfile

# -- the component --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DeliveryMetricsArgs:
    provider: k8s.Provider
    """Provider of the platform cluster (ArgoCD, Prometheus and Grafana run there)."""
    pushgateway_chart: ResolvedChart
    """Where the prometheus-pushgateway chart comes from."""
    profile: SizeProfile
    """Footprint and persistence of the Pushgateway."""
    environments: Sequence[str]
    """Environments ArgoCD deploys team services to: one rule group each."""
    baseline: Baseline
    """The stack's recorded first figures, drawn on the dashboard."""
    monitoring_crds: Sequence[pulumi.Resource] = ()
    """The observability layer's namespace and Prometheus Operator CRDs (its `crds_ready`);
    without them the Pushgateway gets no ServiceMonitor."""


class DeliveryMetrics(pulumi.ComponentResource):
    """Pushgateway for deployment events, DORA recording rules and the Delivery dashboard."""

    TYPE: ClassVar[str] = "idp:platform:DeliveryMetrics"

    environments: list[str]
    rule_groups: list[str]
    dashboard_uid: str

    def __init__(
        self, name: str, args: DeliveryMetricsArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__(self.TYPE, name, {}, opts)
        child = pulumi.ResourceOptions(
            parent=self, provider=args.provider, depends_on=list(args.monitoring_crds)
        )
        self.environments = list(args.environments)
        install_chart(
            naming.child_name(name, "pushgateway"),
            args.pushgateway_chart,
            pushgateway_values(args.profile, service_monitor=bool(args.monitoring_crds)),
            namespace=naming.OBSERVABILITY_NAMESPACE,
            component="pushgateway",
            owner=name,
            opts=child,
        )
        groups = [recording_rules(environment) for environment in self.environments]
        self.rule_groups = [group.name for group in groups]
        dashboards.prometheus_rule(
            naming.child_name(name, "rules"),
            "idp-dora",
            groups,
            runbook_base="",
            owner=name,
            opts=child,
        )
        model = dora_dashboard(args.baseline)
        self.dashboard_uid = model["uid"]
        dashboards.grafana_dashboard_config_map(
            naming.child_name(name, "dashboard"),
            model,
            folder=DASHBOARD_FOLDER,
            owner=name,
            opts=child,
        )
        self.register_outputs(
            {
                "environments": self.environments,
                "ruleGroups": self.rule_groups,
                "dashboard": self.dashboard_uid,
            }
        )


def pushgateway_values(profile: SizeProfile, service_monitor: bool) -> dict:
    """One Pushgateway scraped with its pushed labels kept; prod persists what it holds (first
    deploys are pushed once). Only ArgoCD (pushes) and monitoring (scrapes) may reach it."""
    storage = DELIVERY_SIZES[profile.name].pushgateway_storage
    values: dict = {
        "fullnameOverride": PUSHGATEWAY_NAME,
        "replicaCount": DELIVERY_SIZES[profile.name].pushgateway.replicas,
        "resources": DELIVERY_SIZES[profile.name].pushgateway.resources(),
        "automountServiceAccountToken": False,
        # Merged into the chart's pod defaults (user 65534, non-root).
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        "containerSecurityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "serviceMonitor": {
            "enabled": service_monitor,
            "namespace": naming.OBSERVABILITY_NAMESPACE,
            "honorLabels": True,
        },
        "networkPolicy": {
            "customSelectors": [
                {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}}
                for namespace in (ARGOCD_NAMESPACE, naming.OBSERVABILITY_NAMESPACE)
            ]
        },
        "persistentVolume": {"enabled": storage is not None},
    }
    if storage:
        values["persistentVolume"]["size"] = storage
        values["extraArgs"] = [
            "--persistence.file=/data/pushgateway.data",
            "--persistence.interval=1m",
        ]
    return values


def dora_summary(environments: Sequence[str]) -> Mapping[str, object]:
    """Stack output: each DORA metric's source and query, and the rule groups per environment."""
    return {
        "metrics": {m.title: {"source": m.source, "query": m.query} for m in DORA_METRICS},
        "ruleGroups": [f"idp-dora-{e}" for e in environments],
        "dashboard": DASHBOARD_UID,
    }
