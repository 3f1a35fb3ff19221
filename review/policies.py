"""Remediation text of the repository's policy packs, by policy name.

The engine's policy events carry each finding's message but not the policy's remediation steps,
so they come from the packs themselves: imported when the Pulumi policy SDK is installed (each
pack's `POLICIES`), else read from the sources, where every `resource_policy(...)` /
`stack_policy(...)` call (policies/lib/metadata.py) names the policy first and passes
`remediation="..."` (a literal; f-strings are skipped), so the CLI also runs on the standard
library alone.
"""

from __future__ import annotations

import ast
import importlib
import sys
from pathlib import Path

DECLARATIONS = {
    "resource_policy",
    "stack_policy",
    "ResourceValidationPolicy",
    "StackValidationPolicy",
}
REMEDIATION_KEYWORDS = ("remediation", "remediation_steps")


def _literal(node: ast.AST | None) -> str | None:
    if node is None:
        return None
    try:
        value = ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError):
        return None
    return value if isinstance(value, str) else None


def _callee(call: ast.Call) -> str:
    func = call.func
    return (
        func.id
        if isinstance(func, ast.Name)
        else (func.attr if isinstance(func, ast.Attribute) else "")
    )


def _imported(packs_root: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    root = str(packs_root.resolve().parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    for pack in sorted(p.parent.name for p in packs_root.glob("*/PulumiPolicy.yaml")):
        try:
            module = importlib.import_module(f"{packs_root.name}.{pack}")
        except Exception:  # noqa: BLE001 - no SDK, or a pack that does not import: sources
            continue
        for policy in getattr(module, "POLICIES", []):
            name, fix = getattr(policy, "name", None), getattr(policy, "remediation_steps", None)
            if isinstance(name, str) and isinstance(fix, str):
                found[name] = " ".join(fix.split())
    return found


def remediations(packs_root: Path) -> dict[str, str]:
    """{policy name: remediation} for every policy declared under `packs_root` (policies/)."""
    found: dict[str, str] = {}
    if not packs_root.is_dir():
        return found
    found.update(_from_sources(packs_root))
    found.update(_imported(packs_root))
    return found


def _from_sources(packs_root: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for source in sorted(packs_root.rglob("*.py")):
        try:
            tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
        except (OSError, SyntaxError, UnicodeDecodeError):
            continue
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            if _callee(call) not in DECLARATIONS:
                continue
            keywords = {k.arg: k.value for k in call.keywords if k.arg}
            name = _literal(call.args[0]) if call.args else _literal(keywords.get("name"))
            fix = next(
                (t for k in REMEDIATION_KEYWORDS if (t := _literal(keywords.get(k))) is not None),
                None,
            )
            if name and fix:
                found[name] = " ".join(fix.split())
    return found
