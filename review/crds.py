"""The CRD stack's part of a review comment (docs/stacks.md): each CustomResourceDefinition
that changes, by cluster, kind, group and versions, and for an update what moves (a version
added or dropped, the storage version, a version's schema), never the schema itself."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from review.preview import Change, CrdShape, Preview

_VERSION_PATH = re.compile(r"^spec\.versions\[(\d+)\]\.?(.*)$")
OPS = ("create", "update", "replace", "delete")
SYMBOLS = {"create": "+", "update": "~", "replace": "±", "delete": "-"}


def versions_text(shape: CrdShape | None) -> str:
    if shape is None or not shape.versions:
        return "—"
    return ", ".join(
        f"**{v}**" if shape.storage and v == shape.storage else v for v in shape.versions
    )


def _version_at(change: Change, index: int) -> str:
    for shape in (change.crd_after, change.crd_before):
        if shape is not None and index < len(shape.versions):
            return shape.versions[index].removesuffix(" (not served)")
    return f"#{index}"


def what_changes(change: Change) -> str:
    """An update's or replace's moves, in words a reviewer can weigh."""
    before, after = change.crd_before, change.crd_after
    if change.op == "create":
        return "new kind" if before is None else "created again"
    if change.op == "delete":
        return "**deleted: every object of this kind goes with it** (unless retained)"
    moves: list[str] = []
    old = {v.removesuffix(" (not served)"): v for v in (before.versions if before else ())}
    new = {v.removesuffix(" (not served)"): v for v in (after.versions if after else ())}
    moves += [f"version {v} added" for v in new if v not in old]
    moves += [f"**version {v} dropped**" for v in old if v not in new]
    moves += [
        f"{v} now {'served' if new[v] == v else 'not served'}"
        for v in new
        if v in old and old[v] != new[v]
    ]
    if before and after and before.storage != after.storage:
        moves.append(f"storage version {before.storage} → {after.storage}")
    schemas: list[str] = []
    other: list[str] = []
    for prop in change.properties:
        found = _VERSION_PATH.match(prop.path)
        if found:
            version = _version_at(change, int(found.group(1)))
            if (version in new) != (version in old):
                continue  # added or dropped whole: said above
            part = (found.group(2) or "").split(".")[0].split("[")[0] or "version"
            text = f"schema of {version}" if part == "schema" else f"{part} of {version}"
            if text not in schemas:
                schemas.append(text)
        elif not prop.path.startswith("spec.versions"):
            head = ".".join(prop.path.split(".")[:2]).split("[")[0]
            if head not in other:
                other.append(head)
    if change.op == "replace":
        keys = [p.path for p in change.properties if p.replaces] or list(change.replace_keys)
        moves.insert(0, "**replaced** (" + ", ".join(f"`{k}`" for k in keys[:3]) + ")")
    moves += schemas + [f"`{path}`" for path in other]
    return "; ".join(moves[:8]) or "metadata only"


def crd_changes(preview: Preview) -> list[Change]:
    return [
        c for c in preview.changes if c.type.endswith(":CustomResourceDefinition") and c.op in OPS
    ]


def crd_section(
    preview: Preview,
    stack: str,
    cluster_of: Callable[[Change], str],
    detail: Mapping[str, Any],
    failure: Iterable[str] = (),
) -> list[str]:
    """Lines for the CRD stack's preview; `failure` is its failure section when it failed."""
    changes = crd_changes(preview)
    counts: dict[str, int] = {}
    for change in changes:
        counts[change.op] = counts.get(change.op, 0) + 1
    same = sum(
        1
        for c in preview.changes
        if c.op == "same" and c.type.endswith(":CustomResourceDefinition")
    )
    parts = [f"{counts[op]} to {op}" for op in OPS if counts.get(op)]
    state = "❌ failed" if preview.failed else (", ".join(parts) or "no changes")
    unchanged = f" ({same} unchanged)" if same else ""
    lines = [f"#### CRD stack `idp-crds/{stack}`: {state}{unchanged}", ""]
    lines += list(failure)
    if not changes:
        return lines
    lines += [
        "Applied before the platform stack (`scripts/up` runs both); kinds and versions, "
        "schemas left out. **Bold**: the storage version.",
        "",
    ]
    listed = [c for c in changes if c.op != "create" or detail.get("creates") == "full"]
    if listed:
        lines += [
            "| cluster | | kind | group | versions | what changes |",
            "|---|---|---|---|---|---|",
        ]
        order = {op: i for i, op in enumerate(("delete", "replace", "update", "create"))}
        for change in sorted(listed, key=lambda c: (order[c.op], cluster_of(c), _kind(c))):
            shape = change.crd_after or change.crd_before
            versions = versions_text(change.crd_after)
            if change.op in ("update", "replace") and change.crd_before != change.crd_after:
                versions = f"{versions_text(change.crd_before)} → {versions}"
            elif change.op == "delete":
                versions = versions_text(change.crd_before)
            lines.append(
                f"| {cluster_of(change)} | {SYMBOLS[change.op]} | {_kind(change)} "
                f"| {shape.group if shape else '—'} | {versions} | {what_changes(change)} |"
            )
        lines.append("")
    created = [c for c in changes if c.op == "create" and c not in listed]
    if created:
        # Too many for the comment: the new kinds counted per cluster and group.
        per: dict[tuple[str, str], int] = {}
        for change in created:
            shape = change.crd_after
            key = (cluster_of(change), shape.group if shape else "—")
            per[key] = per.get(key, 0) + 1
        lines.append(
            "New kinds: "
            + "; ".join(f"{cluster} {group} ({n})" for (cluster, group), n in sorted(per.items()))
            + "."
        )
        lines.append("")
    return lines


def _kind(change: Change) -> str:
    shape = change.crd_after or change.crd_before
    return (shape.kind if shape and shape.kind else change.object_name) or change.name
