"""Serve the kratix policy pack (constructing the PolicyPack starts serving it)."""

# The engine runs this file from the pack's folder; the project's packages come from the
# virtualenv, where requirements.txt installs the repository (pyproject.toml) editable.
from pulumi_policy import EnforcementLevel, PolicyPack

from policies.kratix import POLICIES
from policies.lib.analyzer import decode_once

decode_once()  # each resource's properties decoded once, not once per policy

PolicyPack(name="idp-kratix", enforcement_level=EnforcementLevel.MANDATORY, policies=POLICIES)
