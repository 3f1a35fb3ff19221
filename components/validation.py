"""The stack's one validated config model, assembled from the kernel's keys and each layer's.

`ConfigModel(layers)` (components/topology.py's `config_model()` gives the platform's) reads the
stack's config, parses it into frozen dataclasses and checks it as a whole. Any mistake raises
`ConfigError` (a `pulumi.RunError`) naming the full key path and what is accepted, before a single
resource is registered: the kernel's checks (clusters, state stores, teams, charts, destinations)
and each layer's, by phase (`components.config.Phase`). It also writes what derives from the
model: Pulumi.yaml's `config:` block and docs/config-reference.md.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence, get_origin

import pulumi

from components import charts, naming
from components import formats as fmt
from components.config import (
    CREDENTIALS_TYPE,
    USER_ERROR_SHOWN_EXIT_CODE,
    LayerSettings,
    Phase,
    StackConfig,
    kubeconfig_problem,
    read_raw_config,
)
from components.configschema import (
    NAMESPACE,
    ConfigError,
    Problems,
    duplicates,
    field_types,
    format_rows,
    model_fields,
    parse_model,
    reference_rows,
    setting,
    to_raw,
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


def _kernel_field(f: dataclasses.Field, kind: Any) -> tuple[str, Any, Any]:
    if f.default_factory is not dataclasses.MISSING:
        return (
            f.name,
            kind,
            dataclasses.field(default_factory=f.default_factory, metadata=f.metadata),
        )
    return f.name, kind, dataclasses.field(default=f.default, metadata=f.metadata)


def _keys_model(layers: Sequence[LayerSettings[Any]]) -> type:
    """Every top-level key, the kernel's and the layers', as one dataclass in rank order (what
    is parsed, checked for unknown keys and documented)."""
    hints = field_types(StackConfig)
    ranked: list[tuple[int, tuple[str, Any, Any]]] = [
        ((i + 1) * 10, _kernel_field(f, hints[f.name]))
        for i, f in enumerate(model_fields(StackConfig))
    ]
    for layer in layers:
        ranked.append(
            (
                layer.rank,
                (layer.key, layer.model, setting(layer.key, layer.doc, default=layer.model)),
            )
        )
        if layer.credentials:
            ranked.append(
                (
                    layer.credentials_rank,
                    (
                        layer.credentials,
                        CREDENTIALS_TYPE,
                        setting(
                            layer.credentials, layer.credentials_doc, default=dict, secret=True
                        ),
                    ),
                )
            )
    ranks = [rank for rank, _ in ranked]
    if len(set(ranks)) != len(ranks):
        raise ValueError(f"two config keys share a rank: {sorted(ranks)}")
    return dataclasses.make_dataclass(
        "StackKeys", [field for _, field in sorted(ranked, key=lambda r: r[0])], frozen=True
    )


class ConfigModel:
    """The config model of a platform made of `layers` (each layer's `LayerSettings`)."""

    def __init__(self, layers: Sequence[LayerSettings[Any]]):
        self.layers = tuple(layers)
        self.keys = _keys_model(self.layers)
        self._kernel = [f.name for f in model_fields(StackConfig)]
        self._layer_keys = [f.name for f in model_fields(self.keys) if f.name not in self._kernel]

    def stack_config(self, keys: Any) -> StackConfig:
        """The parsed keys as a `StackConfig`, each layer's hand-over made."""
        config = StackConfig(
            **{name: getattr(keys, name) for name in self._kernel},
            layers={key: getattr(keys, key) for key in self._layer_keys},
        )
        for layer in self.layers:
            config = layer.hand_over(config)
        return config

    def parse(
        self,
        raw: Mapping[str, Any],
        secret_keys: frozenset[str] = frozenset(),
        base_dir: Path | None = None,
    ) -> StackConfig:
        """Parse and validate raw `idp:*` values (strings or decoded); raise ConfigError if
        wrong."""
        problems = Problems()
        hints = field_types(self.keys)
        decoded: dict[str, Any] = {}
        known = {f.metadata["key"]: f for f in model_fields(self.keys)}
        for key, text in raw.items():
            field = known.get(key)
            value = (
                _decode(hints[field.name], text, f"{NAMESPACE}:{key}", problems) if field else text
            )
            if value is not _UNREADABLE:
                decoded[key] = value
        keys = parse_model(self.keys, decoded, NAMESPACE, problems, separator=":")
        config: Any = None
        if keys is not None:
            config = self._resolve_and_check(
                self.stack_config(keys), secret_keys, base_dir, problems
            )
        problems.raise_if_any()
        return config

    def load(self) -> StackConfig:
        """Read the current stack's config; the only entry point `__main__.py` needs."""
        raw = read_raw_config()
        secret_keys = frozenset(
            f"{NAMESPACE}:{key}"
            for key in raw
            if pulumi.runtime.is_config_secret(f"{NAMESPACE}:{key}")
        )
        secret_keys |= frozenset(pulumi.runtime.get_config_secret_keys_env())
        return self.parse(raw, secret_keys, Path.cwd())

    def load_or_exit(self) -> StackConfig:
        """`load` for `__main__.py`: a config mistake is reported once, as the only error of
        the run, and nothing is registered."""
        try:
            return self.load()
        except ConfigError as error:
            pulumi.log.error(str(error))
            raise SystemExit(USER_ERROR_SHOWN_EXIT_CODE) from None

    def _run(
        self, phase: Phase, config: StackConfig, secret_keys: frozenset[str], problems: Problems
    ) -> None:
        """The layers' checks of one phase, in the order of their keys."""
        checks = [
            (layer.rank, check)
            for layer in self.layers
            for when, check in layer.checks
            if when == phase
        ]
        for _, check in sorted(checks, key=lambda c: c[0]):
            check(config, secret_keys, problems)

    def _resolve_and_check(
        self,
        config: StackConfig,
        secret_keys: frozenset[str],
        base_dir: Path | None,
        problems: Problems,
    ) -> StackConfig:
        _check_clusters(config, problems)
        config = dataclasses.replace(config, state_stores=resolve_state_stores(config, problems))
        check_credentials(config, secret_keys, problems)
        _check_teams(config, problems)
        self._run(Phase.SETTINGS, config, secret_keys, problems)
        _check_charts(config, base_dir, problems)
        self._run(Phase.CREDENTIALS, config, secret_keys, problems)
        if problems.items:
            return config
        destinations = resolve_destinations(config, problems)
        # Before the destinations are in: a stack made multi-cluster reports its destinations'
        # problems first.
        self._run(Phase.DESTINATIONS, config, secret_keys, problems)
        config = dataclasses.replace(config, destinations=destinations)
        if not problems.items:
            self._run(Phase.PLACEMENT, config, secret_keys, problems)
        return dataclasses.replace(
            config,
            worker_servers={
                c.name: c.server for c in config.clusters if c.role == "worker" and c.server
            },
        )

    # -- documentation generated from the model -----------------------------------------------

    def default_config(self) -> dict[str, Any]:
        """Each top-level key's default in config shape (what Pulumi.yaml declares)."""
        defaults = self.keys()
        return {
            f.metadata["key"]: to_raw(getattr(defaults, f.name)) for f in model_fields(self.keys)
        }

    def pulumi_declarations(self) -> dict[str, dict[str, Any]]:
        """Pulumi.yaml's `config:` block: each top-level key with its type, doc and default
        (scripts/generate_docs.py writes it)."""
        hints = field_types(self.keys)
        defaults = self.default_config()
        declared: dict[str, dict[str, Any]] = {}
        for f in model_fields(self.keys):
            kind = hints[f.name]
            type_ = _PULUMI_TYPES.get(kind) or ("array" if get_origin(kind) is tuple else "object")
            entry: dict[str, Any] = {"type": type_}
            if type_ == "array":
                entry["items"] = {"type": "object"}
            entry["description"] = f.metadata["doc"]
            entry["default"] = defaults[f.metadata["key"]]
            declared[f.metadata["key"]] = entry
        return declared

    def reference_markdown(self) -> str:
        """The config reference table: every key, nested ones included, with its format."""
        header = ["| key | type | default | description |", "|---|---|---|---|"]
        return "\n".join(header + reference_rows(self.keys, f"{NAMESPACE}:")) + "\n"

    def reference_page(self) -> str:
        """docs/config-reference.md: the table, and every format the values are checked
        against."""
        formats = "\n".join(
            f"- `{key}`: {text}" for key, text in format_rows(self.keys, f"{NAMESPACE}:")
        )
        return REFERENCE_PAGE.format(table=self.reference_markdown(), formats=formats)


_PULUMI_TYPES: Mapping[Any, str] = {str: "string", bool: "boolean", int: "integer"}

REFERENCE_PAGE = """# Config reference

<!-- Generated by `python scripts/config_reference.py` from components/config.py; a test keeps
it in step. Do not edit by hand. -->

Keys are `idp:<key>`; `Pulumi.yaml` declares each top-level key with its type, description and
default. Every value is parsed into one model before anything is registered; a wrong key, type,
choice or format fails the run with one line per problem naming the key path, the value and what
is accepted.

{table}
## Value formats

Each setting below is checked against its format (besides its type), whether or not its layer is
on. `idp:gitops.targetRevision` is checked as a Git branch, tag or commit that pins the repository
(never `HEAD` or a range with `*`); selectors (`idp:promises.destinationSelectors`,
`idp:crossplane.destinationSelectors`) must match a declared destination. Secret credentials
are checked too, and their values never shown: `sshPrivateKey` (state stores, the GitOps
repository) as an SSH private key, `knownHosts` as a known_hosts file.

{formats}
"""


# ---------------------------------------------------------------------------------------------
# Reading raw config


def _decode(kind: Any, text: Any, path: str, problems: Problems) -> Any:
    """Config arrives as strings; objects and lists as JSON. Decode by the field's type."""
    if not isinstance(text, str):
        return text
    if kind is str or kind == Optional[str]:
        return text
    if kind is bool:
        if text in ("true", "false"):
            return text == "true"
        return text
    if kind is int:
        try:
            return int(text)
        except ValueError:
            return text
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        problems.add(
            path,
            "must be structured YAML (an object or a list), got plain text "
            f"'{text[:40]}'; set it in the stack file or with `pulumi config set --path`",
        )
        return _UNREADABLE


_UNREADABLE = object()


# ---------------------------------------------------------------------------------------------
# The kernel's checks and resolution


def _check_clusters(config: StackConfig, problems: Problems) -> None:
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


def _check_teams(config: StackConfig, problems: Problems) -> None:
    for name in sorted(duplicates([t.name for t in config.teams])):
        problems.add(f"{NAMESPACE}:teams", f"team name '{name}' is used more than once")


def _check_charts(config: StackConfig, base_dir: Path | None, problems: Problems) -> None:
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
