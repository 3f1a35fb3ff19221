"""Program evaluation under Pulumi mocks, for scaled stacks (bench/stacks.py).

Each point runs in a fresh interpreter, so peak memory and import caches belong to that point
alone. The child reports the time to evaluate the program (config validation and every
registration through tests/harness.py's recording mock monitor), the process's peak resident
memory, and how many resources it registered.

    python -m bench.program                 # the whole grid -> bench/results/program.json
    python -m bench.program --point 50 3    # one point, printed as JSON
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

from bench import results
from bench.stacks import BASE_STACK, DESTINATION_COUNTS, TEAM_COUNTS


def measure_point(teams: int, destinations: int) -> dict:
    """Runs in the child: evaluate one scaled stack and measure it."""
    from bench.stacks import scaled_config
    from tests.harness import run_program
    config = scaled_config(teams, destinations)
    # The program's own modules (components, the SDK's kubernetes types) are imported inside
    # the run, as in a preview.
    started, cpu_started = time.perf_counter(), time.process_time()
    registry = run_program(config, BASE_STACK)
    finished, cpu_finished = time.perf_counter(), time.process_time()
    return {"teams": teams, "destinations": destinations,
            "resources": len(registry.all),
            "evaluate_seconds": round(finished - started, 3),
            "evaluate_cpu_seconds": round(cpu_finished - cpu_started, 3),
            # Linux reports kilobytes.
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def run_point(teams: int, destinations: int) -> dict:
    child = subprocess.run([sys.executable, "-m", "bench.program", "--point", str(teams),
                            str(destinations)], cwd=results.REPO, capture_output=True,
                           text=True, check=False)
    if child.returncode != 0:
        raise SystemExit(f"point {teams}x{destinations} failed:\n{child.stderr[-3000:]}")
    return json.loads(child.stdout.strip().splitlines()[-1])


def run_grid(repeats: int) -> dict:
    points = []
    for destinations in DESTINATION_COUNTS:
        for teams in TEAM_COUNTS:
            runs = [run_point(teams, destinations) for _ in range(repeats)]
            best = min(runs, key=lambda run: run["evaluate_cpu_seconds"])
            best["cpu_ms_per_resource"] = round(
                1000 * best["evaluate_cpu_seconds"] / best["resources"], 2)
            points.append(best)
            print(f"teams {teams:>3} destinations {destinations:>2}: {best['resources']:>5} "
                  f"resources, {best['evaluate_seconds']:.2f}s "
                  f"({best['evaluate_cpu_seconds']:.2f}s CPU), {best['peak_rss_mib']} MiB",
                  flush=True)
    return {"base_stack": BASE_STACK, "repeats": repeats, "points": points,
            "doubling": doubling_ratios(points)}


def doubling_ratios(points: list[dict]) -> list[dict]:
    """Time and resource ratios wherever the grid doubles the teams at a fixed destination
    count."""
    by_key = {(p["teams"], p["destinations"]): p for p in points}
    ratios = []
    for (teams, destinations), point in sorted(by_key.items()):
        doubled = by_key.get((teams * 2, destinations))
        if doubled:
            ratios.append({"teams": f"{teams}->{teams * 2}", "destinations": destinations,
                           "time_ratio": round(doubled["evaluate_seconds"]
                                               / point["evaluate_seconds"], 2),
                           "cpu_time_ratio": round(doubled["evaluate_cpu_seconds"]
                                                   / point["evaluate_cpu_seconds"], 2),
                           "resource_ratio": round(doubled["resources"] / point["resources"], 2)})
    return ratios


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--point", nargs=2, type=int, metavar=("TEAMS", "DESTINATIONS"))
    parser.add_argument("--repeats", type=int, default=2,
                        help="runs per point; the one with the least CPU time is kept")
    options = parser.parse_args()
    if options.point:
        print(json.dumps(measure_point(*options.point)))
        return 0
    results.save("program", {**run_grid(options.repeats), "machine": results.machine()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
