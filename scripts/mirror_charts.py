"""Fill a local chart mirror with every chart this project pins, for air-gapped installs.

Run it on a machine that reaches the chart repositories, then carry DIR to where `pulumi` runs
and point `idp:chartMirror` (or IDP_CHART_MIRROR for the tests and tools) at it:

    scripts/mirror-charts DIR

Each chart is pulled with `helm pull --untar` at its pinned version (components/charts.py), the
operator charts the promises deliver included, into DIR/<chart>/ with its dependencies unpacked
under charts/ — the layout `idp:chartMirror` accepts. A chart already there at the pinned
version is left as it is, so the command is safe to re-run after a version bump.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from components.charts import CHARTS, OPERATOR_CHARTS, ChartSource


def pinned_charts() -> list[ChartSource]:
    return [*CHARTS.values(), *OPERATOR_CHARTS.values()]


def mirrored_version(directory: Path) -> str | None:
    chart = directory / "Chart.yaml"
    return str(yaml.safe_load(chart.read_text()).get("version")) if chart.is_file() else None


def pull_command(source: ChartSource, into: Path) -> list[str]:
    """`helm pull` for one pinned chart (an OCI repository names the chart in its URL)."""
    if source.repository.startswith("oci://"):
        reference = ["helm", "pull", f"{source.repository.rstrip('/')}/{source.chart}"]
    else:
        reference = ["helm", "pull", source.chart, "--repo", source.repository]
    return [*reference, "--version", source.version, "--untar", "--untardir", str(into)]


def mirror(directory: Path, helm: str = "helm") -> list[str]:
    """Pull every pinned chart missing from `directory`; returns what was pulled."""
    if shutil.which(helm) is None:
        raise SystemExit(
            "helm is not on PATH: install Helm 3.8 or newer on this (connected) "
            "machine and run again"
        )
    directory.mkdir(parents=True, exist_ok=True)
    pulled = []
    for source in pinned_charts():
        target = directory / source.chart
        if mirrored_version(target) == source.version:
            continue
        with tempfile.TemporaryDirectory(dir=directory) as staging:
            command = pull_command(source, Path(staging))
            command[0] = helm
            result = subprocess.run(command, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr.strip()}")
            shutil.rmtree(target, ignore_errors=True)
            shutil.move(str(Path(staging) / source.chart), target)
        pulled.append(f"{source.chart} {source.version}")
    return pulled


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--helm", default="helm", help="the helm command (default: helm)")
    options = parser.parse_args()
    pulled = mirror(options.directory.resolve(), options.helm)
    for line in pulled:
        print(f"pulled {line}")
    print(
        f"{options.directory}: {len(pinned_charts())} charts at their pinned versions "
        f"({len(pulled)} pulled now)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
