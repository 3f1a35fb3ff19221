"""Validate Backstage catalog entities with Backstage's own validators (npm, tests/validators)."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Sequence

import pytest

from tests.harness import REPO

VALIDATOR = REPO / "tests" / "validators"


def entity_problems(entities: Sequence[dict]) -> tuple[int, str]:
    """Run validate-entities.mjs over `entities`: its exit code and report."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is required to validate catalog entities; install Node.js 20+")
    if not (VALIDATOR / "node_modules" / "@backstage" / "catalog-model").is_dir():
        pytest.fail("the validators are not installed; run `npm ci --prefix tests/validators` "
                    "(scripts/test does)")
    with tempfile.TemporaryDirectory() as directory:
        dump = Path(directory) / "entities.json"
        dump.write_text(json.dumps(list(entities)))
        result = subprocess.run([node, str(VALIDATOR / "validate-entities.mjs"), str(dump)],
                                capture_output=True, text=True, check=False)
    return result.returncode, result.stdout + result.stderr


def assert_valid_entities(entities: Sequence[dict]) -> None:
    code, report = entity_problems(entities)
    assert code == 0, report
    assert f"validated {len(entities)} entities, 0 invalid" in report, report
