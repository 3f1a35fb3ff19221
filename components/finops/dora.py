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

Private to the FinOps layer: only components/finops.py imports it (and hands ArgoCD its
values through `finops.argocd_addition`).
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar, Mapping, Sequence

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components import dashboards, naming
from components.charts import ResolvedChart, install_chart
from components.dashboards import Panel, Query, RecordingRule, Row, RuleGroup
from components.finops.settings import Baseline
from components.naming import ARGOCD_NAMESPACE
from components.profiles import Footprint, SizeProfile, per_profile

DORA_SERVICE = "idp-dora"
PUSHGATEWAY_NAME = "idp-dora-pushgateway"
PUSHGATEWAY_PORT = 9091
PUSH_JOB = "idp-dora"
DASHBOARD_FOLDER = "Delivery"
DASHBOARD_UID = "idp-delivery-dora"
# ArgoCD exposes these Application labels as `label_<name>` on argocd_app_labels.
ARGOCD_APP_LABELS = (naming.ENVIRONMENT_LABEL, naming.TEAM_LABEL)

# What ArgoCD's application controller exports (operator-manual/metrics).
ARGOCD_METRICS = frozenset({"argocd_app_sync_total", "argocd_app_info", "argocd_app_labels"})
# What the notification templates below push (one sample each per event).
DEPLOY_FINISHED = "idp_dora_deploy_finished_timestamp_seconds"
DEPLOY_COMMIT = "idp_dora_deploy_commit_timestamp_seconds"
FIRST_DEPLOY = "idp_dora_first_deploy_timestamp_seconds"
REQUESTED = "idp_dora_requested_timestamp_seconds"

# Recorded series, each labelled team and environment (the per-application ones also name
# namespace/name or application).
APP_INFO = "idp:dora_app:info"
DEPLOYMENTS_1D = "idp:dora_deployments:increase1d"
SYNCS_7D = "idp:dora_syncs:increase7d"
FAILED_SYNCS_7D = "idp:dora_failed_syncs:increase7d"
CHANGE_FAILURE_RATE = "idp:dora_change_failure_rate:ratio7d"
APP_DEGRADED = "idp:dora_app:degraded"
TIME_TO_RESTORE = "idp:dora_time_to_restore_seconds:avg7d"
LEAD_TIME = "idp:dora_lead_time_seconds"
LEAD_TIME_MEDIAN = "idp:dora_lead_time_seconds:median"
TIME_TO_FIRST_DEPLOY = "idp:time_to_first_deploy_seconds"
TIME_TO_FIRST_DEPLOY_MEDIAN = "idp:time_to_first_deploy_seconds:median"

# How often the recording rules are evaluated; time to restore counts Degraded samples in it.
RULE_INTERVAL_SECONDS = 60
# A healthy sync of a new revision, as ArgoCD's catalog trigger `on-deployed` defines it.
DEPLOYED_CONDITION = (
    "app.status.operationState.phase in ['Succeeded'] and app.status.health.status == 'Healthy'"
)


@dataclasses.dataclass(frozen=True)
class DeliveryMetricsSizes:
    """This layer's share of each size profile: ArgoCD's notifications controller and the Pushgateway."""

    argocd_notifications: Footprint
    pushgateway: Footprint
    pushgateway_storage: str | None


SIZES: Mapping[str, DeliveryMetricsSizes] = per_profile(
    dev=DeliveryMetricsSizes(
        argocd_notifications=Footprint(1, "10m", "32Mi", "100m", "64Mi"),
        # Deployment events live in memory: a restart forgets the last ones (dev only).
        pushgateway=Footprint(1, "10m", "24Mi", "100m", "64Mi"),
        pushgateway_storage=None,
    ),
    prod=DeliveryMetricsSizes(
        argocd_notifications=Footprint(1, "50m", "64Mi", "250m", "128Mi"),
        # One replica with a persisted store: first-deploy timestamps are pushed only once.
        pushgateway=Footprint(1, "50m", "64Mi", "250m", "128Mi"),
        pushgateway_storage="2Gi",
    ),
)


TRIGGER_DEPLOYED = "idp-dora-deployed"
TRIGGER_FIRST_DEPLOYED = "idp-dora-first-deployed"


@dataclasses.dataclass(frozen=True)
class DoraMetric:
    """One DORA figure: where it comes from, the series a dashboard reads, its baseline key."""

    title: str
    source: str
    query: str
    unit: str
    baseline_figure: str
    baseline_scale: float
    """Multiplies the stack's recorded baseline figure into the query's unit."""


def _env_team(expr: str) -> str:
    return f"sum by (team, environment) ({expr})"


def _apps(environment: str) -> str:
    return f'{APP_INFO}{{environment="{environment}"}}'


def _per_app(expr: str, environment: str) -> str:
    """`expr` (one series per Application) carried onto the team and environment labels."""
    return f"{expr} * on (namespace, name) group_left (team, environment) {_apps(environment)}"


def recording_rules(environment: str) -> RuleGroup:
    """The DORA and onboarding series of one environment, in evaluation order."""
    env = f'environment="{environment}"'
    label = {
        key: "label_" + "".join(c if c.isalnum() else "_" for c in key) for key in ARGOCD_APP_LABELS
    }
    app_info = (
        "label_replace(label_replace("
        f'argocd_app_labels{{{label[naming.ENVIRONMENT_LABEL]}="{environment}", '
        f'{label[naming.TEAM_LABEL]}!=""}}, '
        f'"team", "$1", "{label[naming.TEAM_LABEL]}", "(.+)"), '
        f'"environment", "$1", "{label[naming.ENVIRONMENT_LABEL]}", "(.+)")'
    )
    entries = f"(changes({APP_DEGRADED}{{{env}}}[7d]) + {APP_DEGRADED}{{{env}}})"
    pushed = f'job="{PUSH_JOB}", {env}'
    records = [
        RecordingRule(APP_INFO, f"max by (namespace, name, team, environment) ({app_info})"),
        RecordingRule(
            DEPLOYMENTS_1D,
            _env_team(
                _per_app('increase(argocd_app_sync_total{phase="Succeeded"}[1d])', environment)
            ),
        ),
        RecordingRule(
            SYNCS_7D, _env_team(_per_app("increase(argocd_app_sync_total[7d])", environment))
        ),
        # ArgoCD creates a phase's counter on its first sync in that phase: a team that never
        # failed has no failed series, and records 0 (not nothing) when it synced.
        RecordingRule(
            FAILED_SYNCS_7D,
            _env_team(
                _per_app('increase(argocd_app_sync_total{phase=~"Error|Failed"}[7d])', environment)
            )
            + f" or ({SYNCS_7D}{{{env}}} * 0)",
        ),
        RecordingRule(
            CHANGE_FAILURE_RATE, f"{FAILED_SYNCS_7D}{{{env}}} / ({SYNCS_7D}{{{env}}} > 0)"
        ),
        # 1 while an Application is Degraded, 0 otherwise.
        RecordingRule(
            APP_DEGRADED,
            _per_app(
                'max by (namespace, name) (argocd_app_info{health_status="Degraded"})', environment
            )
            + f" or ({_apps(environment)} * 0)",
        ),
        # Degraded time over the week divided by the episodes that began in it (each episode
        # is two changes; one still open is counted by the current value). Degraded time is
        # one evaluation interval per sample that was 1: exact however young the series is
        # (a week's average times a week is not, until the series is a week old).
        RecordingRule(
            TIME_TO_RESTORE,
            f"sum by (team, environment) (sum_over_time({APP_DEGRADED}{{{env}}}[7d])"
            f" * {RULE_INTERVAL_SECONDS}) / (sum by (team, environment) ({entries})"
            " / 2 > 0)",
        ),
        # Per Application: its latest deployment's commit-to-healthy-sync time.
        RecordingRule(
            LEAD_TIME,
            f"max without (instance, job) ({DEPLOY_FINISHED}{{{pushed}}}"
            f" - {DEPLOY_COMMIT}{{{pushed}}})",
        ),
        RecordingRule(
            LEAD_TIME_MEDIAN, f"quantile by (team, environment) (0.5, {LEAD_TIME}{{{env}}})"
        ),
        RecordingRule(
            TIME_TO_FIRST_DEPLOY,
            f"max without (instance, job) ({FIRST_DEPLOY}{{{pushed}}} - {REQUESTED}{{{pushed}}})",
        ),
        RecordingRule(
            TIME_TO_FIRST_DEPLOY_MEDIAN,
            f"quantile by (team, environment) (0.5, {TIME_TO_FIRST_DEPLOY}{{{env}}})",
        ),
    ]
    # Each environment's group records the same names: its environment label keeps them apart.
    records = [dataclasses.replace(r, labels={"environment": environment}) for r in records]
    return RuleGroup(
        f"idp-dora-{environment}", alerts=(), records=records, interval=f"{RULE_INTERVAL_SECONDS}s"
    )


DORA_METRICS: Sequence[DoraMetric] = (
    DoraMetric(
        "Deployment frequency (per day)",
        'ArgoCD application controller: argocd_app_sync_total{phase="Succeeded"}',
        DEPLOYMENTS_1D,
        "short",
        "deploymentsPerWeek",
        1 / 7,
    ),
    DoraMetric(
        "Lead time for changes (median)",
        "ArgoCD notification idp-dora-deployed: commit time (repo.GetCommitMetadata) "
        "and sync finish, pushed to the Pushgateway",
        LEAD_TIME_MEDIAN,
        "s",
        "leadTimeMinutes",
        60,
    ),
    DoraMetric(
        "Change failure rate (7 days)",
        "ArgoCD application controller: failed (Error, Failed) over all syncs",
        CHANGE_FAILURE_RATE,
        "percentunit",
        "changeFailurePercent",
        0.01,
    ),
    DoraMetric(
        "Time to restore (7 days)",
        "ArgoCD application controller: time Applications spend Degraded "
        "(argocd_app_info) per episode",
        TIME_TO_RESTORE,
        "s",
        "timeToRestoreMinutes",
        60,
    ),
    DoraMetric(
        "Time to first deploy (median)",
        "ArgoCD notification idp-dora-first-deployed: request time (annotation "
        f"{naming.REQUESTED_AT_ANNOTATION} or Application creation) to first healthy "
        "sync",
        TIME_TO_FIRST_DEPLOY_MEDIAN,
        "s",
        "timeToFirstDeployMinutes",
        60,
    ),
)


def dora_dashboard(baseline: Baseline) -> dict:
    """Every DORA figure per team and environment, with the recorded baseline beside it."""
    selector = '{team=~"$team", environment=~"$environment"}'
    panels = []
    for metric in DORA_METRICS:
        queries = [Query(f"{metric.query}{selector}", "{{team}} {{environment}}")]
        figure = baseline.figures.get(metric.baseline_figure)
        if figure is not None:
            value = round(figure * metric.baseline_scale, 6)
            queries.append(Query(f"vector({value})", f"baseline {baseline.date}"))
        panels.append(
            Panel(metric.title, queries, unit=metric.unit, width=12, description=metric.source)
        )
    first_deploys = Panel(
        "Time to first deploy per application",
        [Query(f"{TIME_TO_FIRST_DEPLOY}{selector}", "{{application}}")],
        kind="table",
        unit="s",
        width=24,
        description="Request (Backstage scaffolder run or Kratix resource request, "
        f"annotation {naming.REQUESTED_AT_ANNOTATION}; else the Application's "
        "creation) to its first healthy sync.",
    )
    variables = [
        dashboards.query_variable("team", "Team", f"label_values({APP_INFO}, team)"),
        dashboards.query_variable(
            "environment", "Environment", f"label_values({APP_INFO}, environment)"
        ),
    ]
    description = "DORA metrics and time-to-first-deploy per team and environment."
    if baseline.date:
        description += f" Baseline recorded on {baseline.date} (idp:finops.baseline)."
    return dashboards.dashboard(
        DASHBOARD_UID,
        "Delivery (DORA)",
        [Row("DORA metrics", panels), Row("Onboarding", [first_deploys])],
        description=description,
        tags=("dora", "finops", "idp"),
        variables=variables,
        time_from="now-30d",
    )


# -- ArgoCD notifications ------------------------------------------------------------------------


def _push_path() -> str:
    return (
        f"/metrics/job/{PUSH_JOB}/team/{{{{.app.spec.project}}}}"
        f'/environment/{{{{index .app.metadata.labels "{naming.ENVIRONMENT_LABEL}"}}}}'
        "/application/{{.app.metadata.name}}"
    )


def notification_templates() -> dict[str, dict]:
    """Webhook templates, by name: Prometheus text-format samples pushed per event (POST keeps
    the group's other metrics)."""
    deployed_body = (
        f"{DEPLOY_FINISHED} "
        "{{(call .time.Parse .app.status.operationState.finishedAt).Unix}}\n"
        f"{DEPLOY_COMMIT} "
        "{{(call .repo.GetCommitMetadata .app.status.sync.revision).Date.Unix}}\n"
    )
    first_body = (
        "{{- $requested := .app.metadata.creationTimestamp -}}\n"
        "{{- with .app.metadata.annotations -}}"
        f'{{{{- with index . "{naming.REQUESTED_AT_ANNOTATION}" -}}}}'
        "{{- $requested = . -}}{{- end -}}{{- end }}\n"
        f"{REQUESTED} {{{{(call .time.Parse $requested).Unix}}}}\n"
        f"{FIRST_DEPLOY} "
        "{{(call .time.Parse .app.status.operationState.finishedAt).Unix}}\n"
    )

    def webhook(body: str) -> dict:
        return {"webhook": {DORA_SERVICE: {"method": "POST", "path": _push_path(), "body": body}}}

    return {TRIGGER_DEPLOYED: webhook(deployed_body), TRIGGER_FIRST_DEPLOYED: webhook(first_body)}


def notification_triggers() -> dict[str, list[dict]]:
    """Once per deployed revision, and once per Application (its uid) for the first deploy."""
    return {
        TRIGGER_DEPLOYED: [
            {
                "when": DEPLOYED_CONDITION,
                "oncePer": "app.status.sync.revision",
                "send": [TRIGGER_DEPLOYED],
            }
        ],
        TRIGGER_FIRST_DEPLOYED: [
            {
                "when": DEPLOYED_CONDITION,
                "oncePer": "app.metadata.uid",
                "send": [TRIGGER_FIRST_DEPLOYED],
            }
        ],
    }


def notification_subscriptions(environments: Sequence[str]) -> list[dict]:
    """One subscription per environment: the team Applications bound for it."""
    return [
        {
            "recipients": [DORA_SERVICE],
            "triggers": [TRIGGER_DEPLOYED, TRIGGER_FIRST_DEPLOYED],
            "selector": f"{naming.ENVIRONMENT_LABEL}={environment},{naming.TEAM_LABEL}",
        }
        for environment in environments
    ]


def pushgateway_url() -> str:
    return f"http://{PUSHGATEWAY_NAME}.{naming.OBSERVABILITY_NAMESPACE}.svc:{PUSHGATEWAY_PORT}"


def argocd_values(
    environments: Sequence[str], profile: SizeProfile, service_monitors: bool
) -> dict:
    """What the argo-cd chart adds for DORA: controller metrics with the Application labels
    the rules group by, and the notifications controller posting deployment events.

    `service_monitors` only once the stack has the Prometheus Operator CRDs (the observability
    layer): a chart cannot render a ServiceMonitor the cluster does not know."""

    def dump(value) -> str:
        return yaml.safe_dump(value, sort_keys=False, width=1000)

    return {
        # The observability layer's PodMonitor already scrapes the controller: a ServiceMonitor
        # too would store every series twice.
        "controller": {
            "metrics": {
                "enabled": True,
                "serviceMonitor": {"enabled": False},
                "applicationLabels": {"enabled": True, "labels": list(ARGOCD_APP_LABELS)},
            }
        },
        "notifications": {
            "enabled": True,
            "resources": SIZES[profile.name].argocd_notifications.resources(),
            "metrics": {"enabled": True, "serviceMonitor": {"enabled": service_monitors}},
            "notifiers": {
                f"service.webhook.{DORA_SERVICE}": dump(
                    {
                        "url": pushgateway_url(),
                        "headers": [{"name": "Content-Type", "value": "text/plain; version=0.0.4"}],
                    }
                )
            },
            "templates": {
                f"template.{name}": dump(template)
                for name, template in notification_templates().items()
            },
            "triggers": {
                f"trigger.{name}": dump(conditions)
                for name, conditions in notification_triggers().items()
            },
            "subscriptions": notification_subscriptions(environments),
        },
    }


def pushed_metrics() -> set[str]:
    """Metric names the notification templates push (read back from the templates)."""
    names = set()
    for template in notification_templates().values():
        for line in template["webhook"][DORA_SERVICE]["body"].splitlines():
            if line and not line.startswith("{{"):
                names.add(line.split()[0])
    return names


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
    storage = SIZES[profile.name].pushgateway_storage
    values: dict = {
        "fullnameOverride": PUSHGATEWAY_NAME,
        "replicaCount": SIZES[profile.name].pushgateway.replicas,
        "resources": SIZES[profile.name].pushgateway.resources(),
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
