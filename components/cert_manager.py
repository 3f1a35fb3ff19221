"""cert-manager's chart values: the Kratix layer installs it on the platform cluster, the
observability layer on every worker (the OpenTelemetry Operator's webhook certificates).
Shared here so neither layer imports the other.
"""

from __future__ import annotations

from components.profiles import SizeProfile


def cert_manager_values(profile: SizeProfile) -> dict:
    ha = profile.highly_available
    return {
        # keep: False for the same reason as ArgoCD's CRDs (components/gitops.py): destroy
        # leaves nothing of the stack's behind.
        "crds": {"enabled": True, "keep": False},
        "replicaCount": profile.cert_manager.replicas,
        "resources": profile.cert_manager.resources(),
        "podDisruptionBudget": {"enabled": ha},
        "webhook": {
            "replicaCount": profile.cert_manager_webhook.replicas,
            "resources": profile.cert_manager_webhook.resources(),
            "podDisruptionBudget": {"enabled": ha},
        },
        "cainjector": {
            "replicaCount": profile.cert_manager_cainjector.replicas,
            "resources": profile.cert_manager_cainjector.resources(),
            "podDisruptionBudget": {"enabled": ha},
        },
        # A Helm hook Job; Pulumi already waits for the webhook Deployment to be ready.
        "startupapicheck": {"enabled": False},
    }
