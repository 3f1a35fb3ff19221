"""The FinOps layer's settings (`idp:finops`: Kubecost, the DORA baseline) and their checks."""

from __future__ import annotations

import dataclasses
from typing import Mapping, Optional

from components import formats as fmt
from components.config import LayerSettings, Phase, StackConfig
from components.configschema import NAMESPACE, Problems, setting

# The first DORA and onboarding figures a stack records (idp:finops.baseline.figures), in
# whole units so they read the same in YAML and on the dashboards.
BASELINE_FIGURES = (
    "deploymentsPerWeek",
    "leadTimeMinutes",
    "changeFailurePercent",
    "timeToRestoreMinutes",
    "timeToFirstDeployMinutes",
)


@dataclasses.dataclass(frozen=True)
class Baseline:
    """The first measured figures, recorded in the stack so later ones compare against them."""

    date: Optional[str] = setting(
        "date", "day the baseline was measured (YYYY-MM-DD)", default=None, format=fmt.ISO_DATE
    )
    figures: Mapping[str, int] = setting(
        "figures",
        "measured values keyed by " + ", ".join(BASELINE_FIGURES),
        default=dict,
        bounds=fmt.NON_NEGATIVE,
    )


@dataclasses.dataclass(frozen=True)
class FinOps:
    """Kubecost per-team cost allocation, DORA metrics and time-to-first-deploy."""

    enabled: bool = setting(
        "enabled",
        "install Kubecost on every cluster and, with GitOps, "
        "the DORA and time-to-first-deploy collection",
        default=False,
    )
    federated_storage_secret: Optional[str] = setting(
        "federatedStorageSecret",
        "Secret (key federated-store.yaml) in each cluster's kubecost "
        "namespace naming the bucket workers report to (required multi-cluster)",
        default=None,
        format=fmt.DNS_SUBDOMAIN,
    )
    service_account_annotations: Mapping[str, str] = setting(
        "serviceAccountAnnotations",
        "annotations on Kubecost's ServiceAccounts (for example "
        "an IAM role for the federated bucket)",
        default=dict,
        keys=fmt.ANNOTATION_KEY,
        values_by_key=fmt.SERVICE_ACCOUNT_ANNOTATION_VALUES,
    )
    currency: str = setting(
        "currency", "currency Kubecost reports in", default="USD", format=fmt.CURRENCY
    )
    baseline: Baseline = setting("baseline", "the first recorded DORA figures", default=Baseline)


def check_finops(config: StackConfig, _secret_keys: frozenset[str], problems: Problems) -> None:
    finops, key = SETTINGS.of(config), f"{NAMESPACE}:finops"
    if finops.enabled and len(config.clusters) > 1 and not finops.federated_storage_secret:
        problems.add(
            f"{key}.federatedStorageSecret",
            "is required when Kubecost runs on more "
            "than one cluster (workers report their costs through that bucket); name "
            "a Secret holding federated-store.yaml in the kubecost namespace",
        )
    baseline = finops.baseline
    for name, value in baseline.figures.items():
        if name not in BASELINE_FIGURES:
            problems.add(
                f"{key}.baseline.figures.{name}",
                "is not a baseline figure; accepted: " + ", ".join(BASELINE_FIGURES),
            )
        elif name.endswith("Percent") and value > 100:
            problems.add(
                f"{key}.baseline.figures.{name}",
                f"{value} is out of range; accepted: an integer from 0 to 100 (percent)",
            )
    if baseline.figures and not baseline.date:
        problems.add(
            f"{key}.baseline.date", "is required with figures (the day they were measured)"
        )


SETTINGS = LayerSettings(
    "finops",
    FinOps,
    "cost allocation and delivery metrics",
    rank=170,
    checks=((Phase.SETTINGS, check_finops),),
)
