"""ArgoCD notifications that push deployment events to the Pushgateway: templates, triggers,
per-environment subscriptions, and the values they add to ArgoCD's chart.
"""

from __future__ import annotations

from typing import Sequence

import yaml

from components import naming
from components.finops.dora_names import (
    ARGOCD_APP_LABELS,
    DEPLOY_COMMIT,
    DEPLOY_FINISHED,
    DEPLOYED_CONDITION,
    DORA_SERVICE,
    FIRST_DEPLOY,
    PUSH_JOB,
    PUSHGATEWAY_NAME,
    PUSHGATEWAY_PORT,
    REQUESTED,
    TRIGGER_DEPLOYED,
    TRIGGER_FIRST_DEPLOYED,
)
from components.finops.sizes import DELIVERY_SIZES
from components.profiles import SizeProfile

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
            "resources": DELIVERY_SIZES[profile.name].argocd_notifications.resources(),
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
