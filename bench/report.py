"""Regenerate the figure tables in BENCHMARKS.md from bench/results/*.json.

Each table sits between `<!-- bench:<name> -->` and `<!-- /bench:<name> -->`; the prose around
them is left alone. A result that has not been measured yet leaves its table as it was.

    python -m bench.report
"""

from __future__ import annotations

import re
import sys

from bench import results

DOCUMENT = results.REPO / "BENCHMARKS.md"
# The targets.
PREVIEW_VS_FLOOR = 1.3
POLICY_OVERHEAD_PCT = 20
DOUBLING_TIME_RATIO = 2.2


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def machine_section(data: dict) -> str:
    m = data["machine"]
    return (f"{m['cpus']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB memory, Python "
            f"{m['python']}; commit `{m['commit']}`, measured {m['measured_at']}.")


def program_section(data: dict) -> str:
    rows = [[p["teams"], p["destinations"], p["resources"], p["evaluate_cpu_seconds"],
             p["evaluate_seconds"], p["cpu_ms_per_resource"], p["peak_rss_mib"]]
            for p in data["points"]]
    doubling = [[d["teams"], d["destinations"], d["resource_ratio"], d["cpu_time_ratio"],
                 d["time_ratio"], verdict(d["cpu_time_ratio"] <= DOUBLING_TIME_RATIO)]
                for d in data["doubling"]]
    return "\n\n".join([
        machine_section(data) + f" Base stack `{data['base_stack']}`; of "
        f"{data['repeats']} run(s) per point, the one with the least CPU time.",
        table(["teams", "destinations", "resources", "evaluate CPU s", "evaluate wall s",
               "CPU ms / resource", "peak RSS MiB"], rows),
        f"Doubling the teams (target: at most {DOUBLING_TIME_RATIO}x the time, judged on CPU "
        "time):",
        table(["teams", "destinations", "resources ratio", "CPU time ratio", "wall time ratio",
               "target"], doubling)])


def engine_section(data: dict) -> str:
    rows = [[s["stack"], s["resources"], f"{s['preview_cpu_seconds']} / {s['preview_seconds']}",
             f"{s['floor_cpu_seconds']} / {s['floor_seconds']}",
             f"{s['preview_vs_floor_cpu']} / {s['preview_vs_floor']}",
             verdict(max(s["preview_vs_floor_cpu"], s["preview_vs_floor"]) <= PREVIEW_VS_FLOOR),
             f"{s['with_policies_cpu_seconds']} / {s['with_policies_seconds']}",
             f"{s['policy_overhead_cpu_pct']}% / {s['policy_overhead_pct']}%",
             verdict(max(s["policy_overhead_cpu_pct"], s["policy_overhead_pct"])
                     <= POLICY_OVERHEAD_PCT),
             round(s["with_policies_cpu_seconds"] - s["preview_cpu_seconds"], 2),
             # Results from before the floor ran with the packs have no such figure.
             round(s["floor_with_policies_cpu_seconds"] - s["floor_cpu_seconds"], 2)
             if "floor_with_policies_cpu_seconds" in s else "-",
             s["load_average"]]
            for s in data["stacks"]]
    return "\n\n".join([
        machine_section(data) + f" Median of {data['repeats']} previews of each kind after a "
        "warm-up, taking turns. Every figure is `CPU / wall`; a target counts as met when "
        "both are.",
        table(["stack", "resources", "preview s", "floor s", "preview / floor",
               f"target <= {PREVIEW_VS_FLOOR}x", "with policies s", "policy overhead",
               f"target <= {POLICY_OVERHEAD_PCT}%", "packs' CPU s on the stack",
               "packs' CPU s on the floor", "load avg (1 min)"], rows)])


def footprint_section(data: dict) -> str:
    totals, details = [], []
    for stack, stack_data in data["stacks"].items():
        for cluster, cluster_data in stack_data["clusters"].items():
            t = cluster_data["totals"]
            totals.append([stack, cluster, len(cluster_data["workloads"]), t["requests.cpu_m"],
                           t["requests.memory_mib"], t["limits.cpu_m"],
                           t["limits.memory_mib"]])
            for w in cluster_data["workloads"]:
                details.append([stack, cluster, f"{w['kind']} {w['namespace']}/{w['name']}",
                                w["replicas"] if not w["per_node"] else f"{w['replicas']}/node",
                                w["requests.cpu_m"], w["requests.memory_mib"],
                                w["limits.cpu_m"], w["limits.memory_mib"],
                                ", ".join(w["unset"]) or "-"])
    node = data["dev_node"]
    return "\n\n".join([
        machine_section(data),
        table(["stack", "cluster", "workloads", "requests CPU m", "requests MiB",
               "limits CPU m", "limits MiB"], totals),
        f"Dev requests fit one {node['cpu_m'] // 1000}-CPU / {node['memory_mib'] // 1024}-GiB "
        f"node: {verdict(data['dev_fits_node'])}.",
        "<details><summary>Every workload</summary>\n\n" +
        table(["stack", "cluster", "workload", "replicas", "req CPU m", "req MiB",
               "lim CPU m", "lim MiB", "unset"], details) + "\n\n</details>"])


SECTIONS = {"program": program_section, "engine": engine_section,
            "footprint": footprint_section}


def main() -> int:
    text = DOCUMENT.read_text()
    for name, render in SECTIONS.items():
        data = results.load(name)
        if data is None:
            continue
        pattern = re.compile(rf"(<!-- bench:{name} -->\n).*?(\n<!-- /bench:{name} -->)",
                             re.DOTALL)
        if not pattern.search(text):
            raise SystemExit(f"BENCHMARKS.md has no <!-- bench:{name} --> block")
        text = pattern.sub(lambda m: m.group(1) + render(data) + m.group(2), text)
    DOCUMENT.write_text(text)
    print(f"updated {DOCUMENT.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
