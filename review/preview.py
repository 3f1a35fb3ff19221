"""Read `pulumi preview --json` output, in either of its two forms, into one model.

Field names are those of pulumi v3.259.0:

- the summary document (`pulumi preview --json`; `PreviewDigest` in pkg/display/json.go):
  `steps[]` with `op`, `urn`, `provider`, `oldState`/`newState` (`apitype.ResourceV3`: `type`,
  `inputs`, `outputs`, `parent`, `provider`), `diffReasons`, `replaceReasons`, `detailedDiff`
  (`{path: {kind, inputDiff}}`); `diagnostics[]` (`urn`, `message`, `severity`);
  `changeSummary` (`{op: count}`). Secrets arrive as the string `[secret]`; replacement steps
  that are not logical are left out; policy findings are not in this form.
- the engine-event stream (`PULUMI_ENABLE_STREAMING_JSON_PREVIEW=true`; `apitype.EngineEvent`
  in sdk/go/common/apitype/events.go), one JSON object a line: `resourcePreEvent` and
  `resOutputsEvent` (`metadata`: `op`, `urn`, `type`, `old`/`new` with `parent`, `provider`,
  `inputs`, `outputs`; `keys`, `diffs`, `detailedDiff` `{path: {diffKind, inputDiff}}`,
  `logical`, `provider`), `policyEvent` (`resourceUrn`, `message`, `policyName`,
  `policyPackName`, `enforcementLevel`, `severity`), `diagnosticEvent` (`urn`, `message`,
  `severity`, `ephemeral`), `summaryEvent` (`resourceChanges`, `result`), `errorEvent`,
  `resOpFailedEvent`, `cancelEvent`. Secrets arrive as
  `{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": ...}`.

Unknown values (known only after `up`) are the string `04da6b54-80e4-46f7-96ec-b56ff0331ba9` in
both. Secret values never enter the model: they become `SECRET` on reading.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

SIG_KEY: Final = "4dabf18193072939515e22adb298388d"
SECRET_SIG: Final = "1b47061264138c4ac30d75fd1eb44270"
UNKNOWN_VALUES: Final = frozenset(
    {"04da6b54-80e4-46f7-96ec-b56ff0331ba9", "3eeb2bf0-c639-47a8-9e75-3b44932eb421"}
)
MASSAGED_SECRET: Final = "[secret]"

# Steps the engine does not count: the halves of a replacement (the `replace` step is counted).
REPLACEMENT_HALVES: Final = frozenset(
    {
        "create-replacement",
        "delete-replaced",
        "discard-replaced",
        "read-replacement",
        "import-replacement",
        "remove-pending-replace",
        "refresh",
    }
)
DIGEST_KEYS: Final = frozenset(
    {"config", "steps", "diagnostics", "duration", "changeSummary", "maybeCorrupt"}
)
EVENT_KEYS: Final = frozenset(
    {
        "cancelEvent",
        "stdoutEvent",
        "diagnosticEvent",
        "preludeEvent",
        "summaryEvent",
        "resourcePreEvent",
        "resOutputsEvent",
        "resOpFailedEvent",
        "policyEvent",
        "policyRemediationEvent",
        "policyLoadEvent",
        "policyAnalyzeSummaryEvent",
        "policyRemediateSummaryEvent",
        "policyAnalyzeStackSummaryEvent",
        "startDebuggingEvent",
        "progressEvent",
        "errorEvent",
    }
)
_COLOR = re.compile(r"<\{%[^%]*%\}>|\x1b\[[0-9;]*[A-Za-z]")


class ReviewError(Exception):
    """Input that is not a preview this tool can read (the message says what and why)."""


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


SECRET: Final = _Marker("SECRET")  # a secret value: never kept, never shown
UNKNOWN: Final = _Marker("UNKNOWN")  # known only after apply
MISSING: Final = _Marker("MISSING")  # no value at that path


@dataclasses.dataclass(frozen=True)
class PropertyChange:
    """One changed property path of one object."""

    path: str
    kind: str  # add, update, delete, and their -replace forms
    old: Any = MISSING
    new: Any = MISSING

    @property
    def replaces(self) -> bool:
        return self.kind.endswith("-replace")

    @property
    def secret(self) -> bool:
        return self.old is SECRET or self.new is SECRET


@dataclasses.dataclass(frozen=True)
class CrdShape:
    """What a reviewer needs of a CustomResourceDefinition: its kind and versions, not its
    schema."""

    group: str
    kind: str
    versions: tuple[str, ...]  # in the CRD's order; served-only ones marked "(not served)"
    storage: str | None

    @classmethod
    def of(cls, inputs: Any) -> "CrdShape | None":
        spec = inputs.get("spec") if isinstance(inputs, Mapping) else None
        if not isinstance(spec, Mapping):
            return None
        names = spec.get("names")
        if not isinstance(names, Mapping):
            names = {}
        versions: list[str] = []
        storage: str | None = None
        for version in spec.get("versions") or []:
            if not isinstance(version, Mapping) or not isinstance(version.get("name"), str):
                continue
            name = version["name"]
            versions.append(name if version.get("served", True) else f"{name} (not served)")
            if version.get("storage"):
                storage = name
        return cls(
            group=str(spec.get("group") or ""),
            kind=str(names.get("kind") or ""),
            versions=tuple(versions),
            storage=storage,
        )


@dataclasses.dataclass(frozen=True)
class Change:
    """What the preview intends for one resource (one logical step)."""

    urn: str
    op: str
    type: str
    parent: str
    provider: str
    properties: tuple[PropertyChange, ...] = ()
    replace_keys: tuple[str, ...] = ()
    namespace: str | None = None
    object_name: str | None = None
    unknowns: int = 0  # input values known only after apply
    crd_before: CrdShape | None = None  # a CustomResourceDefinition's kind and versions
    crd_after: CrdShape | None = None

    @property
    def name(self) -> str:
        return urn_name(self.urn)


@dataclasses.dataclass(frozen=True)
class PolicyFinding:
    policy: str
    pack: str
    level: str  # mandatory, advisory (remediate, disabled)
    severity: str
    urn: str
    description: str
    message: str


@dataclasses.dataclass(frozen=True)
class Diagnostic:
    severity: str  # error, warning, info, info#err
    message: str
    urn: str = ""


@dataclasses.dataclass
class Preview:
    form: str  # "summary" or "events"
    changes: list[Change]
    parents: dict[str, str]  # urn -> parent urn, for every step seen
    engine_counts: dict[str, int] | None  # the engine's own count per op, if it wrote one
    findings: list[PolicyFinding]
    diagnostics: list[Diagnostic]
    result: str | None  # summaryEvent.result: succeeded, failed, ...

    @property
    def stack(self) -> str | None:
        for change in self.changes:
            if change.urn.startswith("urn:pulumi:"):
                return change.urn.split("::", 1)[0][len("urn:pulumi:") :] or None
        return None

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def failed(self) -> bool:
        return self.result in ("failed", "canceled") or bool(self.errors)

    def counts(self) -> dict[str, int]:
        """Resources per op, counted from the steps; the summary document leaves unchanged
        resources out, so their number is the engine's."""
        counted: dict[str, int] = {}
        for change in self.changes:
            counted[change.op] = counted.get(change.op, 0) + 1
        if self.form == "summary" and self.engine_counts and self.engine_counts.get("same"):
            counted["same"] = self.engine_counts["same"]
        return counted


def urn_parts(urn: str) -> tuple[list[str], str]:
    """The type chain (outermost parent type first) and the name of a URN."""
    parts = urn.split("::", 3)
    if len(parts) < 4:
        return [], urn
    return parts[2].split("$"), parts[3]


def urn_type(urn: str) -> str:
    chain, _ = urn_parts(urn)
    return chain[-1] if chain else ""


def urn_name(urn: str) -> str:
    return urn_parts(urn)[1]


def provider_urn(reference: str) -> str:
    """`urn::id` provider reference -> the provider's URN."""
    if "::" not in reference:
        return reference
    urn, _, _ = reference.rpartition("::")
    return urn if urn.startswith("urn:") else reference


def clean(text: str) -> str:
    """A message without the engine's colour directives or terminal escapes."""
    return _COLOR.sub("", text or "").strip()


def normalize(value: Any) -> Any:
    """A property value with secrets replaced by SECRET and unknowns by UNKNOWN."""
    if isinstance(value, str):
        if value in UNKNOWN_VALUES:
            return UNKNOWN
        return SECRET if value == MASSAGED_SECRET else value
    if isinstance(value, Mapping):
        if value.get(SIG_KEY) == SECRET_SIG:
            return SECRET
        return {str(k): normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    return value


def parse_path(path: str) -> list[str | int] | None:
    """Pulumi property path syntax (`a.b[0]["c.d"]`) -> segments; None if malformed."""
    segments: list[str | int] = []
    current, i, n = "", 0, len(path)
    while i < n:
        c = path[i]
        if c == ".":
            if current:
                segments.append(current)
            current, i = "", i + 1
        elif c == "[":
            if current:
                segments.append(current)
                current = ""
            if path.startswith('["', i):
                j, buffer = i + 2, []
                while j < n and path[j] != '"':
                    if path[j] == "\\" and j + 1 < n:
                        j += 1
                    buffer.append(path[j])
                    j += 1
                if not path.startswith('"]', j):
                    return None
                segments.append("".join(buffer))
                i = j + 2
            else:
                j = path.find("]", i)
                if j < 0:
                    return None
                token = path[i + 1 : j]
                segments.append(int(token) if token.isdigit() else token)
                i = j + 1
        else:
            current += c
            i += 1
    if current:
        segments.append(current)
    return segments


def lookup(value: Any, path: str) -> Any:
    """The value at `path` (SECRET if a secret encloses it, UNKNOWN likewise, else MISSING)."""
    segments = parse_path(path)
    if segments is None:
        return MISSING
    for segment in segments:
        if value is SECRET or value is UNKNOWN:
            return value
        if isinstance(segment, int) and isinstance(value, list) and 0 <= segment < len(value):
            value = value[segment]
        elif isinstance(value, Mapping) and str(segment) in value:
            value = value[str(segment)]
        else:
            return MISSING
    return value


def count_unknowns(value: Any) -> int:
    if value is UNKNOWN:
        return 1
    if isinstance(value, Mapping):
        return sum(count_unknowns(v) for v in value.values())
    if isinstance(value, list):
        return sum(count_unknowns(v) for v in value)
    return 0


def _state(raw: Any) -> dict[str, Any]:
    return raw if isinstance(raw, dict) else {}


def _metadata(inputs: Any, outputs: Any) -> tuple[str | None, str | None]:
    for props in (inputs, outputs):
        meta = props.get("metadata") if isinstance(props, Mapping) else None
        if isinstance(meta, Mapping):
            name, namespace = meta.get("name"), meta.get("namespace")
            return (
                namespace if isinstance(namespace, str) else None,
                name if isinstance(name, str) else None,
            )
    return None, None


def _change(
    op: str,
    urn: str,
    type_: str,
    provider: str,
    old: dict[str, Any],
    new: dict[str, Any],
    detailed: Any,
    diff_kind_key: str,
    diffs: Iterable[str],
    replace_keys: Iterable[str],
) -> Change:
    old_inputs = normalize(old.get("inputs") or {})
    old_outputs = normalize(old.get("outputs") or {})
    new_inputs = normalize(new.get("inputs") or {})
    properties: list[PropertyChange] = []
    if isinstance(detailed, Mapping) and detailed:
        for path in sorted(detailed):
            entry = detailed[path] if isinstance(detailed[path], Mapping) else {}
            kind = str(
                entry.get(diff_kind_key) or entry.get("kind") or entry.get("diffKind") or "update"
            )
            before = old_inputs if entry.get("inputDiff") else (old_outputs or old_inputs)
            properties.append(
                PropertyChange(path, kind, lookup(before, path), lookup(new_inputs, path))
            )
    elif op in ("update", "replace"):
        keys = set(replace_keys)
        for path in sorted(set(diffs) | keys):
            kind = "update-replace" if path in keys else "update"
            properties.append(
                PropertyChange(
                    path, kind, lookup(old_outputs or old_inputs, path), lookup(new_inputs, path)
                )
            )
    namespace, name = _metadata(new_inputs or old_inputs, old_outputs)
    is_crd = str(type_ or new.get("type") or old.get("type") or urn_type(urn)).endswith(
        ":CustomResourceDefinition"
    )
    return Change(
        urn=urn,
        op=op,
        type=type_ or str(new.get("type") or old.get("type") or urn_type(urn)),
        parent=str(new.get("parent") or old.get("parent") or ""),
        provider=str(provider or new.get("provider") or old.get("provider") or ""),
        properties=tuple(properties),
        replace_keys=tuple(replace_keys),
        namespace=namespace,
        object_name=name,
        unknowns=count_unknowns(new_inputs) if op in ("create", "update", "replace") else 0,
        crd_before=CrdShape.of(old_inputs or old_outputs) if is_crd else None,
        crd_after=CrdShape.of(new_inputs) if is_crd and op != "delete" else None,
    )


def _strings(raw: Any) -> list[str]:
    return [str(x) for x in raw] if isinstance(raw, list) else []


def _counts(raw: Any) -> dict[str, int] | None:
    if not isinstance(raw, Mapping):
        return None
    return {str(op): int(n) for op, n in raw.items() if isinstance(n, int)}


def _finding(event: Mapping[str, Any]) -> PolicyFinding:
    text = clean(str(event.get("message", "")))
    description, _, message = text.partition("\n")
    return PolicyFinding(
        policy=str(event.get("policyName", "")),
        pack=str(event.get("policyPackName", "")),
        level=str(event.get("enforcementLevel", "")).lower(),
        severity=str(event.get("severity", "")).lower(),
        urn=str(event.get("resourceUrn", "")),
        description=description.strip(),
        message=message.strip(),
    )


def from_digest(document: Mapping[str, Any]) -> Preview:
    changes, parents = [], {}
    for step in document.get("steps") or []:
        if not isinstance(step, Mapping) or not step.get("urn"):
            continue
        old, new = _state(step.get("oldState")), _state(step.get("newState"))
        change = _change(
            str(step.get("op", "")),
            str(step["urn"]),
            "",
            str(step.get("provider") or ""),
            old,
            new,
            step.get("detailedDiff"),
            "kind",
            _strings(step.get("diffReasons")),
            _strings(step.get("replaceReasons")),
        )
        parents[change.urn] = change.parent
        if change.op not in REPLACEMENT_HALVES:
            changes.append(change)
    diagnostics = [
        Diagnostic(
            str(d.get("severity", "")), clean(str(d.get("message", ""))), str(d.get("urn", ""))
        )
        for d in document.get("diagnostics") or []
        if isinstance(d, Mapping)
    ]
    return Preview(
        "summary", changes, parents, _counts(document.get("changeSummary")), [], diagnostics, None
    )


def from_events(events: Iterable[Mapping[str, Any]]) -> Preview:
    changes: dict[tuple[str, str], Change] = {}
    parents: dict[str, str] = {}
    findings: list[PolicyFinding] = []
    diagnostics: list[Diagnostic] = []
    counts, result = None, None
    for event in events:
        for key in ("resourcePreEvent", "resOutputsEvent"):
            payload = event.get(key)
            if not isinstance(payload, Mapping):
                continue
            meta = payload.get("metadata")
            if not isinstance(meta, Mapping) or not meta.get("urn"):
                continue
            op, urn = str(meta.get("op", "")), str(meta["urn"])
            old, new = _state(meta.get("old")), _state(meta.get("new"))
            parent = str(new.get("parent") or old.get("parent") or "")
            if parent:
                parents[urn] = parent
            if not meta.get("logical") or (urn, op) in changes:
                continue  # halves of a replacement; the outputs event repeats the step
            changes[(urn, op)] = _change(
                op,
                urn,
                str(meta.get("type", "")),
                str(meta.get("provider") or ""),
                old,
                new,
                meta.get("detailedDiff"),
                "diffKind",
                _strings(meta.get("diffs")),
                _strings(meta.get("keys")),
            )
        if isinstance(policy := event.get("policyEvent"), Mapping):
            findings.append(_finding(policy))
        if isinstance(diag := event.get("diagnosticEvent"), Mapping):
            severity = str(diag.get("severity", ""))
            if not diag.get("ephemeral") and severity != "debug":
                message = clean(str(diag.get("prefix", "")) + str(diag.get("message", "")))
                diagnostics.append(Diagnostic(severity, message, str(diag.get("urn", ""))))
        if isinstance(error := event.get("errorEvent"), Mapping):
            diagnostics.append(Diagnostic("error", clean(str(error.get("error", "")))))
        if isinstance(failed := event.get("resOpFailedEvent"), Mapping):
            urn = str(_state(failed.get("metadata")).get("urn", ""))
            diagnostics.append(Diagnostic("error", f"operation failed on {urn_name(urn)}", urn))
        if "cancelEvent" in event and result is None:
            result = "canceled"  # the engine closes every stream with one: after a summary,
            # it means nothing; before any, the run was cut off
        if isinstance(summary := event.get("summaryEvent"), Mapping):
            counts = _counts(summary.get("resourceChanges"))
            result = str(summary.get("result") or "succeeded")
    return Preview("events", list(changes.values()), parents, counts, findings, diagnostics, result)


def load(text: str) -> Preview:
    """Either form of `pulumi preview --json` output -> a Preview (ReviewError if neither)."""
    stripped = text.strip()
    if not stripped:
        raise ReviewError(
            "the preview wrote no JSON: it failed before the engine ran "
            "(its error is in the job log)"
        )
    try:
        document = json.loads(stripped)
    except json.JSONDecodeError:
        document = None
    if isinstance(document, dict):
        if EVENT_KEYS & document.keys():
            return from_events([document])
        if document.keys() <= DIGEST_KEYS:
            return from_digest(document)
        raise ReviewError(
            "the JSON is neither a `pulumi preview --json` summary nor an engine "
            f"event (keys: {', '.join(sorted(document)[:6])})"
        )
    if document is not None:
        raise ReviewError(
            f"expected a JSON object from `pulumi preview --json`, got {type(document).__name__}"
        )
    if (start := stripped.find("\n{\n")) >= 0:  # a summary document after other messages
        try:
            document = json.loads(stripped[start:])
        except json.JSONDecodeError:
            document = None
        if isinstance(document, dict) and document.keys() <= DIGEST_KEYS:
            return from_digest(document)
    events = []
    for number, line in enumerate(stripped.splitlines(), 1):
        line = line.strip()
        if not line.startswith("{"):
            continue  # the CLI's own messages, when stderr was captured with stdout
        try:
            event = json.loads(line)
        except json.JSONDecodeError as error:
            raise ReviewError(
                f"line {number} is not valid JSON ({error.msg}, column "
                f"{error.colno}): is this `pulumi preview --json` output?"
            ) from None
        if isinstance(event, dict) and EVENT_KEYS & event.keys():
            events.append(event)
    if not events:
        raise ReviewError(
            "no engine events and no preview summary in the input: is this "
            "`pulumi preview --json` output?"
        )
    return from_events(events)
