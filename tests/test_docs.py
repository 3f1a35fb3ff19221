"""The docs users read stay in step with the model the program enforces."""

from __future__ import annotations

import typing

import yaml

from components import charts
from components.topology import config_model
from components.configschema import field_types, model_fields
from tests.harness import REPO, run_program

PULUMI_TYPES = {str: "string", bool: "boolean", int: "integer"}


def _pulumi_type(kind) -> str:
    if kind in PULUMI_TYPES:
        return PULUMI_TYPES[kind]
    return "array" if typing.get_origin(kind) is tuple else "object"


def test_pulumi_yaml_declares_every_key_with_type_description_and_default():
    declared = yaml.safe_load((REPO / "Pulumi.yaml").read_text())["config"]
    model = config_model()
    fields = model_fields(model.keys)
    hints = field_types(model.keys)
    assert list(declared) == [f.metadata["key"] for f in fields]
    defaults = model.default_config()
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


def test_generated_docs_are_in_step_with_the_code():
    """docs/config-reference.md and each layer page's chart values lines."""
    import scripts.generate_docs as generate

    stale = [str(path.relative_to(REPO)) for path, text in generate.generated().items()
             if path.read_text() != text]
    assert stale == [], "stale: " + ", ".join(stale) + "; run python scripts/generate_docs.py"


def test_every_chart_has_its_values_line_on_one_layer_page():
    lines = [line for page in (REPO / "docs" / "layers").glob("*.md")
             for line in page.read_text().splitlines() if line.endswith("sets:") or " sets: " in line]
    keys = sorted(line.split("`")[1] for line in lines if line.startswith("- `"))
    assert keys == sorted(charts.CHARTS)


def test_readme_links_every_layer_page_and_stays_short():
    readme = (REPO / "README.md").read_text()
    pages = sorted((REPO / "docs" / "layers").glob("*.md"))
    assert pages
    for page in pages:
        assert f"(docs/layers/{page.name})" in readme, page.name
    assert len(readme.splitlines()) <= 220


def test_relative_links_in_the_docs_resolve():
    import re

    for page in [REPO / "README.md", REPO / "CONTRIBUTING.md", *(REPO / "docs").rglob("*.md")]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text()):
            assert (page.parent / target).exists(), f"{page.relative_to(REPO)} links {target}"
