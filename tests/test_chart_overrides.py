"""`idp:charts.<key>.values`: the stack's map laid over each layer's own chart values."""

from __future__ import annotations

import json

import pytest

from components import charts
from components.charts import merged_values
from tests.harness import expect_config_error, run_program, stack_config

CHART = "kubernetes:helm.sh/v4:Chart"
OVERRIDE = {"idpOverride": {"set": True}, "resources": {"limits": {"cpu": "3"}}}


def _values_by_chart(registry) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for chart in registry.of_type(CHART):
        found.setdefault(chart.inputs["chart"], []).append(chart.inputs.get("values") or {})
    return found


# The shipped prod stack (Sealed Secrets, the default), and dev switched to External Secrets:
# between them every chart of the table.
STACKS = {"prod": "sealed-secrets", "dev": "external-secrets"}


def _stack(stack: str, override: dict | None = None) -> dict:
    """`stack` with its secret manager from STACKS and `override` laid over every chart."""
    def edit(config: dict) -> None:
        if STACKS[stack] != "sealed-secrets":
            config["gitops"]["secrets"] = STACKS[stack]
        if override is not None:
            config["charts"] = {key: {"values": override} for key in charts.CHARTS}

    return stack_config(stack, edit)


@pytest.mark.parametrize("stack", STACKS)
def test_every_chart_takes_the_stack_values_over_its_own(stack):
    plain = _values_by_chart(run_program(_stack(stack), stack))
    overridden = _values_by_chart(run_program(_stack(stack, OVERRIDE), stack))
    assert plain.keys() == overridden.keys()
    for chart, installs in plain.items():
        expected = [merged_values(values, OVERRIDE) for values in installs]
        assert _sorted(overridden[chart]) == _sorted(expected), chart


def _sorted(installs: list[dict]) -> list[str]:
    """The installs of one chart, in an order that does not depend on registration order."""
    return sorted(json.dumps(values, sort_keys=True, default=str) for values in installs)


def test_the_two_stacks_between_them_install_every_chart_of_the_table():
    installed = set().union(*(_values_by_chart(run_program(_stack(s), s)) for s in STACKS))
    assert installed == {source.chart for source in charts.CHARTS.values()}


def test_without_an_override_the_values_are_the_layers_own():
    chart = charts.resolve_chart("kyverno", "")
    assert chart.values == {}


def test_merge_lays_maps_over_maps_replaces_the_rest_and_null_removes():
    base = {"a": {"b": 1, "c": [1, 2]}, "d": "x", "e": 1}
    assert merged_values(base, {"a": {"c": [3]}, "d": {"y": 1}, "e": None, "f": 2}) == {
        "a": {"b": 1, "c": [3]}, "d": {"y": 1}, "f": 2}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": "x", "e": 1}


def test_values_that_are_not_a_map_are_a_config_error():
    config = stack_config("dev", charts={"kyverno": {"values": ["replicas", 2]}})
    message = expect_config_error(config, "dev")
    assert "idp:charts.kyverno.values: must be an object, got a list" in message
