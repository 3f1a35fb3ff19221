"""The docs users read stay in step with the model the program enforces."""

from __future__ import annotations

import typing

import yaml

from components import charts
from components.config import StackConfig, default_config, reference_page
from components.configschema import field_types, model_fields
from tests.harness import REPO, run_program

PULUMI_TYPES = {str: "string", bool: "boolean", int: "integer"}


def _pulumi_type(kind) -> str:
    if kind in PULUMI_TYPES:
        return PULUMI_TYPES[kind]
    return "array" if typing.get_origin(kind) is tuple else "object"


def test_pulumi_yaml_declares_every_key_with_type_description_and_default():
    declared = yaml.safe_load((REPO / "Pulumi.yaml").read_text())["config"]
    fields = model_fields(StackConfig)
    hints = field_types(StackConfig)
    assert list(declared) == [f.metadata["key"] for f in fields]
    defaults = default_config()
    for f in fields:
        key = f.metadata["key"]
        entry = declared[key]
        assert entry["type"] == _pulumi_type(hints[f.name]), key
        assert entry["description"] == f.metadata["doc"], key
        assert entry["default"] == defaults[key], key
        if entry["type"] == "array":
            assert entry["items"] == {"type": "object"}, key


def test_pulumi_yaml_defaults_alone_make_a_valid_stack():
    declared = yaml.safe_load((REPO / "Pulumi.yaml").read_text())["config"]
    registry = run_program({key: entry["default"] for key, entry in declared.items()}, "dev")
    assert registry.kind("Destination") and registry.kind("BucketStateStore")


def test_config_reference_page_matches_the_model():
    page = (REPO / "docs" / "config-reference.md").read_text()
    assert page == reference_page(), (
        "docs/config-reference.md is stale: regenerate it with "
        "`python scripts/config_reference.py`")
