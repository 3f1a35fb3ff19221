"""Where the validator binaries are (scripts/validators-bootstrap.sh builds or reuses them).

A missing binary fails the test with the command that builds it; only a validator whose
registry refused it (the bootstrap wrote `<name>.refused` with the registry's message) stands
down, with that message."""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path

import pytest

from tests.harness import REPO

BOOTSTRAP = REPO / "scripts" / "validators-bootstrap.sh"
FIX = "run `scripts/validators-bootstrap.sh` (scripts/test runs it)"


@functools.lru_cache(maxsize=1)
def bin_dir() -> Path | None:
    """IDP_VALIDATORS_BIN (set by scripts/test), else the bootstrap's cache if complete."""
    if os.environ.get("IDP_VALIDATORS_BIN"):
        return Path(os.environ["IDP_VALIDATORS_BIN"])
    result = subprocess.run(["bash", str(BOOTSTRAP), "--locate", str(REPO)],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0 or not result.stdout.strip():
        return None
    return Path(result.stdout.strip().splitlines()[-1])


def validator(name: str) -> Path:
    """The path of validator `name`; fails (or, if its registry refused it, skips) the test."""
    directory = bin_dir()
    if directory is None:
        pytest.fail(f"the validators are not built; {FIX}")
    refusal = directory / f"{name}.refused"
    if refusal.is_file():
        pytest.skip(f"{name} could not be built here, the registry refused it: "
                    f"{refusal.read_text().strip()}")
    path = directory / name
    if not os.access(path, os.X_OK):
        pytest.fail(f"validator {name} is missing from {directory}; {FIX}")
    return path


def run(name: str, *args: str, cwd: Path | None = None, input_text: str | None = None,
        env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run validator `name` with `args` (and `input_text` on stdin); its output is the
    caller's to assert on."""
    return subprocess.run([str(validator(name)), *args], capture_output=True, text=True,
                          check=False, cwd=cwd, input=input_text, env=env,
                          timeout=timeout)
