"""Fixtures for tests that drive the real Pulumi engine (marked `engine`).

The engine comes from `scripts/engine-bootstrap.sh`, the control plane from
`scripts/cluster-bootstrap.sh`. Each stack is applied, in a throw-away copy of the project
(scripts/engine_workspace.py: local backend, own plugin cache), with the real upstream charts of
the chart mirror, to local clusters built like the stack's own (scripts/local_cluster.py): one
per cluster of the stack, nodes sized like its profile.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.harness import REPO


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


local_cluster = _load("local_cluster")
engine_workspace = _load("engine_workspace")


def pytest_terminal_summary(terminalreporter):
    """Every pulumi step's wall time: where an engine run's time went, in the CI log."""
    if not engine_workspace.STEP_TIMES:
        return
    terminalreporter.section("pulumi steps")
    for stack, command, seconds, returncode in engine_workspace.STEP_TIMES:
        terminalreporter.write_line(f"{seconds:7.0f} s  {stack:5}  pulumi {command[:90]}"
                                    f"{'' if returncode == 0 else f'  (exit {returncode})'}")


@pytest.fixture(scope="session")
def engine_bin() -> Path:
    return engine_workspace.bootstrap()


@pytest.fixture(scope="session")
def cluster_bin() -> Path:
    return local_cluster.bootstrap()


class Applied:
    """A stack applied to its local clusters, and what the tests ask of them."""

    def __init__(self, workspace, clusters, up_seconds: float, up_output: str):
        self.workspace = workspace
        self.clusters = clusters
        self.up_seconds = up_seconds
        self.up_output = up_output

    @property
    def stack(self) -> str:
        return self.workspace.stack

    def kubectl(self, cluster, *args: str, **kwargs):
        return self.clusters.kubectl(cluster, *args, **kwargs)

    def live(self, cluster, kinds: str) -> list[dict]:
        # JSON, not YAML: CRD schemas hold values YAML reads as tags (`- =`).
        listed = self.kubectl(cluster, "get", kinds, "-A", "-o", "json").stdout
        return json.loads(listed)["items"]


# The stacks the engine tier applies, one after the other: both shipped stacks (prod: four
# clusters, ~1,300 resources); IDP_APPLY_STACKS=dev to iterate on one.
APPLY_STACKS = os.environ.get("IDP_APPLY_STACKS", "dev prod").split()


@contextlib.contextmanager
def fresh_workspace(stack: str, tmp: Path, engine_bin: Path, cluster_bin: Path):
    """A throw-away copy of `stack` bound to fresh local clusters built like the stack's own,
    only its CRD stack applied (`scripts/up STACK --crds-only`: the platform's previews read
    their kinds from the clusters); the clusters are deleted afterwards."""
    clusters = local_cluster.Clusters(stack, tmp / "clusters", bin_dir=cluster_bin)
    try:
        kubeconfig = clusters.up()
        workspace = engine_workspace.offline_workspace(tmp, engine_bin, stack, kubeconfig)
        workspace.environment(on_output=None).up(crds_only=True)
        yield workspace, clusters
    finally:
        clusters.down()


@pytest.fixture(scope="module", params=APPLY_STACKS)
def applied(request, engine_bin, cluster_bin, tmp_path_factory):
    """`scripts/up STACK` (the CRD stack, then the platform with both policy packs) to fresh
    local clusters, checkpoints on as for every user; torn down after."""
    with fresh_workspace(request.param, tmp_path_factory.mktemp(f"apply-{request.param}"),
                         engine_bin, cluster_bin) as (workspace, clusters):
        # The platform's first preview, as `scripts/preview` runs it after the CRD stack's.
        first_preview = workspace.pulumi("preview", *workspace.policy_args(),
                                         timeout=1800)
        workspace.first_preview = first_preview
        start = time.monotonic()
        up_output = workspace.environment(on_output=None).up()
        yield Applied(workspace, clusters, time.monotonic() - start, up_output)


def rendered_documents(directory: Path) -> list[dict]:
    """Every object in the YAML files under `directory` (render mode's output)."""
    documents = []
    for path in sorted(directory.rglob("*.yaml")):
        documents += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return documents
