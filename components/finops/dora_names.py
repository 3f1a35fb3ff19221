"""The names the DORA records share: the Pushgateway and its job, the pushed timestamps, the
recorded series, the notification triggers and the dashboard's folder and uid.
"""

from __future__ import annotations

from components import naming

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


TRIGGER_DEPLOYED = "idp-dora-deployed"
TRIGGER_FIRST_DEPLOYED = "idp-dora-first-deployed"
