"""Every registration of a shipped stack under the mocks harness, as sorted, canonical JSON.

    python scripts/registrations_dump.py dev prod --out .dumps/before   # .dumps/before-dev.json ...

For a refactoring that must not change behaviour: dump before, dump after, `cmp` the files. Each
registration carries its type, name, parent, provider, dependencies, inputs (secrets revealed and
marked `{"<secret>": ...}`) and the resource transforms by their qualified name (not their
module, so moving a function to another module keeps the dump); then the stack transforms and the
stack outputs, resolved. Sorted by URN: under mocks the registration order varies from run to
run. The ambient kubeconfig is hidden, as the unit tests hide it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _plain(value: Any) -> Any:
    """Inputs as JSON: secret markers spelled out, other special values by their signature."""
    from pulumi.runtime import rpc

    if isinstance(value, dict):
        sig = value.get(rpc._special_sig_key)
        if sig == rpc._special_secret_sig:
            return {"<secret>": _plain(value.get("value"))}
        if sig is not None:
            return {
                "<special>": sig,
                **{k: _plain(v) for k, v in value.items() if k != rpc._special_sig_key},
            }
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return {"<object>": type(value).__qualname__, "repr": repr(value)}


def _name(function: Any) -> str:
    return getattr(function, "__qualname__", type(function).__qualname__)


async def _resolved(outputs: dict[str, Any]) -> dict[str, Any]:
    import pulumi

    resolved = {}
    for key, value in outputs.items():
        output = pulumi.Output.from_input(value)
        plain = _plain(await output.future(with_unknowns=True))
        resolved[key] = {"<secret>": plain} if await output.is_secret() else plain
    return resolved


def dump(stack: str) -> str:
    """The canonical JSON of what `stack` registers and exports."""
    from pulumi.runtime.sync_await import _sync_await

    from tests.harness import run_program, stack_file_config

    registry = run_program(stack_file_config(stack), stack)
    registrations = [
        {
            "type": r.type,
            "name": r.name,
            "urn": r.urn,
            "parent": r.parent,
            "provider": r.provider,
            "dependencies": sorted(r.dependencies),
            "acceptResources": r.accept_resources,
            "inputs": _plain(r.inputs),
            "transforms": [_name(t) for t in r.transforms],
        }
        for r in registry.all
    ]
    document = {
        "registrations": sorted(registrations, key=lambda r: (r["urn"], json.dumps(r))),
        "stackTransforms": [_name(t) for t in registry.stack_transforms],
        "outputs": _sync_await(_resolved(dict(registry.outputs))),
    }
    return json.dumps(document, sort_keys=True, indent=1, ensure_ascii=True) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("stacks", nargs="*", default=["dev", "prod"])
    parser.add_argument("--out", default=".dumps/dump", help="prefix: writes <out>-<stack>.json")
    args = parser.parse_args()
    # The shipped stacks name contexts of an ambient kubeconfig; like the tests, read none. The
    # same path from every checkout: the provider's inputs carry it.
    os.environ["KUBECONFIG"] = "/nonexistent/idp-registrations-dump/kubeconfig"
    os.environ.setdefault("IDP_CHART_MIRROR", str(REPO.parent / "shared" / "charts"))
    for stack in args.stacks:
        path = Path(f"{args.out}-{stack}.json")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump(stack))
        print(f"{path}: {path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    asyncio.set_event_loop(asyncio.new_event_loop())
    raise SystemExit(main())
