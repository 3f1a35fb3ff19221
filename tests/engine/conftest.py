"""Fixtures for tests that drive the real Pulumi engine (marked `engine`).

The engine comes from `scripts/engine-bootstrap.sh`; each test works in a throw-away offline
copy of the project (scripts/engine_workspace.py): local backend, own plugin cache, fixture
chart mirror, every cluster in render mode.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import yaml

from tests.harness import REPO

_spec = importlib.util.spec_from_file_location("engine_workspace",
                                               REPO / "scripts" / "engine_workspace.py")
engine_workspace = importlib.util.module_from_spec(_spec)
sys.modules["engine_workspace"] = engine_workspace  # dataclasses look their module up here
_spec.loader.exec_module(engine_workspace)


@pytest.fixture(scope="session")
def engine_bin() -> Path:
    return engine_workspace.bootstrap()


@pytest.fixture(scope="module", params=["dev", "prod"])
def workspace(request, engine_bin, tmp_path_factory):
    return engine_workspace.offline_workspace(
        tmp_path_factory.mktemp(f"engine-{request.param}"), engine_bin, request.param)


def rendered_documents(directory: Path) -> list[dict]:
    documents = []
    for path in sorted(directory.rglob("*.yaml")):
        documents += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return documents
