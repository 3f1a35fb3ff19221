"""The config kernel's own checks and resolution, which run before and between the layers' (see
`ConfigModel` in components/validation.py): clusters, teams, charts, the state stores and their
credentials, the destinations.
"""

from __future__ import annotations

from pathlib import Path

from components import charts, naming
from components import formats as fmt
from components.config import (
    StackConfig,
    kubeconfig_problem,
)
from components.configschema import (
    NAMESPACE,
    Problems,
    duplicates,
)
from components.placement import (
    CREDENTIAL_KEYS,
    BucketStore,
    Destination,
    EmbeddedBucket,
    ExternalBucket,
    GitStore,
    StateStore,
    normalise_path,
)


def check_clusters(config: StackConfig, problems: Problems) -> None:
    key = f"{NAMESPACE}:clusters"
    for name in sorted(duplicates([c.name for c in config.clusters])):
        problems.add(key, f"cluster name '{name}' is used more than once; names must be unique")
    platforms = [i for i, c in enumerate(config.clusters) if c.role == "platform"]
    if len(platforms) != 1:
        problems.add(key, f"exactly one cluster needs role: platform, found {len(platforms)}")
    workers = [c for c in config.clusters if c.role == "worker"]
    if config.topology == "single-cluster" and len(config.clusters) != 1:
        problems.add(
            f"{NAMESPACE}:topology",
            "single-cluster takes exactly one cluster (the "
            f"platform), but {len(config.clusters)} are declared; use multi-cluster",
        )
    if config.topology == "multi-cluster" and not workers:
        problems.add(
            f"{NAMESPACE}:topology",
            "multi-cluster needs at least one cluster with "
            "role: worker; add one or use single-cluster",
        )
    for i, cluster in enumerate(config.clusters):
        target = cluster.target
        if target.mode == "render" and (target.kubeconfig or target.context):
            problems.add(
                f"{key}[{i}].target",
                "kubeconfig and context apply only to mode "
                "kubeconfig; remove them or set mode: kubeconfig",
            )
        if target.mode == "kubeconfig" and target.render_dir:
            problems.add(f"{key}[{i}].target.renderDir", "applies only to mode render")
        if target.mode == "kubeconfig":
            problem = kubeconfig_problem(target)
            if problem:
                problems.add(f"{key}[{i}].target", problem)


def check_teams(config: StackConfig, problems: Problems) -> None:
    for name in sorted(duplicates([t.name for t in config.teams])):
        problems.add(f"{NAMESPACE}:teams", f"team name '{name}' is used more than once")


def check_charts(config: StackConfig, base_dir: Path | None, problems: Problems) -> None:
    for key in config.charts:
        if key not in charts.CHARTS:
            problems.add(
                f"{NAMESPACE}:charts.{key}",
                "is not a chart of this platform; accepted: " + ", ".join(charts.CHARTS),
            )
    reported: set[str] = set()
    for key in charts.CHARTS:
        try:
            config.chart(key, base_dir)
        except ValueError as error:
            if str(error) not in reported:  # a missing mirror is one problem, not one per chart
                reported.add(str(error))
                problems.add(f"{NAMESPACE}:chartMirror", str(error))


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
        if config.switched_on("gitops") and cluster_name in workers and stores[store_name].embedded:
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
