"""Render a Golden Path template the way Backstage's scaffolder would, for the syntax ours use.

Implemented, and nothing more (anything else is an error, so a skeleton cannot quietly use
syntax these tests do not understand):
- `$yaml: <relative path>` placeholders in template.yaml (the catalog resolves them);
- in `fetch:template` step inputs: `${{ parameters.<name> }}` and `${{ each.value.<name> }}`,
  with `each:` repeating the step; an input that is one whole expression keeps its type;
- in skeleton files and paths: `${{ values.<name> }}`; files matching `copyWithoutTemplating`
  are copied verbatim. Nunjucks tags (`{% %}`, `{# #}`) and filters are not supported.
Other steps (publish, catalog:register) act on remote systems: only their references to
parameters and earlier steps are checked.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
import shutil
from pathlib import Path
from typing import Any, Mapping

import yaml

from tests.harness import REPO

GOLDEN_PATHS = REPO / "golden-paths"
_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_STEP_INPUT_REFERENCE = re.compile(r"^(parameters|each\.value)\.([A-Za-z_][A-Za-z0-9_]*)$")
_VALUE_REFERENCE = re.compile(r"^values\.([A-Za-z_][A-Za-z0-9_]*)$")
_STEP_REFERENCE = re.compile(r"^steps(?:\.([A-Za-z_][\w-]*)|\['([\w-]+)'\])\.output\.\w+$")
_NUNJUCKS_TAGS = ("{%", "{#")


class TemplateError(AssertionError):
    """The template or a skeleton uses something the scaffolder would render differently."""


@dataclasses.dataclass
class Rendered:
    template: dict
    """template.yaml with placeholders resolved: the Template entity the catalog reads."""
    workspace: Path
    """Everything the fetch steps wrote (the service repository, and gitops/ if any)."""
    values: dict[str, dict]
    """The values each fetch step (per `each` item) rendered its skeleton with."""


def load_template(name: str) -> dict:
    path = GOLDEN_PATHS / name / "template.yaml"
    return _resolve_placeholders(yaml.safe_load(path.read_text()), path.parent)


def _resolve_placeholders(node: Any, base: Path) -> Any:
    if isinstance(node, dict):
        if set(node) == {"$yaml"}:
            return yaml.safe_load((base / node["$yaml"]).read_text())
        return {key: _resolve_placeholders(value, base) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve_placeholders(item, base) for item in node]
    return node


def form_values(template: dict, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The form's answers: defaults filled in, required and pattern rules checked as the
    form would."""
    answers = dict(parameters)
    for page in template["spec"]["parameters"]:
        for key, schema in page.get("properties", {}).items():
            if key not in answers and "default" in schema:
                answers[key] = schema["default"]
            if key in answers and "pattern" in schema and \
                    not re.fullmatch(schema["pattern"], str(answers[key])):
                raise TemplateError(f"parameter {key}={answers[key]!r} does not match "
                                    f"{schema['pattern']}")
        for key in page.get("required", []):
            if key not in answers:
                raise TemplateError(f"required parameter {key} is missing")
    return answers


def _evaluate(node: Any, context: Mapping[str, Mapping[str, Any]]) -> Any:
    if isinstance(node, dict):
        return {key: _evaluate(value, context) for key, value in node.items()}
    if isinstance(node, list):
        return [_evaluate(item, context) for item in node]
    if not isinstance(node, str):
        return node

    def lookup(expression: str) -> Any:
        match = _STEP_INPUT_REFERENCE.match(expression)
        if not match:
            raise TemplateError(f"unsupported expression in a fetch step: ${{{{ {expression} }}}}")
        scope, key = match.groups()
        if key not in context[scope]:
            raise TemplateError(f"{scope}.{key} is not defined")
        return context[scope][key]

    whole = _EXPRESSION.fullmatch(node)
    if whole:
        return lookup(whole.group(1))
    return _EXPRESSION.sub(lambda m: str(lookup(m.group(1))), node)


def render_text(text: str, values: Mapping[str, Any], where: str) -> str:
    for tag in _NUNJUCKS_TAGS:
        if tag in text:
            raise TemplateError(f"{where}: nunjucks tag {tag} is not supported here; escape it "
                                "or list the file in copyWithoutTemplating")

    def value(match: re.Match) -> str:
        reference = _VALUE_REFERENCE.match(match.group(1))
        if not reference:
            raise TemplateError(f"{where}: unsupported expression {match.group(0)}")
        if reference.group(1) not in values:
            raise TemplateError(f"{where}: values.{reference.group(1)} is not passed by the step")
        return str(values[reference.group(1)])

    return _EXPRESSION.sub(value, text)


def _fetch(source: Path, target: Path, values: Mapping[str, Any], verbatim: list[str]) -> None:
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        relative = path.relative_to(source).as_posix()
        destination = target / render_text(relative, values, f"path {relative}")
        destination.parent.mkdir(parents=True, exist_ok=True)
        if any(fnmatch.fnmatch(relative, pattern) for pattern in verbatim):
            shutil.copyfile(path, destination)
        else:
            destination.write_text(render_text(path.read_text(), values, relative))


def _check_references(step: dict, earlier: set[str], answers: Mapping[str, Any]) -> None:
    for expression in _EXPRESSION.findall(yaml.safe_dump(step.get("input", {}))):
        step_ref = _STEP_REFERENCE.match(expression)
        if step_ref:
            if (step_ref.group(1) or step_ref.group(2)) not in earlier:
                raise TemplateError(f"step {step['id']} reads {expression} before it runs")
            continue
        param = _STEP_INPUT_REFERENCE.match(expression)
        if not param or param.group(1) != "parameters" or param.group(2) not in answers:
            raise TemplateError(f"step {step['id']}: unsupported expression {expression}")


def render(name: str, parameters: Mapping[str, Any], out: Path) -> Rendered:
    """Run template `name`'s fetch steps with `parameters` into `out`."""
    template = load_template(name)
    answers = form_values(template, parameters)
    template_dir = GOLDEN_PATHS / name
    rendered_values: dict[str, dict] = {}
    earlier: set[str] = set()
    for step in template["spec"]["steps"]:
        if step["action"] != "fetch:template":
            _check_references(step, earlier, answers)
            earlier.add(step["id"])
            continue
        for index, item in enumerate(step.get("each", [None])):
            context = {"parameters": answers, "each.value": item or {}}
            inputs = _evaluate(step["input"], context)
            source = (template_dir / inputs["url"]).resolve()
            if not source.is_dir() or GOLDEN_PATHS not in source.parents:
                raise TemplateError(f"step {step['id']}: {inputs['url']} is not a skeleton here")
            target = (out / inputs.get("targetPath", ".")).resolve()
            _fetch(source, target, inputs.get("values", {}), inputs.get("copyWithoutTemplating",
                                                                         []))
            rendered_values[f"{step['id']}[{index}]" if item else step["id"]] = inputs["values"]
        earlier.add(step["id"])
    return Rendered(template, out, rendered_values)
