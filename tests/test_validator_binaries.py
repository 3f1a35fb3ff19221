"""How a test finds its validator: a missing binary fails with the command that builds it; only
a validator whose registry refused it stands down, with the registry's own message."""

from __future__ import annotations

import subprocess

import _pytest.outcomes
import pytest

from tests import validator_binaries


@pytest.fixture
def bin_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("IDP_VALIDATORS_BIN", str(tmp_path))
    validator_binaries.bin_dir.cache_clear()
    yield tmp_path
    validator_binaries.bin_dir.cache_clear()


def test_a_missing_validator_fails_with_the_fix(bin_dir):
    with pytest.raises(_pytest.outcomes.Failed, match="validators-bootstrap.sh"):
        validator_binaries.validator("kyverno")


def test_a_refused_validator_is_skipped_with_the_registry_message(bin_dir):
    (bin_dir / "kyverno.refused").write_text("403 Forbidden: This module version is not available\n")
    with pytest.raises(pytest.skip.Exception, match="403 Forbidden"):
        validator_binaries.validator("kyverno")


def test_the_bootstrap_locates_every_validator_it_built():
    """scripts/test ran the bootstrap: --locate finds all four, each runnable."""
    directory = validator_binaries.bin_dir()
    assert directory is not None
    for name in ("promtool", "kyverno", "otelcol-idp", "appset-render"):
        assert (directory / name).exists() or (directory / f"{name}.refused").exists(), name
    result = subprocess.run(["bash", str(validator_binaries.BOOTSTRAP), "--locate"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
