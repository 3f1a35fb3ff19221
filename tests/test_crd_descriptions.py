"""The charts' CRDs go in without the field descriptions of their schemas (most of their bytes,
and the CRDs most of the state), unless `idp:crdDescriptions` keeps them."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import yaml

from components.charts import CRD_TYPE, crd_without_descriptions, schema_without_descriptions
from tests.harness import CHART_MIRROR, run_program, stack_config

SCHEMA = {
    "type": "object",
    "description": "a team's database",
    "properties": {
        "description": {"type": "string", "description": "what the team says it is for"},
        "replicas": {"type": "integer", "description": "how many", "minimum": 1},
        "tags": {"type": "array", "items": {"type": "string", "description": "one tag"}},
        "extra": {"type": "object", "additionalProperties": {"description": "any", "type": "string"}},
        "either": {"anyOf": [{"type": "integer", "description": "a count"}, {"type": "string"}]},
    },
    "required": ["replicas"],
}


def descriptions(node) -> int:
    """How many schema `description` keys remain (a property named so is not one)."""
    if isinstance(node, list):
        return sum(descriptions(n) for n in node)
    if not isinstance(node, dict):
        return 0
    count = int(isinstance(node.get("description"), str))
    for key, value in node.items():
        if key == "properties":
            count += sum(descriptions(v) for v in value.values())
        elif key != "description":
            count += descriptions(value)
    return count


def test_every_schema_loses_its_prose_and_keeps_its_rules():
    stripped = schema_without_descriptions(SCHEMA)
    assert descriptions(SCHEMA) == 6 and descriptions(stripped) == 0
    assert stripped["properties"]["description"] == {"type": "string"}
    assert stripped["properties"]["replicas"] == {"type": "integer", "minimum": 1}
    assert stripped["required"] == ["replicas"]
    assert stripped["properties"]["either"]["anyOf"][1] == {"type": "string"}


def transformed(type_: str, props: dict):
    return crd_without_descriptions(SimpleNamespace(type_=type_, props=props, opts=None))


def test_the_transform_touches_only_custom_resource_definitions():
    crd = {"spec": {"group": "x.io", "versions": [
        {"name": "v1", "served": True, "schema": {"openAPIV3Schema": SCHEMA}},
        {"name": "v0", "served": False}]}}
    result = transformed(CRD_TYPE, crd)
    versions = result.props["spec"]["versions"]
    assert descriptions(versions[0]["schema"]["openAPIV3Schema"]) == 0
    assert versions[1] == {"name": "v0", "served": False}
    assert result.props["spec"]["group"] == "x.io"
    assert transformed("kubernetes:core/v1:ConfigMap", {"data": {"description": "x"}}) is None


def test_on_the_real_charts_crds_most_bytes_go_and_no_description_stays():
    # The charts' own crds/ directories (kube-prometheus-stack's 4 MB left out for time).
    files = list(CHART_MIRROR.glob("*/crds/*.yaml"))
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    crds = [d for p in files for d in yaml.load_all(p.read_text(), Loader=loader)
            if isinstance(d, dict) and d.get("kind") == "CustomResourceDefinition"]
    assert len(crds) >= 10, (f"expected the charts' CRDs under {CHART_MIRROR}/*/crds: set "
                             "IDP_CHART_MIRROR to a folder filled by scripts/mirror-charts")
    before = after = 0
    for crd in crds:
        props = {"spec": crd["spec"]}
        stripped = transformed(CRD_TYPE, props).props
        for version in stripped["spec"]["versions"]:
            assert descriptions(version.get("schema", {})) == 0, crd["metadata"]["name"]
        before += len(json.dumps(props))
        after += len(json.dumps(stripped))
    assert after < 0.5 * before, (before, after)


@pytest.mark.parametrize("keep", [False, True])
def test_every_chart_of_the_stack_strips_them_unless_kept(keep):
    registry = run_program(stack_config("dev", crdDescriptions=keep), "dev")
    installs = registry.of_type("kubernetes:helm.sh/v4:Chart")
    assert installs
    for chart in installs:
        assert (crd_without_descriptions in chart.transforms) is not keep, chart.name
