"""The Markdown a reviewer reads: headline and risks, layer x cluster counts, each changed object
with its changed property paths, policy findings, all within one GitHub comment."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

from review.crds import crd_section
from review.layers import LAYERS
from review.preview import (
    MISSING,
    SECRET,
    UNKNOWN,
    Change,
    PolicyFinding,
    Preview,
    PropertyChange,
    provider_urn,
    urn_name,
    urn_parts,
    urn_type,
)

# GitHub refuses a comment body over 65536 characters.
COMMENT_LIMIT: Final = 65536

# The layer of a resource is its outermost `idp:platform:*` ComponentResource: review/layers.py,
# generated from the layers' records.
NO_LAYER: Final = "Stack and providers"
LAYER_ORDER: Final = list(dict.fromkeys([*LAYERS.values(), NO_LAYER]))
NO_CLUSTER: Final = "—"

# Objects whose replacement or deletion loses data or takes more with it.
STATEFUL_KINDS: Final = frozenset(
    {
        "PersistentVolumeClaim",
        "PersistentVolume",
        "StatefulSet",
        "Secret",
        "CustomResourceDefinition",
        "Namespace",
    }
)
RISKY_OPS: Final = ("replace", "delete")
CHANGE_OPS: Final = ("create", "update", "replace", "delete")
OTHER_OPS: Final = ("read", "import", "discard", "diff")
SYMBOLS: Final = {
    "create": "+",
    "update": "~",
    "replace": "±",
    "delete": "-",
    "read": ">",
    "import": "=>",
    "discard": "<",
    "diff": "?",
}
VERBS: Final = {
    "create": "to create",
    "update": "to update",
    "replace": "to replace",
    "delete": "to delete",
    "read": "to read",
    "import": "to import",
    "discard": "to discard",
    "diff": "to diff",
}
SECRET_TEXT: Final = "[secret]"
UNKNOWN_TEXT: Final = "(known after apply)"

# How much each rendering keeps; the first that fits the limit is used.
DETAIL_LEVELS: Final = (
    {"creates": "full", "values": True, "per_policy": 50, "paths": 12},
    {"creates": "by-kind", "values": True, "per_policy": 20, "paths": 8},
    {"creates": "by-kind", "values": False, "per_policy": 5, "paths": 4},
    {"creates": "none", "values": False, "per_policy": 0, "paths": 0},
)


def marker(stack: str) -> str:
    """The HTML comment that identifies the sticky comment of `stack`: a later run edits the
    comment carrying it instead of adding another."""
    return f"<!-- idp-review: stack={stack} -->"


# --- what each change is, where it runs, what it is called ---------------------------------


def layer_of(urn: str) -> str:
    """The outermost idp:platform component among the URN's parent types."""
    chain, _ = urn_parts(urn)
    for type_ in chain:
        if type_.startswith("idp:platform:"):
            return LAYERS.get(type_, type_.rsplit(":", 1)[-1])
    return NO_LAYER


def cluster_of(change: Change) -> str:
    """The cluster whose kubernetes provider the resource uses (the provider is named after
    the stack's cluster); NO_CLUSTER for components, the stack and other providers' resources."""
    if change.type == "pulumi:providers:kubernetes":
        return change.name
    provider = provider_urn(change.provider)
    if urn_type(provider) == "pulumi:providers:kubernetes":
        return urn_name(provider)
    return NO_CLUSTER


def kind_of(type_: str) -> str:
    """`kubernetes:apps/v1:Deployment` -> Deployment, `idp:platform:StateStore` -> StateStore,
    `pulumi:providers:kubernetes` -> provider kubernetes."""
    if type_.startswith("pulumi:providers:"):
        return f"provider {type_.rsplit(':', 1)[-1]}"
    return type_.rsplit(":", 1)[-1] if type_ else "resource"


def object_label(change: Change) -> str:
    kind = kind_of(change.type)
    if change.object_name:
        name = change.object_name
        if change.namespace:
            name = f"{change.namespace}/{name}"
    else:
        name = change.name
    return f"{kind} {code(name)}"


def is_risk(change: Change) -> bool:
    return change.op in RISKY_OPS and kind_of(change.type) in STATEFUL_KINDS


def is_secret_object(change: Change) -> bool:
    return change.type == "kubernetes:core/v1:Secret"


# --- text helpers ----------------------------------------------------------------------------


def code(text: str) -> str:
    text = str(text).replace("\n", " ").replace("`", "'")
    return f"`{text}`"


def cell(text: str) -> str:
    """Safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def ops_text(counts: Mapping[str, int]) -> str:
    return " ".join(
        f"{SYMBOLS[op]}{counts[op]}" for op in (*CHANGE_OPS, *OTHER_OPS) if counts.get(op)
    )


def value_text(value: Any, limit: int = 40) -> str:
    if value is SECRET:
        return SECRET_TEXT
    if value is UNKNOWN:
        return UNKNOWN_TEXT
    if value is MISSING:
        return "(none)"
    if isinstance(value, (dict, list)):
        return "{…}" if isinstance(value, dict) else "[…]"
    text = value if isinstance(value, str) else json.dumps(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return code(text)


def property_text(change: Change, prop: PropertyChange, values: bool) -> str:
    secret = prop.secret or (
        is_secret_object(change) and prop.path.split(".")[0].split("[")[0] in ("data", "stringData")
    )
    text = code(prop.path)
    if prop.replaces:
        text = f"**{text}** (replaces)"
    if secret:
        return f"{text} {SECRET_TEXT}"
    if prop.new is UNKNOWN:
        return f"{text} {UNKNOWN_TEXT}"
    if not values or is_secret_object(change):
        return text
    if prop.kind.startswith("add"):
        return f"{text}: {value_text(prop.new)}" if prop.new is not MISSING else text
    if prop.kind.startswith("delete"):
        return f"{text}: {value_text(prop.old)} removed" if prop.old is not MISSING else text
    if prop.old is MISSING and prop.new is MISSING:
        return text
    if isinstance(prop.old, str) and isinstance(prop.new, str) and "\n" in prop.old + prop.new:
        return f"{text}: {text_change(prop.old, prop.new)}"
    return f"{text}: {value_text(prop.old)} → {value_text(prop.new)}"


def text_change(old: str, new: str) -> str:
    """A multi-line value (a ConfigMap's file, say): the first line that differs."""
    before, after = old.splitlines(), new.splitlines()
    for number, (a, b) in enumerate(zip(before, after, strict=False), 1):
        if a != b:
            return f"line {number} {value_text(a.strip())} → {value_text(b.strip())}"
    if len(after) > len(before):
        return f"line {len(before) + 1} added {value_text(after[len(before)].strip())}"
    if len(before) > len(after):
        return f"line {len(after) + 1} removed {value_text(before[len(after)].strip())}"
    return "whitespace changed"


def properties_text(change: Change, values: bool, limit: int) -> str:
    if limit <= 0:
        return f"{len(change.properties)} paths" if change.properties else ""
    shown = [property_text(change, p, values) for p in change.properties[:limit]]
    more = len(change.properties) - limit
    if more > 0:
        shown.append(f"… and {more} more")
    if not shown and change.replace_keys:
        shown = [f"**{code(k)}** (replaces)" for k in change.replace_keys[:limit]]
    return "<br>".join(shown)


# --- sections -------------------------------------------------------------------------------


def headline(preview: Preview, stack: str, title: str) -> list[str]:
    counts = preview.counts()
    parts = [f"{counts[op]} {VERBS[op]}" for op in (*CHANGE_OPS, *OTHER_OPS) if counts.get(op)]
    same = counts.get("same", 0)
    if preview.failed:
        status = "❌ failed"
        what = (", ".join(parts) or "no changes") + (" so far" if not preview.engine_counts else "")
        return [f"### {status}: {title} of `{stack}` ({what})"]
    unchanged = f" ({same} unchanged)" if same else ""
    if not parts:
        return [f"### ✅ {title} of `{stack}`: no changes{unchanged}"]
    return [f"### {title} of `{stack}`: {', '.join(parts)}{unchanged}"]


def failure_section(preview: Preview, log_url: str | None, log_tail: str | None) -> list[str]:
    if not preview.failed:
        return []
    messages = [d.message for d in preview.errors]
    seen: list[str] = []
    for message in messages:
        short = "\n".join(message.strip().splitlines()[:12])[:1200]
        if short and short not in seen:
            seen.append(short)
    lines = [
        "**The preview failed.**"
        + (f" Full output: [job log]({log_url})." if log_url else " Full output: the job log.")
    ]
    if not seen and log_tail:
        seen = ["\n".join(log_tail.strip().splitlines()[-12:])[-1200:]]
    if not seen:
        seen = [f"the engine reported result `{preview.result or 'unknown'}` without an error"]
    lines += ["", "```text", *"\n---\n".join(seen[:3]).replace("```", "'''").splitlines(), "```"]
    if len(seen) > 3:
        lines.append(f"… and {len(seen) - 3} more errors in the job log.")
    return lines + [""]


def risks_section(preview: Preview) -> list[str]:
    risky = [c for c in preview.changes if is_risk(c)]
    if not risky:
        return []
    lines = [
        "> [!CAUTION]",
        f"> **{len(risky)} stateful object(s) replaced or deleted** "
        "(data, credentials or everything inside may go with them):",
    ]
    for change in risky[:30]:
        why = ""
        keys = [p.path for p in change.properties if p.replaces] or list(change.replace_keys)
        if change.op == "replace" and keys:
            why = " — replaced because of " + ", ".join(code(k) for k in keys[:5])
        lines.append(
            f"> - **{change.op}** {object_label(change)} "
            f"({layer_of(change.urn)}, {cluster_of(change)}){why}"
        )
    if len(risky) > 30:
        lines.append(f"> - … and {len(risky) - 30} more")
    return lines + [""]


def policy_line(preview: Preview) -> str:
    if preview.form == "summary":
        return (
            "**Policy:** not in this form of the output: policy findings come only with "
            "`PULUMI_ENABLE_STREAMING_JSON_PREVIEW=true`."
        )
    mandatory = [f for f in preview.findings if f.level == "mandatory"]
    advisory = [f for f in preview.findings if f.level != "mandatory"]
    if not preview.findings:
        return "**Policy:** ✅ no findings from the policy packs."
    parts = []
    if mandatory:
        parts.append(f"❌ {len(mandatory)} mandatory violation(s): this check fails")
    if advisory:
        parts.append(f"⚠️ {len(advisory)} advisory finding(s)")
    return "**Policy:** " + " · ".join(parts) + "."


def unknowns_line(preview: Preview) -> list[str]:
    unknown = sum(c.unknowns for c in preview.changes)
    if not unknown:
        return []
    objects = sum(1 for c in preview.changes if c.unknowns)
    return [
        f"{unknown} input value(s) of {objects} object(s) are known only after apply "
        f"(shown as {UNKNOWN_TEXT}).",
        "",
    ]


def changed(preview: Preview) -> list[Change]:
    return [c for c in preview.changes if c.op != "same"]


def clusters_in(changes: Iterable[Change]) -> list[str]:
    found = {cluster_of(c) for c in changes}
    ordered = sorted(found - {NO_CLUSTER, "platform"})
    return (
        (["platform"] if "platform" in found else [])
        + ordered
        + ([NO_CLUSTER] if NO_CLUSTER in found else [])
    )


def by_layer(changes: Iterable[Change]) -> dict[str, list[Change]]:
    grouped: dict[str, list[Change]] = {}
    for change in changes:
        grouped.setdefault(layer_of(change.urn), []).append(change)

    def rank(layer: str) -> tuple[int, str]:
        return (LAYER_ORDER.index(layer) if layer in LAYER_ORDER else len(LAYER_ORDER), layer)

    return {layer: grouped[layer] for layer in sorted(grouped, key=rank)}


def op_counts(changes: Iterable[Change]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for change in changes:
        counts[change.op] = counts.get(change.op, 0) + 1
    return counts


def layer_table(preview: Preview) -> list[str]:
    changes = changed(preview)
    clusters = clusters_in(changes)
    lines = [
        "| layer | "
        + " | ".join(code(c) if c != NO_CLUSTER else c for c in clusters)
        + " | total |",
        "|---" * (len(clusters) + 2) + "|",
    ]
    for layer, members in by_layer(changes).items():
        row = [f"**{layer}**"]
        for cluster in clusters:
            row.append(ops_text(op_counts(c for c in members if cluster_of(c) == cluster)))
        row.append(ops_text(op_counts(members)))
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    lines.append(
        f"`+` create · `~` update · `±` replace · `-` delete · {NO_CLUSTER}: no "
        "cluster (components, generated values, the stack)"
    )
    return lines + [""]


def layer_details(preview: Preview, detail: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    for layer, members in by_layer(changed(preview)).items():
        lines += [f"<details><summary><b>{layer}</b>: {ops_text(op_counts(members))}</summary>", ""]
        listed = [c for c in members if c.op != "create" or detail["creates"] == "full"]
        creates = [c for c in members if c.op == "create"]
        with_properties = any(c.properties or c.replace_keys for c in listed)
        if listed:
            lines += (
                ["| | object | cluster | changed properties |", "|---|---|---|---|"]
                if with_properties
                else ["| | object | cluster |", "|---|---|---|"]
            )
            for change in sorted(
                listed,
                key=lambda c: (
                    CHANGE_OPS.index(c.op) if c.op in CHANGE_OPS else 9,
                    cluster_of(c),
                    object_label(c),
                ),
            ):
                row = (
                    f"| {SYMBOLS.get(change.op, change.op)} | "
                    f"{cell(object_label(change))} | {cell(cluster_of(change))} |"
                )
                if with_properties:
                    props = properties_text(change, detail["values"], detail["paths"])
                    row += f" {cell(props)} |"
                lines.append(row)
            lines.append("")
        if creates and detail["creates"] == "by-kind":
            kinds: dict[str, int] = {}
            for change in creates:
                kinds[kind_of(change.type)] = kinds.get(kind_of(change.type), 0) + 1
            listing = ", ".join(
                f"{n} {kind}" for kind, n in sorted(kinds.items(), key=lambda kv: -kv[1])
            )
            lines += [f"Created ({len(creates)}): {listing}.", ""]
        elif creates and detail["creates"] == "none":
            lines += [f"{len(creates)} created (listed in the job log).", ""]
        lines += ["</details>", ""]
    return lines


def finding_target(finding: PolicyFinding, by_urn: Mapping[str, Change]) -> str:
    if not finding.urn:
        return "the stack"
    change = by_urn.get(finding.urn)
    if change is not None:
        return f"{object_label(change)} on {code(cluster_of(change))}"
    return f"{kind_of(urn_type(finding.urn))} {code(urn_name(finding.urn))}"


def policy_section(
    preview: Preview, remediation: Callable[[str], str | None], per_policy: int
) -> list[str]:
    if not preview.findings:
        return []
    by_urn = {c.urn: c for c in preview.changes}
    groups: dict[tuple[str, str, str], list[PolicyFinding]] = {}
    for finding in preview.findings:
        groups.setdefault((finding.level, finding.pack, finding.policy), []).append(finding)
    order = sorted(groups, key=lambda k: (k[0] != "mandatory", k[1], k[2]))
    lines = ["#### Policy findings", ""]
    for level in ("mandatory", "other"):
        keys = [k for k in order if (k[0] == "mandatory") == (level == "mandatory")]
        if not keys:
            continue
        lines += [
            "**Mandatory** (block the change):"
            if level == "mandatory"
            else "**Advisory** (reported, not blocking):",
            "",
        ]
        for key in keys:
            members = groups[key]
            first = members[0]
            icon = "❌" if key[0] == "mandatory" else "⚠️"
            severity = f", {first.severity}" if first.severity else ""
            lines.append(
                f"- {icon} **{code(first.policy)}** ({first.pack}{severity}, "
                f"{len(members)} finding(s)): {first.description}"
            )
            fix = remediation(first.policy)
            if fix:
                lines.append(f"  *Remediation:* {fix}")
            for finding in members[:per_policy]:
                message = f": {finding.message}" if finding.message else ""
                lines.append(f"  - {finding_target(finding, by_urn)}{message}")
            if len(members) > per_policy:
                lines.append(f"  - … and {len(members) - per_policy} more in the job log")
        lines.append("")
    return lines


def warnings_section(preview: Preview, limit: int) -> list[str]:
    distinct: dict[str, int] = {}
    for diagnostic in preview.diagnostics:
        if diagnostic.severity == "warning" and diagnostic.message:
            short = diagnostic.message.strip().splitlines()[0][:300]
            short = short.removeprefix("warning: ").strip()
            distinct[short] = distinct.get(short, 0) + 1
    if not distinct:
        return []
    total = sum(distinct.values())
    lines = [f"<details><summary>{total} warning(s) from the engine</summary>", ""]
    for message, count in list(distinct.items())[:limit]:
        times = f" (×{count})" if count > 1 else ""
        lines.append(f"- {code(message)}{times}")
    if len(distinct) > limit:
        lines.append(f"- … and {len(distinct) - limit} more in the job log")
    return lines + ["", "</details>", ""]


def footer(preview: Preview, log_url: str | None) -> list[str]:
    form = "engine-event stream" if preview.form == "events" else "summary document"
    log = f" · [full preview in the job log]({log_url})" if log_url else ""
    return [f"<sub>scripts/review, from the `pulumi preview --json` {form}{log}</sub>"]


def _render(
    preview: Preview,
    stack: str,
    title: str,
    remediation: Callable[[str], str | None],
    log_url: str | None,
    log_tail: str | None,
    detail: Mapping[str, Any],
    crds: Preview | None = None,
) -> str:
    lines = [marker(stack), *headline(preview, stack, title), ""]
    if crds is not None:
        lines += risks_section(crds)
        lines += crd_section(crds, stack, cluster_of, detail, failure_section(crds, log_url, None))
        lines += [f"#### Platform stack `{stack}`", ""]
    lines += failure_section(preview, log_url, log_tail)
    lines += risks_section(preview)
    lines += [policy_line(preview), ""]
    lines += unknowns_line(preview)
    if changed(preview):
        lines += layer_table(preview)
        lines += layer_details(preview, detail)
    lines += policy_section(preview, remediation, detail["per_policy"])
    lines += warnings_section(preview, max(detail["paths"], 3))
    lines += footer(preview, log_url)
    return "\n".join(lines) + "\n"


def _cut(text: str, limit: int, log_url: str | None) -> str:
    """Hard truncation at a line boundary, closing an open <details>, with a pointer."""
    note = (
        "\n\n**Truncated** to fit one GitHub comment: the full preview is in the "
        + (f"[job log]({log_url})." if log_url else "job log.")
        + "\n"
    )
    room = limit - len(note) - len("\n</details>\n")
    cut = text[:room].rsplit("\n", 1)[0]
    if cut.count("<details>") > cut.count("</details>"):
        cut += "\n</details>"
    return cut + note


def render(
    preview: Preview,
    *,
    stack: str | None = None,
    title: str = "Pulumi preview",
    remediation: Callable[[str], str | None] | Mapping[str, str] | None = None,
    log_url: str | None = None,
    log_tail: str | None = None,
    limit: int = COMMENT_LIMIT,
    crds: Preview | None = None,
) -> str:
    """The Markdown summary of `preview`, at most `limit` characters; with `crds`, the CRD
    stack's preview (docs/stacks.md) in the same comment, above the platform's."""
    stack = stack or preview.stack or "stack"
    if remediation is None:
        remediation = {}
    lookup = remediation.get if isinstance(remediation, Mapping) else remediation
    text = ""
    for detail in DETAIL_LEVELS:
        text = _render(preview, stack, title, lookup, log_url, log_tail, detail, crds)
        if len(text) <= limit:
            return text
    return _cut(text, limit, log_url)


def summary_counts(preview: Preview) -> dict[str, int]:
    """The headline's counts (what the engine calls each op), for callers and tests."""
    return preview.counts()


__all__: Sequence[str] = [
    "COMMENT_LIMIT",
    "LAYERS",
    "marker",
    "render",
    "layer_of",
    "cluster_of",
    "summary_counts",
]
