"""The GitOps layer's settings (`idp:gitops`, `idp:gitopsCredentials`) and their checks."""

from __future__ import annotations

import dataclasses
from typing import Optional

from components import formats as fmt
from components.config import LayerSettings, Phase, StackConfig, gitops_workers
from components.configschema import NAMESPACE, Problems, setting

SECRET_MANAGERS = ("sealed-secrets", "external-secrets")
CLUSTER_AUTH_METHODS = ("bearerToken", "awsIAM")
# Keys of `gitopsCredentials.repository`: basic auth over https, or an ssh key for git@ URLs.
REPOSITORY_CREDENTIAL_KEYS = ("username", "password", "sshPrivateKey")
REPOSITORY_CREDENTIALS = "repository"


@dataclasses.dataclass(frozen=True)
class SyncWindow:
    """When prod Applications may sync (an ArgoCD AppProject sync window)."""

    schedule: str = setting(
        "schedule", "cron expression opening the window", default="0 7 * * 1-5", format=fmt.CRON
    )
    duration: str = setting(
        "duration", "how long the window stays open", default="3h", format=fmt.DURATION
    )
    time_zone: str = setting(
        "timeZone", "time zone of the schedule", default="UTC", format=fmt.TIME_ZONE
    )


@dataclasses.dataclass(frozen=True)
class GitOps:
    """ArgoCD on the platform cluster: App of Apps, ApplicationSets, destination sync."""

    enabled: bool = setting("enabled", "install ArgoCD and the GitOps objects", default=False)
    repo_url: Optional[str] = setting(
        "repoURL",
        "platform GitOps repository (https://... or git@...)",
        default=None,
        format=fmt.GIT_URL,
    )
    target_revision: Optional[str] = setting(
        "targetRevision",
        "pinned tag, commit or branch of the repository (never HEAD or a range with *)",
        default=None,
    )
    path: str = setting(
        "path",
        "folder the root Application syncs (per-layer apps)",
        default="platform",
        format=fmt.RELATIVE_PATH,
    )
    teams_path: str = setting(
        "teamsPath",
        "folder of team services, laid out <teamsPath>/<team>/<environment>",
        default="teams",
        format=fmt.RELATIVE_PATH,
    )
    secrets: str = setting(
        "secrets",
        "secret manager installed next to ArgoCD",
        default="sealed-secrets",
        choices=SECRET_MANAGERS,
    )
    cluster_auth: str = setting(
        "clusterAuth",
        "how ArgoCD authenticates to workers: bearerToken "
        "(gitopsCredentials.<cluster>.bearerToken) or awsIAM (EKS, awsRoleArn)",
        default="bearerToken",
        choices=CLUSTER_AUTH_METHODS,
    )
    aws_role_arn: Optional[str] = setting(
        "awsRoleArn",
        "IAM role ArgoCD assumes to reach EKS workers (clusterAuth awsIAM)",
        default=None,
        format=fmt.IAM_ROLE_ARN,
    )
    prod_sync_window: SyncWindow = setting(
        "prodSyncWindow", "when prod Applications sync", default=SyncWindow
    )


def check_gitops(config: StackConfig, secret_keys: frozenset[str], problems: Problems) -> None:
    gitops, key = SETTINGS.of(config), f"{NAMESPACE}:gitops"
    creds_key = f"{NAMESPACE}:gitopsCredentials"
    creds = SETTINGS.credentials_of(config)
    if creds and creds_key not in secret_keys:
        problems.add(
            creds_key,
            "holds credentials in plaintext; store each value with "
            "`pulumi config set --secret --path 'gitopsCredentials.<name>.<key>' VALUE`",
        )
    if not gitops.enabled:
        return
    if not gitops.repo_url:
        problems.add(
            f"{key}.repoURL",
            "is required when gitops is enabled (the platform GitOps "
            "repository the root Application syncs)",
        )
    revision = gitops.target_revision
    if not revision or revision == "HEAD" or "*" in revision:
        problems.add(
            f"{key}.targetRevision",
            f"'{revision or ''}' does not pin the repository; "
            "set a tag, a commit SHA or a branch (never HEAD or a range with *)",
        )
    elif fmt.GIT_REF.problem(revision):
        problems.add(f"{key}.targetRevision", str(fmt.GIT_REF.problem(revision)))
    repository = creds.get(REPOSITORY_CREDENTIALS, {})
    if gitops.repo_url and not fmt.GIT_URL.problem(gitops.repo_url):
        ssh = fmt.git_url_is_ssh(gitops.repo_url)
        if ssh and ("username" in repository or "password" in repository):
            problems.add(
                f"{key}.repoURL",
                f"'{gitops.repo_url}' is an ssh URL, but "
                "gitopsCredentials.repository holds username/password; use an https:// "
                "URL or an sshPrivateKey",
            )
        if not ssh and "sshPrivateKey" in repository:
            problems.add(
                f"{key}.repoURL",
                f"'{gitops.repo_url}' is not an ssh URL, but "
                "gitopsCredentials.repository holds an sshPrivateKey; use ssh://... or "
                "git@host:path, or username/password",
            )
    for secret_key, value in creds.get(REPOSITORY_CREDENTIALS, {}).items():
        path = f"{creds_key}.{REPOSITORY_CREDENTIALS}.{secret_key}"
        if secret_key not in REPOSITORY_CREDENTIAL_KEYS:
            problems.add(
                path,
                "is not a "
                "repository credential; accepted: " + ", ".join(REPOSITORY_CREDENTIAL_KEYS),
            )
        elif secret_key in fmt.SECRET_FORMATS and value:
            problem = fmt.SECRET_FORMATS[secret_key].secret_problem(value)
            if problem:
                problems.add(path, problem)
    clusters = {c.name for c in config.clusters}
    for name in creds:
        if name != REPOSITORY_CREDENTIALS and name not in clusters:
            problems.add(
                f"{creds_key}.{name}",
                "names no cluster; accepted: " + ", ".join([REPOSITORY_CREDENTIALS, *clusters]),
            )
    if gitops.cluster_auth == "awsIAM" and not gitops.aws_role_arn and gitops_workers(config):
        problems.add(
            f"{key}.awsRoleArn",
            "is required for clusterAuth awsIAM (the role ArgoCD's "
            "controller assumes on every EKS worker)",
        )
    for i, cluster in enumerate(config.clusters):
        if cluster not in gitops_workers(config):
            continue
        if not cluster.server:
            problems.add(
                f"{NAMESPACE}:clusters[{i}].server",
                "is required for a worker that "
                "ArgoCD on the platform cluster syncs (its API server URL)",
            )
        if gitops.cluster_auth == "bearerToken" and not creds.get(cluster.name, {}).get(
            "bearerToken"
        ):
            problems.add(
                f"{creds_key}.{cluster.name}.bearerToken",
                "is required for "
                "clusterAuth bearerToken; set it with `pulumi config set --secret "
                f"--path 'gitopsCredentials.{cluster.name}.bearerToken' TOKEN`",
            )


def _hand_over(config: StackConfig) -> StackConfig:
    # The portal's Kubernetes plugin reaches workers the way ArgoCD does.
    return dataclasses.replace(config, worker_auth=SETTINGS.of(config).cluster_auth)


SETTINGS = LayerSettings(
    "gitops",
    GitOps,
    "GitOps with ArgoCD",
    rank=130,
    checks=((Phase.CREDENTIALS, check_gitops),),
    credentials="gitopsCredentials",
    credentials_doc=(
        "secret credentials: repository.username/password or "
        "repository.sshPrivateKey, and <cluster>.bearerToken (set with `pulumi config set "
        "--secret --path`)"
    ),
    credentials_rank=200,
    hand_over=_hand_over,
)
