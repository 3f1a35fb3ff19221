"""The Kratix layer's settings: state stores (git, external bucket, embedded MinIO), destinations
and the controller; their checks, and their resolution into types with nothing left to default.
"""

from __future__ import annotations

import dataclasses
import posixpath
from typing import TYPE_CHECKING, Mapping, Optional

from components import charts, naming
from components import formats as fmt
from components.configschema import NAMESPACE, Problems, duplicates, setting
from components.naming import KRATIX_NAMESPACE

if TYPE_CHECKING:
    from components.config import Cluster, StackConfig


STORE_KINDS = ("git", "bucket")
GIT_AUTH_METHODS = ("basicAuth", "ssh")
BUCKET_AUTH_METHODS = ("accessKey", "IAM")
FILEPATH_MODES = ("nestedByMetadata", "aggregatedYAML", "none")
CLEANUP_POLICIES = ("none", "all")
# Secret keys Kratix reads for each credential kind, and which of them are mandatory.
CREDENTIAL_KEYS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "basicAuth": (("username", "password"), ("password",)),
    "ssh": (("sshPrivateKey", "knownHosts"), ("sshPrivateKey", "knownHosts")),
    "accessKey": (("accessKeyID", "secretAccessKey"), ("accessKeyID", "secretAccessKey")),
}


@dataclasses.dataclass(frozen=True)
class GitStore:
    """A GitStateStore: Kratix commits documents to a branch of a repository."""

    url: str = setting(
        "url", "repository URL (https://... for basicAuth, git@... for ssh)", format=fmt.GIT_URL
    )
    branch: str = setting("branch", "branch Kratix writes to", default="main", format=fmt.GIT_REF)
    auth_method: str = setting(
        "authMethod",
        "basicAuth (username/password) or ssh (sshPrivateKey/knownHosts)",
        default="basicAuth",
        choices=GIT_AUTH_METHODS,
    )
    author_name: str = setting(
        "authorName", "commit author name", default="kratix", format=fmt.NAME
    )
    author_email: str = setting("authorEmail", "commit author email", default="", format=fmt.EMAIL)


@dataclasses.dataclass(frozen=True)
class BucketStore:
    """A BucketStateStore: an S3-compatible bucket, external or embedded in-cluster MinIO."""

    embedded: bool = setting(
        "embedded", "run an in-cluster MinIO with versioning on (dev only)", default=False
    )
    endpoint: Optional[str] = setting(
        "endpoint",
        "S3 endpoint host[:port] without scheme (external buckets)",
        default=None,
        format=fmt.HOST_PORT,
    )
    bucket_name: str = setting("bucketName", "bucket name", default="kratix", format=fmt.S3_BUCKET)
    insecure: bool = setting("insecure", "use plain HTTP to the endpoint", default=False)
    auth_method: str = setting(
        "authMethod",
        "accessKey (accessKeyID/secretAccessKey) or IAM (node role or workload identity)",
        default="accessKey",
        choices=BUCKET_AUTH_METHODS,
    )
    versioning: bool = setting(
        "versioning",
        "the external bucket has object versioning enabled (required in prod)",
        default=False,
    )


@dataclasses.dataclass(frozen=True)
class StateStoreSettings:
    """Where Kratix writes the documents destinations sync from (as the stack declares it;
    validation resolves it into a `StateStore`)."""

    name: str = setting("name", "state store name, a DNS-1123 label", dns_name=True)
    kind: str = setting("kind", "git or bucket", choices=STORE_KINDS)
    path: str = setting(
        "path",
        "top-level folder inside the repository or bucket",
        default="",
        format=fmt.RELATIVE_PATH,
    )
    secret_namespace: str = setting(
        "secretNamespace",
        "namespace of the credentials Secret",
        default=KRATIX_NAMESPACE,
        dns_name=True,
    )
    git: Optional[GitStore] = setting("git", "settings of a git store", default=None)
    bucket: Optional[BucketStore] = setting("bucket", "settings of a bucket store", default=None)


@dataclasses.dataclass(frozen=True)
class ExternalBucket:
    """A validated external bucket: its endpoint is known."""

    endpoint: str
    bucket_name: str
    insecure: bool
    auth_method: str
    versioning: bool


@dataclasses.dataclass(frozen=True)
class EmbeddedBucket:
    """The in-cluster MinIO this program runs (versioned, credentials generated)."""

    bucket_name: str


@dataclasses.dataclass(frozen=True)
class StateStore:
    """A validated state store: exactly one backend, nothing left to default."""

    name: str
    path: str
    secret_namespace: str
    backend: GitStore | ExternalBucket | EmbeddedBucket

    @property
    def kind(self) -> str:
        return "git" if isinstance(self.backend, GitStore) else "bucket"

    @property
    def embedded(self) -> bool:
        return isinstance(self.backend, EmbeddedBucket)

    @property
    def auth_method(self) -> str:
        """How Kratix authenticates; "embedded" when this program generates the credentials."""
        if isinstance(self.backend, EmbeddedBucket):
            return "embedded"
        return self.backend.auth_method

    @property
    def versioned(self) -> bool:
        """Whether lost or overwritten state can be recovered (git history, bucket versions)."""
        if isinstance(self.backend, ExternalBucket):
            return self.backend.versioning
        return True

    @property
    def crd_kind(self) -> str:
        return "GitStateStore" if self.kind == "git" else "BucketStateStore"


@dataclasses.dataclass(frozen=True)
class DestinationSettings:
    """A Kratix Destination: a cluster (or folder) that receives scheduled work (as the stack
    declares it; validation resolves it into a `Destination`)."""

    name: str = setting("name", "destination name, a DNS-1123 label", dns_name=True)
    cluster: Optional[str] = setting(
        "cluster",
        "cluster that syncs this destination (default: the platform cluster)",
        default=None,
    )
    state_store: Optional[str] = setting(
        "stateStore", "state store it reads from (default: the only state store)", default=None
    )
    path: Optional[str] = setting(
        "path",
        "folder in the state store, unique per store (default: the destination name)",
        default=None,
        format=fmt.RELATIVE_PATH,
    )
    environment: Optional[str] = setting(
        "environment",
        "environment label (default: the cluster's)",
        default=None,
        format=fmt.LABEL_VALUE,
    )
    region: Optional[str] = setting(
        "region", "region label (default: the cluster's)", default=None, format=fmt.LABEL_VALUE
    )
    labels: Mapping[str, str] = setting(
        "labels",
        "extra labels for destination selectors",
        default=dict,
        keys=fmt.LABEL_KEY,
        format=fmt.LABEL_VALUE,
    )
    strict_match_labels: bool = setting(
        "strictMatchLabels", "receive only work whose selectors match these labels", default=False
    )
    filepath_mode: str = setting(
        "filepathMode",
        "layout Kratix writes (immutable once created)",
        default="nestedByMetadata",
        choices=FILEPATH_MODES,
    )
    cleanup: str = setting(
        "cleanup",
        "all removes written documents when the destination is deleted",
        default="none",
        choices=CLEANUP_POLICIES,
    )


@dataclasses.dataclass(frozen=True)
class Destination:
    """A validated destination: its cluster, state store, path and environment resolved."""

    name: str
    cluster: str
    state_store: str
    path: str
    environment: str
    region: str | None
    labels: Mapping[str, str]
    strict_match_labels: bool
    filepath_mode: str
    cleanup: str

    @property
    def all_labels(self) -> dict[str, str]:
        return naming.destination_labels(self.environment, self.cluster, self.region, self.labels)


@dataclasses.dataclass(frozen=True)
class KratixSettings:
    """Kratix controller settings."""

    image: str = setting(
        "image",
        "controller image, pinned by digest",
        default=charts.IMAGES["kratix-controller"],
        format=fmt.IMAGE_BY_DIGEST,
    )
    service_account_annotations: Mapping[str, str] = setting(
        "serviceAccountAnnotations",
        "annotations on the controller ServiceAccount (for "
        "example an IAM role for bucket stores with authMethod IAM)",
        default=dict,
        keys=fmt.ANNOTATION_KEY,
        values_by_key=fmt.SERVICE_ACCOUNT_ANNOTATION_VALUES,
    )


def resolve_state_stores(config: StackConfig, problems: Problems) -> tuple[StateStore, ...]:
    key = f"{NAMESPACE}:stateStores"
    declared = config.state_store_settings
    if not declared:
        problems.add(key, "at least one state store is required")
    for name in sorted(duplicates([s.name for s in declared])):
        problems.add(key, f"state store name '{name}' is used more than once")
    embedded = [s for s in declared if s.bucket and s.bucket.embedded]
    if len(embedded) > 1:
        problems.add(key, "only one state store may be embedded")
    resolved = []
    for i, store in enumerate(declared):
        path = f"{key}[{i}]"
        other = "bucket" if store.kind == "git" else "git"
        if getattr(store, other) is not None:
            problems.add(
                f"{path}.{other}", f"applies only to kind {other}; remove it or set kind: {other}"
            )
        backend: GitStore | ExternalBucket | EmbeddedBucket | None = None
        if store.kind == "git" and store.git:
            check_git_store(store.git, f"{path}.git", problems)
            backend = store.git
        elif store.kind == "bucket" and store.bucket:
            backend = resolve_bucket(config, store.bucket, f"{path}.bucket", problems)
        else:
            problems.add(f"{path}.{store.kind}", f"is required for kind {store.kind}")
        if backend is None:
            continue
        resolved.append(StateStore(store.name, store.path, store.secret_namespace, backend))
        if config.profile == "prod" and not resolved[-1].versioned:
            problems.add(
                f"{path}.bucket.versioning",
                "a prod stack needs versioned state: "
                "enable object versioning on the bucket and set versioning: true, or "
                "use a git store",
            )
    return tuple(resolved)


def check_git_store(git: GitStore, path: str, problems: Problems) -> None:
    ssh = fmt.git_url_is_ssh(git.url)
    if git.auth_method == "ssh" and not ssh and not fmt.GIT_URL.problem(git.url):
        problems.add(
            f"{path}.url",
            f"'{git.url}' is not an ssh URL, but authMethod is ssh; use "
            "ssh://host/path or git@host:path, or authMethod basicAuth",
        )
    if git.auth_method == "basicAuth" and ssh:
        problems.add(
            f"{path}.url",
            f"'{git.url}' is an ssh URL, but authMethod is basicAuth; "
            "use https://host/path, or authMethod ssh",
        )


def resolve_bucket(
    config: StackConfig, bucket: BucketStore, path: str, problems: Problems
) -> ExternalBucket | EmbeddedBucket | None:
    if bucket.embedded:
        if bucket.endpoint:
            problems.add(f"{path}.endpoint", "is set by the embedded MinIO; remove it")
        if config.profile == "prod":
            problems.add(
                f"{path}.embedded",
                "the embedded MinIO lives and dies with the "
                "platform cluster, so it is not allowed in prod; use an external "
                "versioned bucket or a git store",
            )
        return EmbeddedBucket(bucket.bucket_name)
    if not bucket.endpoint:
        problems.add(
            f"{path}.endpoint",
            "is required for an external bucket (host[:port], "
            "for example s3.eu-west-1.amazonaws.com)",
        )
        return None
    return ExternalBucket(
        bucket.endpoint, bucket.bucket_name, bucket.insecure, bucket.auth_method, bucket.versioning
    )


def check_credentials(config: StackConfig, secret_keys: frozenset[str], problems: Problems) -> None:
    key = f"{NAMESPACE}:stateStoreCredentials"
    creds = config.state_store_credentials
    if creds and key not in secret_keys:
        problems.add(
            key,
            "holds credentials in plaintext; store each value with `pulumi config "
            "set --secret --path 'stateStoreCredentials.<store>.<key>' VALUE`",
        )
    stores = [s.name for s in config.state_store_settings]
    for name in creds:
        if name not in stores:
            problems.add(f"{key}.{name}", "names no state store; accepted: " + ", ".join(stores))
    for store in config.state_stores:
        method = store.auth_method
        if method not in CREDENTIAL_KEYS:
            continue
        accepted, required = CREDENTIAL_KEYS[method]
        given = creds.get(store.name, {})
        for secret_key, value in given.items():
            if secret_key not in accepted:
                problems.add(
                    f"{key}.{store.name}.{secret_key}",
                    f"is not used by {method}; accepted: " + ", ".join(accepted),
                )
            elif secret_key in fmt.SECRET_FORMATS and value:
                problem = fmt.SECRET_FORMATS[secret_key].secret_problem(value)
                if problem:
                    problems.add(f"{key}.{store.name}.{secret_key}", problem)
        for secret_key in required:
            if not given.get(secret_key):
                problems.add(
                    f"{key}.{store.name}.{secret_key}",
                    f"is required for state "
                    f"store '{store.name}' ({method}); set it with `pulumi config set "
                    f"--secret --path 'stateStoreCredentials.{store.name}."
                    f"{secret_key}' VALUE`",
                )


def normalise_path(path: str) -> str:
    normalised = posixpath.normpath(path.strip() or ".").strip("/")
    return normalised or "."


def resolve_destinations(config: StackConfig, problems: Problems) -> tuple[Destination, ...]:
    key = f"{NAMESPACE}:destinations"
    declared = config.destination_settings
    if not declared:
        problems.add(key, "at least one destination is required")
    for name in sorted(duplicates([d.name for d in declared])):
        problems.add(key, f"destination name '{name}' is used more than once")
    clusters = {c.name: c for c in config.clusters}
    stores = {s.name: s for s in config.state_stores}
    resolved = []
    used_paths: dict[tuple[str, str], int] = {}
    workers = {c.name for c in config.clusters if c.role == "worker"}
    for i, dest in enumerate(declared):
        path = f"{key}[{i}]"
        cluster_name = dest.cluster or config.platform_cluster.name
        if cluster_name not in clusters:
            problems.add(
                f"{path}.cluster",
                f"names no cluster '{cluster_name}'; accepted: " + ", ".join(clusters),
            )
            continue
        cluster = clusters[cluster_name]
        store_name = dest.state_store or (
            config.state_stores[0].name if len(config.state_stores) == 1 else None
        )
        if store_name is None:
            problems.add(
                f"{path}.stateStore",
                "is required when several state stores exist; accepted: " + ", ".join(stores),
            )
            continue
        if store_name not in stores:
            problems.add(
                f"{path}.stateStore",
                f"names no state store '{store_name}'; accepted: " + ", ".join(stores),
            )
            continue
        if config.gitops.enabled and cluster_name in workers and stores[store_name].embedded:
            problems.add(
                f"{path}.stateStore",
                f"'{store_name}' is the embedded MinIO, reachable "
                f"only inside the platform cluster, so worker '{cluster_name}' cannot "
                "sync it; give this destination an external bucket or a git store",
            )
        dest_path = normalise_path(dest.path if dest.path is not None else dest.name)
        owner = used_paths.setdefault((store_name, dest_path), i)
        if owner != i:
            problems.add(
                f"{path}.path",
                f"'{dest_path}' is already used by "
                f"{key}[{owner}] in state store '{store_name}'; each destination "
                "needs its own path in a store",
            )
        environment = dest.environment or cluster.environment
        if not environment:
            problems.add(
                f"{path}.environment",
                f"is required (cluster '{cluster_name}' sets no default environment)",
            )
            continue
        for label_key in dest.labels:
            if label_key in naming.RESERVED_DESTINATION_LABELS:
                problems.add(
                    f"{path}.labels.{label_key}",
                    f"is set from the destination's "
                    f"{label_key}; set {label_key} on the destination instead",
                )
        resolved.append(
            Destination(
                name=dest.name,
                cluster=cluster_name,
                state_store=store_name,
                path=dest_path,
                environment=environment,
                region=dest.region or cluster.region,
                labels=dest.labels,
                strict_match_labels=dest.strict_match_labels,
                filepath_mode=dest.filepath_mode,
                cleanup=dest.cleanup,
            )
        )
    return tuple(resolved)


def destination_labels_text(destinations: tuple[Destination, ...]) -> str:
    return "; ".join(
        f"{d.name}: "
        + ", ".join(f"{k}={v}" for k, v in sorted(d.all_labels.items()))
        + (" (strictMatchLabels)" if d.strict_match_labels else "")
        for d in destinations
    )


def report_unmatched_selectors(
    selectors: Mapping[str, str],
    destinations: tuple[Destination, ...],
    path: str,
    consequence: str,
    problems: Problems,
) -> None:
    """Selectors that match no destination: one line per selector label that no destination
    carries (or carries with another value), else one line for the combination."""
    existing: dict[str, list[str]] = {}
    for destination in destinations:
        for label_key, value in destination.all_labels.items():
            values = existing.setdefault(label_key, [])
            if value not in values:
                values.append(value)
    alone = False
    for label_key, value in selectors.items():
        if label_key not in existing:
            problems.add(
                f"{path}.{label_key}",
                f"no destination has the label {label_key}, so "
                f"{consequence}; labels that exist: " + ", ".join(sorted(existing)),
            )
            alone = True
        elif value not in existing[label_key]:
            problems.add(
                f"{path}.{label_key}",
                f"'{value}' matches no destination, so "
                f"{consequence}; {label_key} values that exist: "
                + ", ".join(sorted(existing[label_key])),
            )
            alone = True
    if not alone:
        problems.add(
            path,
            f"match no destination, so {consequence}; destinations and their "
            f"labels: {destination_labels_text(destinations)}",
        )


def gitops_workers(config: StackConfig) -> list[Cluster]:
    """Workers ArgoCD on the platform cluster must reach: those that sync a destination."""
    synced = {d.cluster for d in config.destination_settings}  # None: the platform cluster
    return [c for c in config.clusters if c.role == "worker" and c.name in synced]
