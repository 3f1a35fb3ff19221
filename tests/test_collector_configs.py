"""Every OpenTelemetry collector config the program generates (node agents, the gateway, the
workers' cluster collectors), validated by the collector itself: `otelcol-idp validate`, a
collector the OpenTelemetry collector builder made from exactly the components these configs use
(tools/otelcol/manifest.yaml).

What is validated is the config the opentelemetry-collector chart writes into its ConfigMap: the
release's `alternateConfig` as it is, or else the chart's default `config` with the release's
`config` merged over it the way Helm merges values (maps merge, lists and scalars replace, null
removes a key: a null Pulumi's Python SDK never sends). The chart is read from the mirror of
real upstream charts (IDP_CHART_MIRROR, or `shared/charts` beside the clone: tests.harness)."""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path

import pytest
import yaml

from components import charts
from tests.harness import CHART_MIRROR, REPO
from tests.validator_binaries import run

CHART = charts.CHARTS["opentelemetry-collector"]
# What the chart's pod template sets in every collector's environment (and our extraEnvs).
POD_ENV = {"MY_POD_IP": "127.0.2.3", "K8S_NODE_NAME": "node-1", "K8S_NODE_IP": "127.0.0.1",
           "OTEL_K8S_NODE_NAME": "node-1", "OTEL_K8S_NODE_IP": "127.0.0.1",
           "OTEL_K8S_NAMESPACE": "monitoring", "OTEL_K8S_POD_NAME": "otel-0",
           "OTEL_K8S_POD_IP": "127.0.2.3"}
KINDS = ("receivers", "processors", "exporters", "connectors", "extensions")


def chart_dir() -> Path:
    chart = CHART_MIRROR / CHART.chart
    if not (chart / "Chart.yaml").is_file():
        pytest.fail(f"the upstream {CHART.chart} chart is not in {CHART_MIRROR}: set "
                    "IDP_CHART_MIRROR to the folder of unpacked upstream charts")
    return chart


def helm_merge(base, override):
    """Helm's coalescing of user values over chart defaults."""
    if not isinstance(base, dict) or not isinstance(override, dict):
        return copy.deepcopy(override)
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if value is None:
            merged.pop(key, None)
        elif key in merged:
            merged[key] = helm_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def chart_renames() -> dict[str, dict[str, str]]:
    """The component renames the chart applies (rewriteDeprecatedComponentNames), from its
    `deprecatedComponentRenames` template."""
    helpers = (chart_dir() / "templates" / "_helpers.tpl").read_text()
    block = re.search(r'define "opentelemetry-collector\.deprecatedComponentRenames" -}}\n'
                      r'(.*?)\{\{- end', helpers, re.DOTALL)
    assert block, "the chart's rename table moved: read _helpers.tpl again"
    return yaml.safe_load(block.group(1))["components"]


def collector_releases(registry) -> dict[str, dict]:
    return {r.name: r.get("values") for r in registry.kind("Chart")
            if r.get("chart") == CHART.chart}


def effective_config(values: dict) -> dict:
    """The config the chart writes: `alternateConfig` as it is, else `config` merged over the
    chart's defaults. (No preset is used: none adds to it.)"""
    defaults = yaml.safe_load((chart_dir() / "values.yaml").read_text())
    assert defaults["rewriteDeprecatedComponentNames"] is True
    assert not values.get("presets")
    if values.get("alternateConfig"):
        return copy.deepcopy(values["alternateConfig"])
    return helm_merge(defaults["config"], values.get("config") or {})


def _releases(stack: str, request) -> dict[str, dict]:
    registry = request.getfixturevalue(stack)
    return {name: effective_config(values)
            for name, values in collector_releases(registry).items()}


def test_the_mirrored_chart_is_the_pinned_one():
    chart = yaml.safe_load((chart_dir() / "Chart.yaml").read_text())
    assert chart["version"] == CHART.version


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_collector_accepts_every_generated_config(stack, request, tmp_path):
    releases = _releases(stack, request)
    roles = {name.rsplit("-", 2)[-1] if name.endswith("cluster-collector") else
             name.rsplit("-", 1)[-1] for name in releases}
    assert roles == ({"agent", "gateway"} if stack == "dev" else
                     {"agent", "gateway", "collector"}), sorted(releases)
    env = {**os.environ, **POD_ENV}
    registry = request.getfixturevalue(stack)
    for name, config in releases.items():
        config = _with_host_mounts(config, collector_releases(registry)[name], tmp_path)
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        result = run("otelcol-idp", "validate", f"--config={path}", env=env)
        assert result.returncode == 0, f"{name}:\n{result.stdout}{result.stderr}"


def _with_host_mounts(config: dict, values: dict, tmp_path: Path) -> dict:
    """`validate` builds every pipeline, and two receivers read the pod's files when they are
    built: hostmetrics its root_path (the host's root, mounted read-only by extraVolumeMounts:
    an empty folder stands in for it) and kubeletstats with `auth_type: serviceAccount` the
    ServiceAccount token and CA Kubernetes mounts (the chart creates the ServiceAccount; here
    the receiver is built without authentication instead, everything else as written)."""
    config = copy.deepcopy(config)
    receivers = config.get("receivers") or {}
    if "hostmetrics" in receivers:
        mounts = {m["mountPath"]: m for m in values.get("extraVolumeMounts", [])}
        root = receivers["hostmetrics"]["root_path"]
        assert root in mounts and mounts[root]["readOnly"], root
        receivers["hostmetrics"]["root_path"] = str(tmp_path / "hostfs")
        (tmp_path / "hostfs").mkdir(exist_ok=True)
    if "kubeletstats" in receivers:
        assert receivers["kubeletstats"]["auth_type"] == "serviceAccount"
        assert values.get("serviceAccount", {}).get("create", True) is not False
        receivers["kubeletstats"]["auth_type"] = "none"
    return config


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_configs_use_no_name_the_chart_would_rewrite(stack, request):
    """The chart renames deprecated components (filelog, k8sattributes) on the fly and will stop
    doing so: the configs use the current names, so what we write is what runs."""
    renames = chart_renames()
    for name, config in _releases(stack, request).items():
        for kind, table in renames.items():
            used = {key.split("/")[0] for key in config.get(kind) or {}}
            assert not used & set(table), (name, kind, used & set(table))


def _used_types(configs) -> set[str]:
    """Component types the configs' pipelines and service use (what the collector builds)."""
    used = set()
    for config in configs:
        service = config["service"]
        for pipeline in service["pipelines"].values():
            for kind in ("receivers", "processors", "exporters"):
                used.update(f"{kind}:{ref.split('/')[0]}" for ref in pipeline.get(kind, []))
        used.update(f"extensions:{ref.split('/')[0]}" for ref in service.get("extensions", []))
        used.update(f"connectors:{key.split('/')[0]}" for key in config.get("connectors") or {})
        # Defined but in no pipeline (the chart's `debug` exporter) still has to be known.
        for kind in KINDS:
            used.update(f"{kind}:{key.split('/')[0]}" for key in config.get(kind) or {})
    # Connectors appear in pipelines as receivers and exporters.
    connectors = {u.split(":")[1] for u in used if u.startswith("connectors:")}
    return {u for u in used if not (u.split(":")[0] in ("receivers", "exporters")
                                    and u.split(":")[1] in connectors)}


def _manifest_types() -> set[str]:
    """Component types the builder manifest brings in, by module name: `filelogreceiver` is
    `filelog` (or `file_log`), `healthcheckextension` is `health_check`."""
    manifest = yaml.safe_load((REPO / "tools" / "otelcol" / "manifest.yaml").read_text())
    types = set()
    for kind in KINDS:
        for entry in manifest.get(kind) or []:
            module = entry["gomod"].split()[0].rsplit("/", 1)[-1]
            assert module.endswith(kind[:-1]), module
            types.add(f"{kind}:{module[:-len(kind[:-1])]}")
    return types


def test_the_validator_is_built_from_exactly_the_components_the_configs_use(request):
    configs = [*_releases("dev", request).values(), *_releases("prod", request).values()]
    used = {u.replace("_", "") for u in _used_types(configs)}
    assert _manifest_types() == used


def test_the_validator_is_the_manifests_build():
    manifest = yaml.safe_load((REPO / "tools" / "otelcol" / "manifest.yaml").read_text())
    result = run("otelcol-idp", "components")
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(result.stdout)["buildinfo"]["version"] == manifest["dist"]["version"]
