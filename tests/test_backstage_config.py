"""The portal's app-config, validated against Backstage's own config schema: the schemas its
plugins declare, collected and applied by @backstage/config-loader as `backstage-cli
config:check` does (tests/validators/validate-app-config.mjs). The catalog's entities keep their
own check with @backstage/catalog-model (tests/test_portal.py)."""

from __future__ import annotations

import copy

import pytest

from tests.node_validators import run_validator


def app_config(registry) -> dict:
    return registry.named("portal-backstage").get("values")["backstage"]["appConfig"]


def broken(config: dict) -> dict:
    """`config` with a cluster of an unknown locator type and a database port that is not a
    number."""
    config = copy.deepcopy(config)
    config["kubernetes"]["clusterLocatorMethods"][0]["type"] = "clusters"
    config["backend"]["database"]["connection"]["port"] = "five-four-three-two"
    return config


@pytest.fixture(scope="module")
def report(dev, prod) -> str:
    """One run of the validator over the dev and prod app-configs and a broken one: a line per
    problem, each starting with the config's name, then a count."""
    configs = {"dev": app_config(dev), "prod": app_config(prod), "broken": broken(app_config(prod))}
    code, text = run_validator("validate-app-config.mjs", "@backstage/config-loader",
                               [{"name": name, "config": c} for name, c in configs.items()])
    assert f"validated {len(configs)} app-configs against" in text, text
    assert code == 1, text  # the broken one
    return text


def problems(report: str, name: str) -> list[str]:
    return [line for line in report.splitlines() if line.startswith(f"{name}: ")]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_portal_app_config_matches_backstages_config_schema(stack, report):
    assert problems(report, stack) == [], report


def test_the_schema_check_catches_a_wrong_value(report):
    """The check is real: a cluster with an unknown locator type and a database port that is
    not a number are refused, with their paths."""
    found = problems(report, "broken")
    assert any("/kubernetes/clusterLocatorMethods/0" in line for line in found), report
    assert ", 1 invalid" in report, report
