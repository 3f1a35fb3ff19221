"""Serve the platform policy pack (constructing the PolicyPack starts serving it)."""

import sys
from pathlib import Path

# The engine runs this file from the pack's folder; policies import from the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from policies.platform import POLICIES  # noqa: E402

PolicyPack(name="idp-platform", enforcement_level=EnforcementLevel.MANDATORY, policies=POLICIES)
