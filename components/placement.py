"""Where the platform places work, shared by every layer: the state stores Kratix writes to (git,
external bucket, embedded MinIO) and the destinations that sync from them, as the stack declares
them and as validation resolves them (components/validation.py), with nothing left to default.

Part of the config kernel: it imports no layer, and no other module of the model (config.py
builds on it).
"""

from __future__ import annotations

import dataclasses
import posixpath
from typing import Mapping, Optional

from components import formats as fmt
from components import naming
from components.configschema import Problems, setting
from components.naming import KRATIX_NAMESPACE

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


def normalise_path(path: str) -> str:
    normalised = posixpath.normpath(path.strip() or ".").strip("/")
    return normalised or "."


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
