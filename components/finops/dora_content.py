"""The DORA records: each environment's recording rules, the table of DORA metrics and the
"Delivery (DORA)" dashboard drawn from them and the stack's baseline.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

from components import dashboards, naming
from components.dashboards import Panel, Query, RecordingRule, Row, RuleGroup
from components.finops.dora_names import (
    APP_DEGRADED,
    APP_INFO,
    ARGOCD_APP_LABELS,
    CHANGE_FAILURE_RATE,
    DASHBOARD_UID,
    DEPLOY_COMMIT,
    DEPLOY_FINISHED,
    DEPLOYMENTS_1D,
    FAILED_SYNCS_7D,
    FIRST_DEPLOY,
    LEAD_TIME,
    LEAD_TIME_MEDIAN,
    PUSH_JOB,
    REQUESTED,
    RULE_INTERVAL_SECONDS,
    SYNCS_7D,
    TIME_TO_FIRST_DEPLOY,
    TIME_TO_FIRST_DEPLOY_MEDIAN,
    TIME_TO_RESTORE,
)
from components.finops.settings import Baseline


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
