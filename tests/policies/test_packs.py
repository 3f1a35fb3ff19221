"""Both packs: metadata on every policy, per-stack configs, and the shipped stacks pass."""

import json

import pytest
from pulumi_policy import EnforcementLevel

from policies import kratix, platform
from tests.harness import REPO, run_program, stack_file_config
from tests.policy_helpers import violations

PACKS = {"kratix": kratix.POLICIES, "platform": platform.POLICIES}


@pytest.mark.parametrize("pack", PACKS)
def test_every_policy_has_description_severity_and_remediation(pack):
    names = [p.name for p in PACKS[pack]]
    assert len(names) == len(set(names))
    for policy in PACKS[pack]:
        assert policy.name.startswith(f"{pack}-")
        assert policy.description and policy.severity and policy.remediation_steps
        assert policy.enforcement_level == EnforcementLevel.MANDATORY


@pytest.mark.parametrize("pack", PACKS)
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_policy_config_sets_a_level_for_every_policy(pack, stack):
    config = json.loads((REPO / "policies" / pack / "config" / f"{stack}.json").read_text())
    assert set(config) == {p.name for p in PACKS[pack]}
    assert set(config.values()) <= {"advisory", "mandatory"}
    if stack == "prod":
        assert set(config.values()) == {"mandatory"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_shipped_stacks_violate_no_policy(stack):
    registry = run_program(stack_file_config(stack), stack)
    found = []
    for registration in registry.all:
        if registration.type.startswith("kubernetes:") and \
                not registration.type.startswith("kubernetes:helm.sh"):
            for policy in kratix.POLICIES + platform.POLICIES:
                found += violations(policy, registration.type, registration.inputs,
                                    name=registration.name)
    assert found == []


@pytest.mark.parametrize("pack", PACKS)
def test_pack_project_file_is_valid(pack):
    import yaml

    project = yaml.safe_load((REPO / "policies" / pack / "PulumiPolicy.yaml").read_text())
    assert project["runtime"] == "python"
    assert project["version"] and project["description"]


def test_readme_lists_every_policy_with_its_levels():
    readme = (REPO / "README.md").read_text()
    for pack, policies in PACKS.items():
        dev = json.loads((REPO / "policies" / pack / "config" / "dev.json").read_text())
        prod = json.loads((REPO / "policies" / pack / "config" / "prod.json").read_text())
        for policy in policies:
            row = f"| {pack} | `{policy.name}` |"
            assert row in readme, f"README has no row for {policy.name}"
            line = next(l for l in readme.splitlines() if l.startswith(row))
            assert line.endswith(f"| {dev[policy.name]} | {prod[policy.name]} |"), line
