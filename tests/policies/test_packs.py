"""Both packs: metadata on every policy, per-stack configs, and the shipped stacks pass."""

import json

import pytest
from pulumi_policy import EnforcementLevel, StackValidationPolicy

from policies import kratix, platform
from policies.kratix import adoption_fit
from tests.harness import REPO, run_program, stack_file_config
from tests.policy_helpers import (policy_resource, provider_of, run_stack_policy,
                                  stack_violations, violations)

PACKS = {"kratix": kratix.POLICIES, "platform": platform.POLICIES}

# Judgements about fit and style, not safety: they advise in every stack, prod included.
ADVISORY_BY_DESIGN = {"kratix-promise-api-options", "kratix-promise-version-label",
                      "kratix-pipeline-containers", "kratix-adoption-fit",
                      "kratix-without-crossplane"}
# What dev enforces too: state loss, unreproducible images, privilege, moving GitOps targets.
MANDATORY_IN_DEV = {"kratix-state-store-versioned", "kratix-pipeline-image-semver",
                    "platform-image-pinned", "platform-no-privileged",
                    "platform-argocd-target-revision"}


def levels(pack, stack):
    return json.loads((REPO / "policies" / pack / "config" / f"{stack}.json").read_text())


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
    config = levels(pack, stack)
    assert set(config) == {p.name for p in PACKS[pack]}
    assert set(config.values()) <= {"advisory", "mandatory"}
    mandatory = {name for name, level in config.items() if level == "mandatory"}
    if stack == "prod":
        assert mandatory == set(config) - ADVISORY_BY_DESIGN
    else:
        assert mandatory == set(config) & MANDATORY_IN_DEV


def shipped_stack(stack):
    """The stack's Kubernetes objects as (type, props, where) for resource policies, and all its
    resources as stack policies see them."""
    registrations = run_program(stack_file_config(stack), stack).all

    def where(r):
        return {"name": r.name, "urn": r.urn, "provider": provider_of(r, registrations)}

    objects = [(r.type, r.inputs, where(r)) for r in registrations
               if r.type.startswith("kubernetes:") and not r.type.startswith("kubernetes:helm.sh")]
    return objects, [policy_resource(r.type, r.inputs, **where(r)) for r in registrations]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_shipped_stacks_violate_no_mandatory_policy(stack):
    objects, resources = shipped_stack(stack)
    findings = []
    for pack, policies in PACKS.items():
        config = levels(pack, stack)
        for policy in policies:
            if isinstance(policy, StackValidationPolicy):
                found = stack_violations(policy, resources)
            else:
                found = [message for type_, props, where in objects
                         for message in violations(policy, type_, props, **where)]
            findings += [(config[policy.name], policy.name, message) for message in found]
    for level, name, message in findings:
        print(f"{stack} [{level}] {name}: {message}")  # advisory findings: shown, allowed
    assert [f for f in findings if f[0] == "mandatory"] == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_shipped_stacks_publish_the_facts_adoption_fit_reads(stack):
    _, resources = shipped_stack(stack)
    assert run_stack_policy(adoption_fit.POLICY, resources)[1] is None


@pytest.mark.parametrize("pack", PACKS)
def test_pack_project_file_is_valid(pack):
    import yaml

    project = yaml.safe_load((REPO / "policies" / pack / "PulumiPolicy.yaml").read_text())
    assert project["runtime"] == "python"
    assert project["version"] and project["description"]


def test_docs_list_every_policy_with_its_levels():
    readme = (REPO / "docs" / "policies.md").read_text()
    for pack, policies in PACKS.items():
        dev, prod = levels(pack, "dev"), levels(pack, "prod")
        for policy in policies:
            row = f"| {pack} | `{policy.name}` |"
            assert row in readme, f"docs/policies.md has no row for {policy.name}"
            line = next(l for l in readme.splitlines() if l.startswith(row))
            assert line.endswith(f"| {dev[policy.name]} | {prod[policy.name]} |"), line
