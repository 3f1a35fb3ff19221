"""`pulumi preview` of each shipped stack through the real engine, against the engine's floor.

Every preview runs in a throw-away offline workspace (scripts/engine_workspace.py: local
backend, own plugin cache, fixture chart mirror, every cluster rendered to files), so nothing
is contacted. Four timings per stack, each the median of `--repeats` runs after one warm-up,
the four taking turns so that load from other work falls on all alike; wall and CPU seconds
(the engine, language host, program, policy packs and providers together):

- `preview`: the stack as shipped, without policy packs;
- `preview + policies`: the same with both policy packs and their committed config;
- `floor`: a trivial program in the same engine and workspace setup that registers as many
  resources as the stack's preview counts: one render-mode kubernetes provider and plain
  ConfigMaps. It pays what every resource costs the engine (registration, the kubernetes
  provider's Check and Diff, the snapshot) and nothing the platform chooses to do;
- `floor + policies`: the floor with both policy packs: what the packs cost on plain objects,
  mostly starting them.

    python -m bench.engine [--repeats 3]   # -> bench/results/engine.json
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

from bench import results
from tests.engine.conftest import engine_workspace

STACKS = ("dev", "prod")
FLOOR_PROGRAM = '''"""Engine floor: one render-mode provider and plain ConfigMaps, nothing else."""
import pulumi
import pulumi_kubernetes as k8s

count = pulumi.Config().require_int("configMaps")
provider = k8s.Provider("floor", render_yaml_to_directory="rendered/floor")
for index in range(count):
    # In a namespace of their own, as the platform's objects are: no policy objects to them.
    k8s.core.v1.ConfigMap(f"floor-{index}", metadata={"namespace": "bench-floor"},
                          data={"index": str(index)},
                          opts=pulumi.ResourceOptions(provider=provider))
'''


def to_create(output: str) -> int:
    found = re.search(r"\+ (\d+) to create", output)
    if not found:
        raise SystemExit(f"no resource count in the preview:\n{output[-3000:]}")
    return int(found.group(1))


def timed_preview(workspace, *args: str) -> tuple[float, float, int]:
    """Wall and CPU seconds of one preview (the CLI, language host, program, policy packs and
    providers, all waited for), and the resources it counts."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    output = workspace.pulumi("preview", *args).stdout
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, to_create(output)


def interleaved(runs: dict[str, tuple], repeats: int) -> dict[str, dict]:
    """Median wall and CPU seconds of each run, after one warm-up each; the runs take turns so
    load from other work on the machine falls on all of them alike."""
    for workspace, args in runs.values():
        timed_preview(workspace, *args)
    samples: dict[str, list] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, (workspace, args) in runs.items():
            samples[name].append(timed_preview(workspace, *args))
    return {name: {"wall": round(statistics.median(s[0] for s in runs_), 2),
                   "cpu": round(statistics.median(s[1] for s in runs_), 2),
                   "resources": runs_[0][2]}
            for name, runs_ in samples.items()}


def percent_more(value: float, baseline: float) -> float:
    return round(100 * (value / baseline - 1), 1)


def floor_workspace(tmp: Path, engine_bin: Path, resources: int):
    """A trivial project whose preview counts `resources` (the stack and the provider
    included)."""
    root = tmp / "floor"
    root.mkdir(parents=True)
    (root / "Pulumi.yaml").write_text("name: idp-floor\nruntime: python\n")
    (root / "__main__.py").write_text(FLOOR_PROGRAM)
    (root / "Pulumi.floor.yaml").write_text(
        yaml.safe_dump({"config": {"idp-floor:configMaps": resources - 2}}))
    env = engine_workspace.engine_env(engine_bin, tmp / "floor-state", tmp / "floor-home")
    workspace = engine_workspace.Workspace(root, "floor", env)
    engine_workspace.install_plugins(engine_bin, env)
    workspace.init_stack()
    return workspace


def bench_stack(stack: str, engine_bin: Path, repeats: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix=f"idp-bench-{stack}-"))
    workspace = engine_workspace.offline_workspace(tmp, engine_bin, stack)
    _, _, resources = timed_preview(workspace)
    floor = floor_workspace(tmp, engine_bin, resources)
    policies = tuple(workspace.policy_args())
    timings = interleaved({"preview": (workspace, ()),
                           "with_policies": (workspace, policies),
                           "floor": (floor, ()),
                           # What the packs cost on plain objects: mostly their fixed start.
                           "floor_with_policies": (floor, policies)}, repeats)
    for name in ("floor", "floor_with_policies"):
        assert timings[name]["resources"] == resources, (timings, resources)
    preview, with_policies, floor_, floor_policies = (
        timings[k] for k in ("preview", "with_policies", "floor", "floor_with_policies"))
    row = {"stack": stack, "resources": resources,
           "preview_seconds": preview["wall"], "preview_cpu_seconds": preview["cpu"],
           "with_policies_seconds": with_policies["wall"],
           "with_policies_cpu_seconds": with_policies["cpu"],
           "floor_seconds": floor_["wall"], "floor_cpu_seconds": floor_["cpu"],
           "floor_with_policies_seconds": floor_policies["wall"],
           "floor_with_policies_cpu_seconds": floor_policies["cpu"],
           "preview_vs_floor": round(preview["wall"] / floor_["wall"], 2),
           "preview_vs_floor_cpu": round(preview["cpu"] / floor_["cpu"], 2),
           "policy_overhead_pct": percent_more(with_policies["wall"], preview["wall"]),
           "policy_overhead_cpu_pct": percent_more(with_policies["cpu"], preview["cpu"]),
           "load_average": round(os.getloadavg()[0], 2)}
    print(f"{stack}: {row}", flush=True)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args()
    engine_bin = engine_workspace.bootstrap()
    rows = [bench_stack(stack, engine_bin, options.repeats) for stack in STACKS]
    results.save("engine", {"repeats": options.repeats, "stacks": rows,
                            "machine": results.machine()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
