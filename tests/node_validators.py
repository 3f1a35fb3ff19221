"""Offline validators written in Node (tests/validators): ArgoCD's CRD schemas and Backstage's
own catalog entity validators."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Mapping, Sequence

import pytest

from tests.harness import REPO

VALIDATOR = REPO / "tests" / "validators"


def run_validator(script: str, package: str,
                  objects: Sequence[dict] | Mapping[str, Sequence[dict]]) -> tuple[int, str]:
    """Run `script` over `objects` (a JSON array, or named arrays); its exit code and report.
    `package` is the npm package it needs, to say what to install when it is missing."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is required by the offline validators; install Node.js 20+")
    if not (VALIDATOR / "node_modules" / package).is_dir():
        pytest.fail("the validators are not installed; run `npm ci --prefix tests/validators` "
                    "(scripts/test does)")
    with tempfile.TemporaryDirectory() as directory:
        dump = Path(directory) / "objects.json"
        dump.write_text(json.dumps(objects if isinstance(objects, Mapping) else list(objects)))
        result = subprocess.run([node, str(VALIDATOR / script), str(dump)],
                                capture_output=True, text=True, check=False)
    return result.returncode, result.stdout + result.stderr


class EntityReport:
    """One validator run over named groups of entities; each group's problems read apart."""

    def __init__(self, groups: Mapping[str, Sequence[dict]]):
        self.code, self.text = run_validator("validate-entities.mjs", "@backstage/catalog-model",
                                             groups)
        count = sum(len(entities) for entities in groups.values())
        assert f"validated {count} entities, " in self.text, self.text

    def problems(self, group: str) -> list[str]:
        return [line for line in self.text.splitlines() if line.startswith(f"{group}: ")]
