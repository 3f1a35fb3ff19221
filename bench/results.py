"""Where benchmark results live (bench/results/<name>.json) and the machine they ran on."""

from __future__ import annotations

import datetime
import json
import os
import platform
import statistics
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor())
    memory_kib = next(int(line.split()[1]) for line in
                      Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal"))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                            capture_output=True, text=True, check=False).stdout.strip()
    return {"cpus": os.cpu_count(), "cpu_model": cpu,
            "memory_gib": round(memory_kib / 1024 / 1024, 1),
            "python": platform.python_version(), "commit": commit,
            "measured_at": datetime.datetime.now(datetime.timezone.utc)
            .strftime("%Y-%m-%d %H:%M UTC")}


def save(name: str, data: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    print(f"wrote {path.relative_to(REPO)}")
    return path


def load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def step_cpu(run: dict) -> float:
    """A step's CPU seconds: the larger of what getrusage saw of the CLI's children and the sum
    of the per-process samples. getrusage misses the processes the CLI does not wait for (the
    policy analyzers, some plugins), the samples miss a process's last half second."""
    return round(max(run["cpu"], sum((run.get("processes") or {}).values())), 2)


def median_run(runs: list) -> dict:
    """Per step, the median of each figure over the repeats (kubectl: one dict per run), and
    the median CPU per kind of process."""
    if runs and "wall" in runs[0]:  # the kubectl floor
        return {k: round(statistics.median(r[k] for r in runs), 2)
                for k in ("wall", "cpu", "cluster_cpu", "load")}
    merged = {}
    for step in runs[0]:
        steps = [r[step] for r in runs if step in r]
        merged[step] = {k: round(statistics.median(s[k] for s in steps), 2)
                        for k in ("wall", "cluster_cpu", "state_mb", "load")}
        merged[step]["cpu"] = round(statistics.median(step_cpu(s) for s in steps), 2)
        kinds = sorted({k for s in steps for k in (s.get("processes") or {})})
        merged[step]["processes"] = {
            k: round(statistics.median((s.get("processes") or {}).get(k, 0) for s in steps), 2)
            for k in kinds}
        merged[step]["changes"] = steps[-1]["changes"]
        if all("parts" in s for s in steps):  # both stacks: each one's share too
            merged[step]["parts"] = {
                part: {"cpu": round(statistics.median(step_cpu(s["parts"][part]) for s in steps), 2),
                       "wall": round(statistics.median(s["parts"][part]["wall"] for s in steps), 2)}
                for part in steps[0]["parts"]}
    return merged


def medians(samples: dict[str, list]) -> dict[str, dict]:
    """median_run of every subject/variant's samples."""
    return {name: median_run(runs) for name, runs in samples.items() if runs}
