"""scripts/mirror-charts fills an air-gapped mirror with every pinned chart, once."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap

import yaml

from components import charts
from tests.harness import REPO

_spec = importlib.util.spec_from_file_location("mirror_charts", REPO / "scripts" / "mirror_charts.py")
mirror_charts = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mirror_charts)


def fake_helm(tmp_path):
    """A `helm` that unpacks a one-file chart at the version asked for and logs each call."""
    log = tmp_path / "helm.log"
    helm = tmp_path / "helm"
    helm.write_text(textwrap.dedent(f"""\
        #!{sys.executable}
        import sys, pathlib
        args = sys.argv[1:]
        with open({str(log)!r}, "a") as out:
            out.write(" ".join(args) + "\\n")
        name = args[1].rsplit("/", 1)[-1]
        version = args[args.index("--version") + 1]
        into = pathlib.Path(args[args.index("--untardir") + 1]) / name
        into.mkdir(parents=True)
        (into / "Chart.yaml").write_text(f"apiVersion: v2\\nname: {{name}}\\nversion: {{version}}\\n")
        """))
    helm.chmod(0o755)
    return helm, log


def test_every_pinned_chart_is_pulled_at_its_version_then_left_alone(tmp_path):
    helm, log = fake_helm(tmp_path)
    mirror = tmp_path / "mirror"
    pulled = mirror_charts.mirror(mirror, str(helm))
    pins = {**charts.CHARTS, **charts.OPERATOR_CHARTS}
    assert len(pulled) == len(pins)
    for source in pins.values():
        chart = yaml.safe_load((mirror / source.chart / "Chart.yaml").read_text())
        assert str(chart["version"]) == source.version
    calls = log.read_text().splitlines()
    assert f"pull kratix --repo {charts.CHARTS['kratix'].repository} --version v0.0.1" in \
        "\n".join(calls)
    assert mirror_charts.mirror(mirror, str(helm)) == []  # a second run pulls nothing
    # A chart left at another version is pulled again.
    (mirror / "loki" / "Chart.yaml").write_text("apiVersion: v2\nname: loki\nversion: 1.0.0\n")
    assert mirror_charts.mirror(mirror, str(helm)) == [f"loki {charts.CHARTS['loki'].version}"]


def test_oci_repositories_name_the_chart_in_the_reference():
    source = charts.ChartSource(repository="oci://registry.internal/charts/", chart="kratix",
                                version="v0.0.1")
    assert mirror_charts.pull_command(source, REPO)[:3] == \
        ["helm", "pull", "oci://registry.internal/charts/kratix"]


def test_without_helm_the_command_says_what_to_install(tmp_path):
    result = subprocess.run([sys.executable, str(REPO / "scripts" / "mirror_charts.py"),
                             str(tmp_path / "m"), "--helm", "no-such-helm"],
                            capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "helm is not on PATH" in result.stderr and "Traceback" not in result.stderr
