"""cert-manager's chart values: the Kratix layer installs it on the platform cluster, the
observability layer on every worker (the OpenTelemetry Operator's webhook certificates).
Shared here so neither layer imports the other.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

from components.profiles import Footprint, SizeProfile, per_profile


@dataclasses.dataclass(frozen=True)
class CertManagerSizes:
    """This layer's share of each size profile: cert-manager's controller, webhook and CA injector."""

    cert_manager: Footprint
    cert_manager_webhook: Footprint
    cert_manager_cainjector: Footprint


SIZES: Mapping[str, CertManagerSizes] = per_profile(
    dev=CertManagerSizes(
        cert_manager=Footprint(1, "10m", "64Mi", "100m", "128Mi"),
        cert_manager_webhook=Footprint(1, "10m", "32Mi", "100m", "64Mi"),
        cert_manager_cainjector=Footprint(1, "10m", "64Mi", "100m", "128Mi"),
    ),
    prod=CertManagerSizes(
        cert_manager=Footprint(2, "50m", "128Mi", "500m", "256Mi"),
        cert_manager_webhook=Footprint(3, "50m", "64Mi", "250m", "128Mi"),
        cert_manager_cainjector=Footprint(2, "50m", "128Mi", "500m", "256Mi"),
    ),
)


def cert_manager_values(profile: SizeProfile) -> dict:
    ha = profile.highly_available
    return {
        # keep: False for the same reason as ArgoCD's CRDs (components/gitops/values.py): destroy
        # leaves nothing of the stack's behind.
        "crds": {"enabled": True, "keep": False},
        "replicaCount": SIZES[profile.name].cert_manager.replicas,
        "resources": SIZES[profile.name].cert_manager.resources(),
        "podDisruptionBudget": {"enabled": ha},
        "webhook": {
            "replicaCount": SIZES[profile.name].cert_manager_webhook.replicas,
            "resources": SIZES[profile.name].cert_manager_webhook.resources(),
            "podDisruptionBudget": {"enabled": ha},
        },
        "cainjector": {
            "replicaCount": SIZES[profile.name].cert_manager_cainjector.replicas,
            "resources": SIZES[profile.name].cert_manager_cainjector.resources(),
            "podDisruptionBudget": {"enabled": ha},
        },
        # A Helm hook Job; Pulumi already waits for the webhook Deployment to be ready.
        "startupapicheck": {"enabled": False},
    }
