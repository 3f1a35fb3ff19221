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


# The targets for the engine (ratios in one run).
FIRST_PREVIEW_VS_CONFIGMAPS = 2.0
NOOP_PREVIEW_VS_CONFIGMAPS = 2.0
UP_VS_CONFIGMAPS = 3.0
UP_VS_KUBECTL = 2.0
# Before this work (issue 18's table): dev in render mode, 477 resources, and its floor of 475
# ConfigMaps, same machine and engine.
OLD_DEV = {"first_preview": 48.0, "up": 436.0, "noop_preview": 95.0}
OLD_FLOOR = {"first_preview": 3.3, "up": 17.0, "noop_preview": 3.3}
OLD_PROD = {"first_preview": 122.0}
STEP_NAMES = {"first_preview": "first `preview`", "up": "`up` from empty",
              "noop_preview": "no-change `preview`", "change_up": "`up` after a one-line change",
              "destroy": "`destroy`"}


def ratio(value, base):
    return round(value / base, 2) if value is not None and base else None


def figure(run: dict | None) -> str:
    if not run:
        return "-"
    crds = (run.get("parts") or {}).get("crds")
    share = f" (CRD stack {crds['cpu']} / {crds['wall']})" if crds else ""
    return f"{run['cpu']} / {run['wall']}{share}"


def total_cpu(run: dict | None):
    """Our processes' CPU and the local clusters' (the API servers do a kubectl apply's work)."""
    return round(run["cpu"] + run.get("cluster_cpu", 0), 2) if run else None


def ratios(mine: dict | None, floor: dict | None, total: bool = False) -> tuple:
    """(CPU ratio, wall ratio) of a run against a floor; CPU includes the clusters' with
    `total` (against kubectl, whose work is the API server's)."""
    if not mine or not floor:
        return None, None
    cpu = ratio(total_cpu(mine), total_cpu(floor)) if total else ratio(mine["cpu"], floor["cpu"])
    return cpu, ratio(mine["wall"], floor["wall"])


def pair(values: tuple) -> str:
    return "-" if values[0] is None else f"{values[0]} / {values[1]}"


def engine_rows(s: dict) -> list[list]:
    runs = s["runs"]
    stack, cms, objs = (runs.get(k, {}) for k in ("stack/plain", "configmaps/plain",
                                                   "objects/plain"))
    kubectl = runs.get("kubectl")
    rows = []
    for step in s["steps"]:
        mine = stack.get(step)
        old = (OLD_DEV if s["stack"] == "dev" else OLD_PROD).get(step)
        old_floor = OLD_FLOOR.get(step) if s["stack"] == "dev" else None
        vs_a = ratios(mine, cms.get(step))
        vs_b = ratios(mine, objs.get(step))
        vs_k = ratios(mine, kubectl, total=True) if step == "up" else (None, None)
        rows.append([s["stack"], STEP_NAMES[step],
                     f"{old} s ({ratio(old, old_floor) or '-'}x)" if old else "-",
                     figure(mine), mine["state_mb"] if mine else "-",
                     figure(cms.get(step)), pair(vs_a), figure(objs.get(step)), pair(vs_b),
                     f"{total_cpu(kubectl)} / {kubectl['wall']}" if kubectl and step == "up"
                     else "-", pair(vs_k),
                     target_verdict(step, s, vs_a[0], vs_k[0]), mine["load"] if mine else "-"])
    return rows


def target_verdict(step: str, s: dict, vs_a, vs_k) -> str:
    """Judged on CPU (ratios in one run): see the section's note on load."""
    stack = s["runs"].get("stack/plain", {})
    if vs_a is None:
        return "not measured"
    if step == "first_preview":
        return (f"<= {FIRST_PREVIEW_VS_CONFIGMAPS}x (a): "
                f"{verdict(vs_a <= FIRST_PREVIEW_VS_CONFIGMAPS)}")
    if step == "noop_preview":
        first = stack.get("first_preview", {}).get("cpu")
        ok = (vs_a <= NOOP_PREVIEW_VS_CONFIGMAPS and first is not None
              and stack["noop_preview"]["cpu"] <= first)
        return f"<= first and <= {NOOP_PREVIEW_VS_CONFIGMAPS}x (a): {verdict(ok)}"
    if step == "up":
        ok = vs_a <= UP_VS_CONFIGMAPS and vs_k is not None and vs_k <= UP_VS_KUBECTL
        return f"<= {UP_VS_CONFIGMAPS}x (a), <= {UP_VS_KUBECTL}x kubectl: {verdict(ok)}"
    return "-"


def policy_rows(s: dict) -> list[list]:
    rows = []
    for subject in ("stack", "configmaps", "objects"):
        plain, policies = (s["runs"].get(f"{subject}/{v}") for v in ("plain", "policies"))
        if not plain or not policies:
            continue
        for step in s["steps"]:
            if step == "destroy" or step not in plain or step not in policies:
                continue
            pct = round(100 * (policies[step]["wall"] / plain[step]["wall"] - 1), 1)
            pct_cpu = round(100 * (policies[step]["cpu"] / plain[step]["cpu"] - 1), 1)
            rows.append([s["stack"], subject, STEP_NAMES[step], figure(plain[step]),
                         figure(policies[step]), f"{pct_cpu}% / {pct}%",
                         verdict(pct_cpu <= POLICY_OVERHEAD_PCT) if subject == "stack" else "-"])
    return rows


def scaling_rows(stacks: list[dict]) -> list[list]:
    by = {s["stack"]: s for s in stacks}
    if "dev" not in by or "prod" not in by:
        return []
    dev, prod = by["dev"], by["prod"]
    counted = [x.get("resources") or x.get("objects") for x in (dev, prod)]
    if not all(counted):
        return []
    objects = ratio(counted[1], counted[0])
    rows = []
    for step in prod["steps"]:
        d, p = (x["runs"].get("stack/plain", {}).get(step) for x in (dev, prod))
        if d and p:
            c = ratio(p["cpu"], d["cpu"])
            rows.append([STEP_NAMES[step], objects, ratio(p["wall"], d["wall"]), c,
                         verdict(c <= objects)])
    return rows


def options_rows(labelled: list[dict], baseline: dict | None) -> list[list]:
    rows = []
    base = {s["stack"]: s["runs"].get("stack/plain", {}) for s in (baseline or {}).get("stacks", [])}
    base_commit = (baseline or {}).get("machine", {}).get("commit")
    for data in labelled:
        commit = data.get("machine", {}).get("commit", "?")
        for s in data["stacks"]:
            # Environment variables and stack settings (`--config`) are both options measured.
            option = {**data.get("env", {}), **s.get("config", {})}
            if not option:
                continue  # a shorter run of the defaults (e.g. prod's), not an option
            for step, run in s["runs"].get("stack/plain", {}).items():
                # A ratio only against a baseline of the same program: an option measured on an
                # older commit is shown with its own figures, not against today's.
                b = base.get(s["stack"], {}).get(step) if commit == base_commit else None
                rows.append([data["label"], " ".join(f"`{k}={v}`" for k, v in option.items()),
                             f"`{commit}`", s["stack"], STEP_NAMES[step], figure(run),
                             run["state_mb"], figure(b), pair(ratios(run, b)),
                             run["load"]])
    return rows


def rederived(data: dict | None) -> dict | None:
    """The results with each subject's medians computed again from its samples (so a fix to
    how a figure is derived applies to results already measured)."""
    if data:
        for s in data.get("stacks", []):
            if s.get("samples"):
                s["runs"] = {**s.get("runs", {}), **results.medians(s["samples"])}
    return data


# Process kinds in the order the profile table shows them.
PROFILE_KINDS = ("engine (pulumi CLI)", "kubernetes provider", "program (Python)",
                 "policy packs", "language host", "random provider", "other")


def profile_rows(stacks: list[dict]) -> list[list]:
    """Where each step's CPU went, per kind of process (sampled from /proc)."""
    rows = []
    for s in stacks:
        for name, steps in s["runs"].items():
            if name == "kubectl":
                continue
            for step, run in steps.items():
                processes = run.get("processes") or {}
                if not processes:
                    continue
                total = sum(processes.values()) or 1
                rows.append([s["stack"], name, STEP_NAMES[step], run["cpu"],
                             *[f"{processes[k]} ({round(100 * processes[k] / total)}%)"
                               if processes.get(k) else "-" for k in PROFILE_KINDS]])
    return rows


def failure_reason(output: str) -> str:
    """The line of a failed command's output that says why (an RPC's details, the API
    server's or the CLI's error), else its last line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    telling = [line for line in lines if line.startswith(("details = ", "Error from server",
                                                          "error: "))]
    return ((telling or lines or [output])[0])[:300].replace("|", "\\|")


def engine_section(data: dict) -> str:
    stacks = rederived(data)["stacks"]
    env = " ".join(f"`{k}={v}`" for k, v in data.get("env", {}).items()) or "none"
    parts = [
        machine_section(data) + f" {data['repeats']} cycle(s) per subject and variant "
        f"(medians); options set for every run beyond scripts/fast-path.env: {env}. Figures are "
        "`CPU s / wall s`; ratios are given in both, targets are judged on CPU (wall time "
        "measures the machine's load when other work shares it). State: the checkpoint file "
        "after the step (MB). " + data.get("note", ""),
        table(["stack", "resources", "Kubernetes objects", "CRDs", "CRD inputs MB", "clusters",
               "layers off", "steps"],
              [[s["stack"], s.get("resources", "-"), s["objects"] or "-", s["crds"] or "-",
                s["crd_input_mb"] or "-", s["clusters"], ", ".join(s.get("layers_off", [])) or "-",
                ", ".join(s["steps"])] for s in stacks]),
        table(["stack", "run", "before (issue 18, render mode; x its floor)", "now CPU / wall s",
               "state MB", "floor (a) ConfigMaps", "x (a) CPU / wall", "floor (b) same objects",
               "x (b) CPU / wall", "kubectl floor (CPU incl. API server) / wall",
               "x kubectl CPU / wall", "target (on CPU)", "load"],
              [row for s in stacks for row in engine_rows(s)]),
        "Policy packs (both), on the stack and on the floors:",
        table(["stack", "subject", "run", "without", "with both packs", "overhead CPU / wall",
               f"target <= {POLICY_OVERHEAD_PCT}%"], [r for s in stacks for r in policy_rows(s)]),
        "Local clusters' own CPU seconds (API servers, etcd, controllers, kwok) per step:",
        table(["stack", "subject", *[STEP_NAMES[st] for st in stacks[0]["steps"]]],
              [[s["stack"], name, *[run.get(st, {}).get("cluster_cpu", "-") for st in stacks[0]["steps"]]]
               for s in stacks for name, run in s["runs"].items()
               if name.endswith("/plain")] +
              [[s["stack"], "kubectl (apply)", s["runs"]["kubectl"]["cluster_cpu"]]
               for s in stacks if "kubectl" in s["runs"]])]
    partial = [[s["stack"], subject, STEP_NAMES[step], run.get("applied", "-"),
                run.get("cli_cpu", "-"), run.get("provider_cpu", "-"), run.get("state_mb", "-")]
               for s in stacks for subject, steps in s.get("partial", {}).items()
               for step, run in steps.items()]
    if partial:
        parts += ["Runs that did not finish in the session, as far as they got (CPU from /proc):",
                  table(["stack", "subject", "run", "how far", "CLI CPU s", "provider CPU s",
                         "state MB"], partial)]
    failed = [[s["stack"], name, failure_reason(reason)]
              for s in stacks for name, reason in s.get("failures", {}).items()]
    if failed:
        parts += ["Failures recorded by the run:", table(["stack", "what", "why"], failed)]
    profile = profile_rows(stacks)
    if profile:
        parts += ["Where the CPU goes, per kind of process (CPU seconds, sampled from /proc "
                  "twice a second; a step's CPU is the larger of this sum and getrusage's, "
                  "which misses the analyzers the CLI does not wait for):",
                  table(["stack", "subject", "run", "CPU s", *PROFILE_KINDS], profile)]
    scaling = scaling_rows(stacks)
    if scaling:
        parts += ["prod against dev (target: time grows no faster than the objects):",
                  table(["run", "objects ratio", "wall ratio", "CPU ratio", "target"], scaling)]
    return "\n\n".join(parts)


def options_section(labelled: list[dict]) -> str:
    baseline = rederived(results.load("engine"))
    return "\n\n".join([
        "Each option measured on its own run of `bench/run engine --env ...` (or `--config ...`) `--label ...` "
        "(stack without policy packs), against the main run above (scripts/fast-path.env) when "
        "both measured the same commit:",
        table(["label", "option", "commit", "stack", "run", "CPU / wall s", "state MB",
               "baseline CPU / wall s", "x baseline CPU / wall", "load"],
              options_rows(labelled, baseline))])


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
    placed = [[stack, cluster, name, n["pods"], n["requests.cpu_m"], n["requests.memory_mib"],
               len(cluster_data.get("pending", []))]
              for stack, stack_data in data["stacks"].items()
              for cluster, cluster_data in stack_data["clusters"].items()
              for name, n in cluster_data.get("nodes", {}).items()]
    return "\n\n".join([
        machine_section(data) + f" Source: {data.get('source', 'rendered manifests')}.",
        table(["stack", "cluster", "workloads", "requests CPU m", "requests MiB",
               "limits CPU m", "limits MiB"], totals),
        f"Dev requests fit one {node['cpu_m'] // 1000}-CPU / {node['memory_mib'] // 1024}-GiB "
        f"node: {verdict(data['dev_fits_node'])}.",
        "Pods as the scheduler placed them (requests of every running pod per node):",
        table(["stack", "cluster", "node", "pods", "requests CPU m", "requests MiB",
               "pods Pending in the cluster"], placed),
        "<details><summary>Every workload</summary>\n\n" +
        table(["stack", "cluster", "workload", "replicas", "req CPU m", "req MiB",
               "lim CPU m", "lim MiB", "unset"], details) + "\n\n</details>"])


SECTIONS = {"program": program_section, "engine": engine_section,
            "footprint": footprint_section}


def labelled_engine_runs() -> list[dict]:
    return [rederived(results.load(p.stem))
            for p in sorted(results.RESULTS.glob("engine-*.json"))]


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
    labelled = labelled_engine_runs()
    if options_rows(labelled, None):
        pattern = re.compile(r"(<!-- bench:engine-options -->\n).*?(\n<!-- /bench:engine-options -->)",
                             re.DOTALL)
        if pattern.search(text):
            text = pattern.sub(lambda m: m.group(1) + options_section(labelled) + m.group(2), text)
    DOCUMENT.write_text(text)
    print(f"updated {DOCUMENT.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
