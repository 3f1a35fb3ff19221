"""The developer portal's settings (`idp:portal`, `idp:portalCredentials`) and their checks."""

from __future__ import annotations

import dataclasses
from typing import Mapping, Optional

from components import charts
from components import formats as fmt
from components.config import LayerSettings, Phase, StackConfig, gitops_workers
from components.configschema import NAMESPACE, Problems, setting

PORTAL_DATABASES = ("sqlite", "postgres")
PORTAL_SIGN_INS = ("oidc", "guest")
# Keys of `portalCredentials`: <group>.<key>, and <worker>.token for workers reached by token.
PORTAL_CREDENTIAL_KEYS: Mapping[str, tuple[str, ...]] = {
    "oidc": ("clientSecret",),
    "database": ("password",),
    "argocd": ("token",),
}


@dataclasses.dataclass(frozen=True)
class PortalOidc:
    """The identity provider users sign in with (OpenID Connect)."""

    metadata_url: Optional[str] = setting(
        "metadataUrl",
        "the provider's discovery document (https://.../.well-known/openid-configuration)",
        default=None,
        format=fmt.OIDC_METADATA_URL,
    )
    client_id: Optional[str] = setting(
        "clientId",
        "OIDC client id of the portal (its secret is portalCredentials.oidc.clientSecret)",
        default=None,
        format=fmt.NAME,
    )


@dataclasses.dataclass(frozen=True)
class PortalPostgres:
    """The external PostgreSQL the portal keeps its catalog in (prod)."""

    host: Optional[str] = setting("host", "PostgreSQL host", default=None, format=fmt.HOST)
    port: int = setting("port", "PostgreSQL port", default=5432, bounds=fmt.PORT)
    user: str = setting(
        "user",
        "PostgreSQL user (its password is portalCredentials.database.password)",
        default="backstage",
        format=fmt.NAME,
    )


@dataclasses.dataclass(frozen=True)
class Portal:
    """Backstage: software catalog, Golden Path templates, TechDocs, Kubernetes and Argo CD."""

    enabled: bool = setting("enabled", "install the developer portal", default=False)
    image: str = setting(
        "image",
        "Backstage image with the platform's plugins compiled in (pinned tag or digest)",
        default=charts.IMAGES["backstage"],
        format=fmt.IMAGE,
    )
    base_url: Optional[str] = setting(
        "baseURL", "URL users open the portal at", default=None, format=fmt.PORTAL_URL
    )
    sign_in: str = setting(
        "signIn",
        "how users sign in: oidc (an identity provider) or guest (anyone who opens the portal, "
        "dev profile only)",
        default="oidc",
        choices=PORTAL_SIGN_INS,
    )
    oidc: PortalOidc = setting(
        "oidc", "sign-in through OpenID Connect (signIn oidc)", default=PortalOidc
    )
    database: str = setting(
        "database",
        "sqlite (in memory, dev only) or postgres",
        default="sqlite",
        choices=PORTAL_DATABASES,
    )
    postgres: PortalPostgres = setting(
        "postgres", "external PostgreSQL (database postgres)", default=PortalPostgres
    )
    golden_paths_url: Optional[str] = setting(
        "goldenPathsURL",
        "browsable URL of this repository's golden-paths/ folder, where the "
        "portal reads the Golden Path templates",
        default=None,
        format=fmt.HTTPS_URL,
    )
    service_account_annotations: Mapping[str, str] = setting(
        "serviceAccountAnnotations",
        "annotations on the portal's ServiceAccount (for example "
        "the IAM role it reads EKS workers with)",
        default=dict,
        keys=fmt.ANNOTATION_KEY,
        values_by_key=fmt.SERVICE_ACCOUNT_ANNOTATION_VALUES,
    )


@dataclasses.dataclass(frozen=True)
class PortalSite:
    """The validated URLs of an enabled portal."""

    base_url: str
    golden_paths_url: str


def check_portal(config: StackConfig, secret_keys: frozenset[str], problems: Problems) -> None:
    portal, key = SETTINGS.of(config), f"{NAMESPACE}:portal"
    creds_key, creds = f"{NAMESPACE}:portalCredentials", SETTINGS.credentials_of(config)
    if creds and creds_key not in secret_keys:
        problems.add(
            creds_key,
            "holds credentials in plaintext; store each value with `pulumi "
            "config set --secret --path 'portalCredentials.<name>.<key>' VALUE`",
        )
    workers = [c.name for c in gitops_workers(config)]
    for name, values in creds.items():
        accepted = ("token",) if name in workers else PORTAL_CREDENTIAL_KEYS.get(name)
        if accepted is None:
            problems.add(
                f"{creds_key}.{name}",
                "is not a portal credential; accepted: "
                + ", ".join([*PORTAL_CREDENTIAL_KEYS, *workers]),
            )
            continue
        for secret_key in values:
            if secret_key not in accepted:
                problems.add(
                    f"{creds_key}.{name}.{secret_key}",
                    "is not used by the portal; accepted: " + ", ".join(accepted),
                )
    if not portal.enabled:
        return
    oidc = portal.sign_in == "oidc"
    if not oidc and config.profile != "dev":
        problems.add(
            f"{key}.signIn",
            "guest lets anyone who reaches the portal in; it is for the dev profile only: use oidc",
        )
    oidc_settings = (
        (("oidc.metadataUrl", portal.oidc.metadata_url), ("oidc.clientId", portal.oidc.client_id))
        if oidc
        else ()
    )
    for path, value in (
        ("baseURL", portal.base_url),
        *oidc_settings,
        ("goldenPathsURL", portal.golden_paths_url),
    ):
        if not value:
            problems.add(f"{key}.{path}", "is required when the portal is enabled")
    required = [("oidc", "clientSecret")] if oidc else []
    if portal.database == "postgres":
        required.append(("database", "password"))
        if not portal.postgres.host:
            problems.add(f"{key}.postgres.host", "is required for database postgres")
    elif config.profile == "prod":
        problems.add(
            f"{key}.database",
            "sqlite keeps the catalog in memory, lost on every "
            "restart and not shared between replicas; use postgres in prod",
        )
    if config.profile == "prod" and (portal.base_url or "").startswith("http://"):
        problems.add(
            f"{key}.baseURL",
            f"'{portal.base_url}' is plain HTTP, which only a local "
            "dev portal may use; a prod portal needs an https:// URL",
        )
    for name, secret_key in required:
        if not creds.get(name, {}).get(secret_key):
            problems.add(
                f"{creds_key}.{name}.{secret_key}",
                "is required for the portal; set "
                f"it with `pulumi config set --secret --path 'portalCredentials.{name}."
                f"{secret_key}' VALUE`",
            )


def portal_site(config: StackConfig) -> PortalSite | None:
    """Where the portal is served and reads its templates; None while the portal is off."""
    portal = SETTINGS.of(config)
    if portal.enabled and portal.base_url and portal.golden_paths_url:
        return PortalSite(portal.base_url, portal.golden_paths_url)
    return None


SETTINGS = LayerSettings(
    "portal",
    Portal,
    "developer portal (Backstage)",
    rank=210,
    checks=((Phase.CREDENTIALS, check_portal),),
    credentials="portalCredentials",
    credentials_doc=(
        "secret portal credentials: oidc.clientSecret, database.password, "
        "argocd.token and <worker>.token (set with `pulumi config set --secret --path`)"
    ),
    credentials_rank=220,
)
