"""Declarative parsing of nested stack config into frozen dataclasses.

A model is a frozen dataclass whose fields carry `setting(...)` metadata: the camelCase key users
write, a one-line description, and the accepted choices. `parse_model` walks raw config (the JSON
Pulumi hands the program) against the model and collects every problem with its full key path,
such as `idp:destinations[1].stateStore`, so a stack fails with one clear line per mistake before
any resource is registered.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import json
import types
import typing
from typing import Any, Mapping, Sequence

import pulumi

from components import formats
from components.formats import Format, Range


class ConfigError(pulumi.RunError):
    """Every problem found in the stack config, one line each, each naming its key and the fix.

    Derived from `pulumi.RunError` so `pulumi preview` prints the message without a traceback.
    """

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        count = len(self.problems)
        heading = "invalid stack config" + (f" ({count} problems)" if count > 1 else "")
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"{heading}:\n{lines}")


class Problems:
    """Collects config problems so one run reports all of them at once."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, problem: str) -> None:
        self.items.append(f"{path}: {problem}")

    def raise_if_any(self) -> None:
        if self.items:
            raise ConfigError(self.items)


def setting(
    key: str,
    doc: str,
    *,
    default: Any = dataclasses.MISSING,
    choices: Sequence[str] | None = None,
    dns_name: bool = False,
    format: Format | None = None,
    keys: Format | None = None,
    values_by_key: Mapping[str, Format] | None = None,
    bounds: Range | None = None,
    secret: bool = False,
) -> Any:
    """Declare one config setting on a model field.

    `default` may be a plain value or a zero-argument callable (for lists and nested models).
    `format` checks a string (each item of a list, each value of a map); `keys` checks the keys
    of a map and `values_by_key` the values of particular keys; `bounds` checks an integer.
    `dns_name` is short for `format=formats.DNS_LABEL`.
    """
    if dns_name:
        format = formats.DNS_LABEL
    metadata = {"key": key, "doc": doc, "choices": tuple(choices) if choices else None,
                "format": format, "keys": keys, "values_by_key": dict(values_by_key or {}),
                "bounds": bounds, "secret": secret}
    if callable(default):
        return dataclasses.field(default_factory=default, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def model_fields(model: type) -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(model) if "key" in f.metadata]


def field_types(model: type) -> dict[str, Any]:
    return typing.get_type_hints(model)


def parse_model(model: type, raw: Any, path: str, problems: Problems, separator: str = ".") -> Any:
    """Parse `raw` into `model`; record problems and return None when it cannot be built.

    `separator` joins `path` and a field key: "." inside objects, ":" after the config namespace.
    """
    if not isinstance(raw, Mapping):
        problems.add(path, f"must be an object, got {_describe(raw)}")
        return None
    fields = model_fields(model)
    hints = field_types(model)
    known = {f.metadata["key"]: f for f in fields}
    for key in raw:
        if key not in known:
            problems.add(f"{path}{separator}{key}",
                         "is not a known setting; accepted: " + ", ".join(known))
    values: dict[str, Any] = {}
    complete = True
    for f in fields:
        key = f.metadata["key"]
        if key in raw:
            value = parse_value(hints[f.name], raw[key], f"{path}{separator}{key}", problems,
                                f.metadata)
            if value is _INVALID:
                complete = False
                continue
            values[f.name] = value
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            problems.add(f"{path}{separator}{key}", f"is required ({f.metadata['doc']})")
            complete = False
    if not complete:
        return None
    return model(**values)


_INVALID = object()
_LISTS = (tuple, list, collections.abc.Sequence)
_MAPS = (dict, collections.abc.Mapping)


def parse_value(kind: Any, raw: Any, path: str, problems: Problems,
                meta: Mapping[str, Any] | None = None) -> Any:
    """Parse one value of type `kind`; returns `_INVALID` (and records why) when it is wrong."""
    meta = meta or {}
    origin = typing.get_origin(kind)
    args = typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if raw is None:
            return None
        return parse_value(inner[0], raw, path, problems, meta)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        value = parse_model(kind, raw, path, problems)
        return _INVALID if value is None else value
    if origin in _LISTS or kind in (tuple, list):
        if not isinstance(raw, list):
            problems.add(path, f"must be a list, got {_describe(raw)}")
            return _INVALID
        item_kind = args[0] if args else Any
        items = [parse_value(item_kind, item, f"{path}[{i}]", problems, meta)
                 for i, item in enumerate(raw)]
        return _INVALID if any(i is _INVALID for i in items) else tuple(items)
    if origin in _MAPS or kind is dict:
        if not isinstance(raw, Mapping):
            problems.add(path, f"must be an object, got {_describe(raw)}")
            return _INVALID
        value_kind = args[1] if len(args) == 2 else str
        key_format = meta.get("keys")
        by_key = meta.get("values_by_key") or {}
        entries = {}
        for k, v in raw.items():
            if key_format is not None:
                _check_format(key_format, k, f"{path}.{k}", problems)
            value_meta = {"format": by_key.get(k, meta.get("format")), "bounds": meta.get("bounds")}
            entries[k] = parse_value(value_kind, v, f"{path}.{k}", problems, value_meta)
        return _INVALID if any(v is _INVALID for v in entries.values()) else entries
    if kind is Any:  # free-form (chart values): any JSON value, kept as written
        return raw
    if kind is bool:
        if not isinstance(raw, bool):
            problems.add(path, f"must be true or false, got {_describe(raw)}")
            return _INVALID
        return raw
    if kind is int:
        if isinstance(raw, bool) or not isinstance(raw, int):
            problems.add(path, f"must be an integer, got {_describe(raw)}")
            return _INVALID
        bounds = meta.get("bounds")
        problem = bounds.problem(raw) if bounds is not None else None
        if problem:
            problems.add(path, problem)
        return raw
    if kind is str:
        if not isinstance(raw, str):
            problems.add(path, f"must be a string, got {_describe(raw)}")
            return _INVALID
        choices = meta.get("choices")
        if choices and raw not in choices:
            problems.add(path, f"'{raw}' is not accepted; use one of: " + ", ".join(choices))
            return _INVALID
        if meta.get("format") is not None:
            _check_format(meta["format"], raw, path, problems)
        return raw
    raise TypeError(f"unsupported config field type {kind!r} at {path}")


def _check_format(fmt: Format, value: str, path: str, problems: Problems) -> None:
    """Record a value that is not in its setting's format. The value is kept, so the checks
    that follow still run and every problem is reported at once."""
    problem = fmt.problem(value)
    if problem:
        problems.add(path, problem)


def _describe(raw: Any) -> str:
    if raw is None:
        return "nothing"
    if isinstance(raw, bool):
        return f"boolean {str(raw).lower()}"
    if isinstance(raw, (int, float)):
        return f"number {raw}"
    if isinstance(raw, str):
        return f"string '{raw}'"
    if isinstance(raw, list):
        return "a list"
    if isinstance(raw, Mapping):
        return "an object"
    return type(raw).__name__


def to_raw(value: Any) -> Any:
    """Turn a parsed model back into the camelCase config shape (for defaults and docs).

    Unset optional settings and empty maps are left out, as a user would write them.
    """
    if dataclasses.is_dataclass(value):
        return {f.metadata["key"]: to_raw(getattr(value, f.name))
                for f in model_fields(type(value))
                if getattr(value, f.name) is not None and getattr(value, f.name) != {}}
    if isinstance(value, tuple):
        return [to_raw(v) for v in value]
    if isinstance(value, Mapping):
        return {k: to_raw(v) for k, v in value.items()}
    return value


def describe_type(kind: Any) -> str:
    """A short human name for a field type, used by the generated config reference."""
    origin = typing.get_origin(kind)
    args = typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        return describe_type([a for a in args if a is not type(None)][0])
    if dataclasses.is_dataclass(kind):
        return "object"
    if origin in _LISTS:
        return f"list of {describe_type(args[0])}" if args else "list"
    if origin in _MAPS:
        return f"map of {describe_type(args[1])}" if len(args) == 2 else "map"
    if kind is Any:
        return "any"
    return {bool: "boolean", int: "integer", str: "string"}.get(kind, str(kind))


def reference_rows(model: type, prefix: str) -> list[str]:
    """Markdown table rows documenting every key of `model`, nested keys included."""
    rows = []
    hints = field_types(model)
    for f in model_fields(model):
        kind = hints[f.name]
        key = f"{prefix}{f.metadata['key']}"
        choices = f.metadata.get("choices")
        doc = f.metadata["doc"] + (f" (one of: {', '.join(choices)})" if choices else "")
        notes = format_notes(f)
        if notes:
            doc += " — " + "; ".join(what for what, _ in notes)
        rows.append(f"| `{key}` | {describe_type(kind)} | {_default_text(f)} | {doc} |")
        nested = _nested_model(kind)
        if nested is not None:
            shape = describe_type(kind)
            suffix = "[]" if shape.startswith("list") else ".<name>" if shape.startswith("map") \
                else ""
            rows.extend(reference_rows(nested, f"{key}{suffix}."))
    return rows


def format_notes(f: dataclasses.Field) -> list[tuple[str, str]]:
    """What a field's format checks accept, as (what, accepted) pairs for the docs."""
    notes = []
    meta = f.metadata
    if meta.get("keys") is not None:
        notes.append((f"keys: {meta['keys'].name}", meta["keys"].accepted))
    if meta.get("format") is not None:
        notes.append((("values: " if meta.get("keys") else "") + meta["format"].name,
                      meta["format"].accepted))
    for key, fmt in (meta.get("values_by_key") or {}).items():
        notes.append((f"`{key}`: {fmt.name}", fmt.accepted))
    if meta.get("bounds") is not None:
        notes.append((meta["bounds"].accepted, ""))
    return notes


def format_rows(model: type, prefix: str) -> list[tuple[str, str]]:
    """Every setting of `model` (nested ones included) with a format check: (key, format)."""
    rows = []
    hints = field_types(model)
    for f in model_fields(model):
        key = f"{prefix}{f.metadata['key']}"
        notes = format_notes(f)
        if notes:
            rows.append((key, "; ".join(f"{what}: {accepted}" if accepted else what
                                        for what, accepted in notes)))
        nested = _nested_model(hints[f.name])
        if nested is not None:
            shape = describe_type(hints[f.name])
            suffix = "[]" if shape.startswith("list") else ".<name>" if shape.startswith("map") \
                else ""
            rows.extend(format_rows(nested, f"{key}{suffix}."))
    return rows


def _nested_model(kind: Any) -> type | None:
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return kind
    for arg in typing.get_args(kind):
        found = _nested_model(arg)
        if found is not None:
            return found
    return None


def _default_text(f: dataclasses.Field) -> str:
    if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
        return "required"
    factory = typing.cast(typing.Callable[[], Any], f.default_factory)
    value = f.default if f.default is not dataclasses.MISSING else factory()
    if value is None:
        return "—"
    if dataclasses.is_dataclass(value):
        return "see below"
    if isinstance(value, (tuple, dict)) and value:
        return "see Pulumi.yaml"
    return f"`{json.dumps(to_raw(value))}`"
