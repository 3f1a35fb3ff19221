"""The portal's app-config, validated against Backstage's own config schema: the schemas its
plugins declare, collected and applied by @backstage/config-loader as `backstage-cli
config:check` does (tests/validators/validate-app-config.mjs). The catalog's entities keep their
own check with @backstage/catalog-model (tests/test_portal.py)."""

from __future__ import annotations

import copy

import pytest

from tests.node_validators import run_validator


def app_configs(registry, stack: str) -> dict[str, dict]:
    values = registry.named("portal-backstage").get("values")
    return {f"{stack} app-config": values["backstage"]["appConfig"]}


def check(configs: dict[str, dict]) -> tuple[int, str]:
    return run_validator("validate-app-config.mjs", "@backstage/config-loader",
                         [{"name": name, "config": config} for name, config in configs.items()])


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_portal_app_config_matches_backstages_config_schema(stack, request):
    code, report = check(app_configs(request.getfixturevalue(stack), stack))
    assert code == 0, report
    assert "1 app-configs against" in report and ", 0 invalid" in report, report


def test_the_schema_check_catches_a_wrong_value(prod):
    """The check is real: a cluster with an unknown locator type and a database port that is
    not a number are refused, with their paths."""
    [config] = app_configs(prod, "prod").values()
    broken = copy.deepcopy(config)
    broken["kubernetes"]["clusterLocatorMethods"][0]["type"] = "clusters"
    broken["backend"]["database"]["connection"]["port"] = "five-four-three-two"
    code, report = check({"broken": broken})
    assert code == 1, report
    assert "/kubernetes/clusterLocatorMethods/0" in report, report
    assert "1 invalid" in report, report
