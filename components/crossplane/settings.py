"""The Crossplane cloud layer's settings (`idp:crossplane`, `idp:crossplaneCredentials`) and
their checks.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping, Optional

from components import formats as fmt
from components.config import LayerSettings, Phase, StackConfig
from components.configschema import NAMESPACE, Problems, setting
from components.placement import Destination, report_unmatched_selectors

# The optional Crossplane cloud layer: where it runs, which providers, how they authenticate.
CROSSPLANE_PLACEMENTS = ("destinations", "platform")
CROSSPLANE_PROVIDERS = ("aws", "kubernetes")
CROSSPLANE_CLOUD_PROVIDERS = ("aws",)
CROSSPLANE_CREDENTIAL_SOURCES = ("secret", "workloadIdentity")
# Keys of `crossplaneCredentials.<provider>` for credentials source "secret".
CROSSPLANE_CREDENTIAL_KEYS: Mapping[str, tuple[str, ...]] = {
    "aws": ("accessKeyID", "secretAccessKey"),
}


@dataclasses.dataclass(frozen=True)
class Crossplane:
    """The optional cloud layer: Crossplane, its providers and the cloud-backed promises' API."""

    enabled: bool = setting(
        "enabled", "install Crossplane and offer the cloud-backed promises", default=False
    )
    where: str = setting(
        "where",
        "destinations: on every cluster of a destination the selectors match; "
        "platform: on the platform cluster (which must host those destinations)",
        default="destinations",
        choices=CROSSPLANE_PLACEMENTS,
    )
    providers: tuple[str, ...] = setting(
        "providers",
        "provider packages to install (a cloud provider and kubernetes)",
        default=lambda: CROSSPLANE_PROVIDERS,
        choices=CROSSPLANE_PROVIDERS,
    )
    destination_selectors: Mapping[str, str] = setting(
        "destinationSelectors",
        "destination labels the cloud-backed promises schedule to; "
        "Crossplane runs where those destinations are synced",
        default=dict,
        keys=fmt.LABEL_KEY,
        format=fmt.LABEL_VALUE,
    )
    credentials: str = setting(
        "credentials",
        "how cloud providers authenticate: secret (crossplaneCredentials."
        "<provider>) or workloadIdentity (IRSA role, awsRoleArn)",
        default="secret",
        choices=CROSSPLANE_CREDENTIAL_SOURCES,
    )
    aws_role_arn: Optional[str] = setting(
        "awsRoleArn",
        "IAM role the AWS provider's ServiceAccount assumes (credentials workloadIdentity)",
        default=None,
        format=fmt.IAM_ROLE_ARN,
    )


def crossplane_destinations(config: StackConfig) -> list[Destination]:
    """Destinations the cloud-backed promises schedule to (every label of the selectors
    matches); Crossplane runs on the clusters that sync them."""
    selectors = SETTINGS.of(config).destination_selectors
    return [
        d
        for d in config.destinations
        if all(d.all_labels.get(key) == value for key, value in selectors.items())
    ]


def crossplane_clusters(config: StackConfig) -> list[str]:
    """The clusters the cloud layer is installed on (none while it is off)."""
    if not SETTINGS.of(config).enabled:
        return []
    return sorted({d.cluster for d in crossplane_destinations(config) if d.cluster})


def check_crossplane(config: StackConfig, secret_keys: frozenset[str], problems: Problems) -> None:
    key, creds_key = f"{NAMESPACE}:crossplane", f"{NAMESPACE}:crossplaneCredentials"
    settings, creds = SETTINGS.of(config), SETTINGS.credentials_of(config)
    if creds and creds_key not in secret_keys:
        problems.add(
            creds_key,
            "holds credentials in plaintext; store each value with `pulumi "
            "config set --secret --path 'crossplaneCredentials.<provider>.<key>' VALUE`",
        )
    for provider, given in creds.items():
        accepted = CROSSPLANE_CREDENTIAL_KEYS.get(provider)
        if accepted is None:
            problems.add(
                f"{creds_key}.{provider}",
                "names no cloud provider; accepted: " + ", ".join(CROSSPLANE_CREDENTIAL_KEYS),
            )
            continue
        for secret_key in given:
            if secret_key not in accepted:
                problems.add(
                    f"{creds_key}.{provider}.{secret_key}",
                    f"is not a credential of {provider}; accepted: " + ", ".join(accepted),
                )
    if not settings.enabled:
        return
    clouds = [p for p in settings.providers if p in CROSSPLANE_CLOUD_PROVIDERS]
    if not clouds:
        problems.add(
            f"{key}.providers",
            "needs a cloud provider ("
            + ", ".join(CROSSPLANE_CLOUD_PROVIDERS)
            + "): the objectstorage composition creates AWS S3 "
            "resources",
        )
    if "kubernetes" not in settings.providers:
        problems.add(
            f"{key}.providers",
            "needs kubernetes: provider-kubernetes lets "
            "compositions manage objects on other clusters",
        )
    matched = crossplane_destinations(config)
    if not matched:
        report_unmatched_selectors(
            settings.destination_selectors,
            config.destinations,
            f"{key}.destinationSelectors",
            "no cloud resource could ever be created",
            problems,
        )
    platform = config.platform_cluster.name
    elsewhere = sorted(d.name for d in matched if d.cluster != platform)
    if settings.where == "platform" and elsewhere:
        problems.add(
            f"{key}.where",
            "is platform, but the selectors also match destinations "
            f"on workers ({', '.join(elsewhere)}); narrow destinationSelectors to the "
            "platform cluster's destinations or set where: destinations",
        )
    if settings.credentials == "workloadIdentity":
        if not settings.aws_role_arn and "aws" in clouds:
            problems.add(
                f"{key}.awsRoleArn",
                "is required for credentials workloadIdentity "
                "(the IAM role the AWS provider's ServiceAccount assumes)",
            )
        return
    if settings.aws_role_arn:
        problems.add(
            f"{key}.awsRoleArn",
            "applies only to credentials workloadIdentity; "
            "remove it or set credentials: workloadIdentity",
        )
    for provider in clouds:
        for secret_key in CROSSPLANE_CREDENTIAL_KEYS[provider]:
            if not creds.get(provider, {}).get(secret_key):
                problems.add(
                    f"{creds_key}.{provider}.{secret_key}",
                    "is required for "
                    "credentials secret; set it with `pulumi config set --secret "
                    f"--path 'crossplaneCredentials.{provider}.{secret_key}' VALUE`",
                )


def _hand_over(config: StackConfig) -> StackConfig:
    # Cloud-backed promises are scheduled where Crossplane runs.
    return dataclasses.replace(config, cloud_selectors=SETTINGS.of(config).destination_selectors)


SETTINGS = LayerSettings(
    "crossplane",
    Crossplane,
    "Crossplane cloud layer (off by default)",
    rank=180,
    checks=((Phase.PLACEMENT, check_crossplane),),
    credentials="crossplaneCredentials",
    credentials_doc=(
        "secret cloud credentials per provider: aws.accessKeyID and "
        "aws.secretAccessKey (set with `pulumi config set --secret --path`)"
    ),
    credentials_rank=190,
    hand_over=_hand_over,
)
