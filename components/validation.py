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

from components.checks import (
    check_charts,
    check_clusters,
    check_credentials,
    check_teams,
    resolve_destinations,
    resolve_state_stores,
)
from components.config import (
    CREDENTIALS_TYPE,
    USER_ERROR_SHOWN_EXIT_CODE,
    LayerSettings,
    Phase,
    StackConfig,
    read_raw_config,
)
from components.configschema import (
    NAMESPACE,
    ConfigError,
    Problems,
    field_types,
    format_rows,
    model_fields,
    parse_model,
    reference_rows,
    setting,
    to_raw,
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
        check_clusters(config, problems)
        config = dataclasses.replace(config, state_stores=resolve_state_stores(config, problems))
        check_credentials(config, secret_keys, problems)
        check_teams(config, problems)
        self._run(Phase.SETTINGS, config, secret_keys, problems)
        check_charts(config, base_dir, problems)
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
