"""The security baseline's settings (`idp:security`) and their checks."""

from __future__ import annotations

import dataclasses
from typing import Optional

from components import formats as fmt
from components import naming
from components.config import LayerSettings, Phase, StackConfig
from components.configschema import NAMESPACE, Problems, setting

# Where the platform's own images and common base images come from.
DEFAULT_ALLOWED_REGISTRIES = (
    "docker.io",
    "quay.io",
    "ghcr.io",
    "registry.k8s.io",
    "reg.kyverno.io",
)


@dataclasses.dataclass(frozen=True)
class ImageSignatures:
    """Cosign verification of images from some registries: a public key or keyless (Fulcio)."""

    registries: tuple[str, ...] = setting(
        "registries",
        "registry prefixes whose images must carry a cosign signature (empty: no signature policy)",
        default=tuple,
        format=fmt.REGISTRY,
    )
    public_key: Optional[str] = setting(
        "publicKey", "PEM cosign public key (key mode)", default=None, format=fmt.PEM_PUBLIC_KEY
    )
    keyless_issuer: Optional[str] = setting(
        "keylessIssuer",
        "OIDC issuer of keyless signatures (keyless mode)",
        default=None,
        format=fmt.OIDC_ISSUER,
    )
    keyless_subject: Optional[str] = setting(
        "keylessSubject",
        "certificate subject of keyless signatures (keyless mode)",
        default=None,
        format=fmt.NAME,
    )


@dataclasses.dataclass(frozen=True)
class Security:
    """Pod Security, Kyverno policies, default-deny networking and team tenancy."""

    enabled: bool = setting("enabled", "install Kyverno and the security baseline", default=False)
    allowed_registries: tuple[str, ...] = setting(
        "allowedRegistries",
        "registry prefixes workload images may come from",
        default=lambda: DEFAULT_ALLOWED_REGISTRIES,
        format=fmt.REGISTRY,
    )
    image_signatures: ImageSignatures = setting(
        "imageSignatures", "cosign signature verification", default=ImageSignatures
    )
    monitoring_namespace: str = setting(
        "monitoringNamespace",
        "namespace allowed to scrape team pods",
        default=naming.OBSERVABILITY_NAMESPACE,
        dns_name=True,
    )
    ingress_namespace: str = setting(
        "ingressNamespace",
        "namespace of the ingress controller allowed to reach team pods",
        default="ingress-nginx",
        dns_name=True,
    )
    platform_admins_group: str = setting(
        "platformAdminsGroup",
        "identity-provider group bound to cluster-admin on every cluster",
        default="platform-admins",
        format=fmt.NAME,
    )


def check_security(config: StackConfig, _secret_keys: frozenset[str], problems: Problems) -> None:
    key = f"{NAMESPACE}:security.imageSignatures"
    signatures = SETTINGS.of(config).image_signatures
    if not signatures.registries:
        return
    keyless = (signatures.keyless_issuer, signatures.keyless_subject)
    if signatures.public_key and any(keyless):
        problems.add(key, "set either publicKey or keylessIssuer/keylessSubject, not both")
    elif not signatures.public_key and not all(keyless):
        problems.add(
            key,
            "registries need a publicKey, or both keylessIssuer and "
            "keylessSubject, to verify signatures with",
        )


SETTINGS = LayerSettings(
    "security",
    Security,
    "security baseline",
    rank=140,
    checks=((Phase.SETTINGS, check_security),),
)
