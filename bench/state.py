"""What a stack's state is made of: bytes per resource type and the largest resources.

The local backend rewrites the whole checkpoint after every step of an `up`, so the state's size
is paid once per step; this shows where those bytes are. The kubernetes provider keeps each
object three times (the resource's inputs, the live object as outputs, and the inputs again
under the outputs' `__inputs`).

    python -m bench.state PATH/TO/stack.json [--top 15]     # a checkpoint or `pulumi stack export`
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path


def resources_of(document: dict) -> list[dict]:
    deployment = document.get("checkpoint", {}).get("latest") or document.get("deployment") or {}
    return deployment.get("resources") or []


def composition(document: dict) -> dict:
    """Bytes per type and per resource (its inputs and outputs as JSON)."""
    by_type, by_resource, counts = Counter(), Counter(), Counter()
    for res in resources_of(document):
        size = len(json.dumps(res.get("inputs") or {})) + len(json.dumps(res.get("outputs") or {}))
        by_type[res["type"]] += size
        counts[res["type"]] += 1
        by_resource[res["urn"].rsplit("::", 1)[-1]] += size
    total = sum(by_type.values())
    crds = by_type.get("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", 0)
    return {"resources": sum(counts.values()), "bytes": total, "crd_bytes": crds,
            "crd_share": round(crds / total, 3) if total else 0,
            "by_type": [(t, counts[t], b) for t, b in by_type.most_common()],
            "largest": by_resource.most_common()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--top", type=int, default=15)
    options = parser.parse_args()
    found = composition(json.loads(options.path.read_text()))
    print(f"{found['resources']} resources, {found['bytes'] / 1e6:.1f} MB of inputs and outputs; "
          f"CRDs {found['crd_bytes'] / 1e6:.1f} MB ({100 * found['crd_share']:.0f}%)")
    for kind, count, size in found["by_type"][:options.top]:
        print(f"  {size / 1e6:7.2f} MB  {count:4d}  {kind}")
    print("largest:")
    for name, size in found["largest"][:options.top]:
        print(f"  {size / 1e6:7.2f} MB  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
