"""The promises as each shipped stack installs them: KratixPromise components, the Promise
objects they register, the operators they deliver, the Backstage templates and Dockerfiles."""

from __future__ import annotations

import copy
import json
import re

import pytest
import yaml
from pulumi_policy import ResourceValidationPolicy

from components import charts
from components.promises.sizes import SIZES as PROMISES_SIZES
from components.promises.settings import promise_destinations
from components.topology import platform_namespaces
from policies.kratix import POLICIES
from policies.lib.promises import PROMISE
from promises import all_promises, backstage
from promises.definition import BACKEND_LABEL, TEAM_LABELS_ENV, VERSION_LABEL
from tests.harness import REPO, parse_stack_file, parse_test_config, run_program, stack_config
from tests.policy_helpers import violations
from tests.test_config_errors import expect_config_error

DEFINITIONS = all_promises()
# Cloud-backed promises are offered only where the Crossplane layer runs: prod, not dev.
OPERATED = [d for d in DEFINITIONS if d.operator]
OFFERED = {"dev": [d for d in DEFINITIONS if not d.cloud_backed], "prod": DEFINITIONS}
STACKS = ["dev", "prod"]
REGISTRIES = {"dev": "ghcr.io/idp-as-code/promises",
              "prod": "registry.example.com/platform/promises"}


def promises_of(registry) -> dict[str, object]:
    return {r.get("metadata", "name"): r for r in registry.kind("Promise")}


@pytest.fixture(params=STACKS)
def stack(request, dev, prod):
    return request.param, {"dev": dev, "prod": prod}[request.param]


def test_every_promise_installs_on_the_platform_after_the_kratix_controller(stack):
    name, registry = stack
    components = {r.name: r for r in registry.of_type("idp:platform:KratixPromise")}
    assert set(components) == {f"promise-{d.name}" for d in OFFERED[name]}
    controller = registry.named("kratix-controller")
    for definition in OFFERED[name]:
        promise = registry.named(f"promise-{definition.name}-promise")
        assert promise.parent_name == f"promise-{definition.name}"
        assert promise.provider_name == "platform"
        assert controller.urn in promise.dependencies, "the Promise CRD comes from the chart"
        assert promise.get("metadata", "labels", VERSION_LABEL) == definition.version
        assert registry.outputs["promises"][definition.name] == {
            "version": definition.version,
            "image": f"{REGISTRIES[name]}/{definition.name}-pipeline:{definition.version}"}


def test_the_promise_api_is_the_definitions_crd(prod):
    for definition in DEFINITIONS:
        api = promises_of(prod)[definition.name].get("spec", "api")
        assert api["metadata"]["name"] == definition.crd_name
        version = api["spec"]["versions"][0]
        spec = version["schema"]["openAPIV3Schema"]["properties"]["spec"]
        assert set(spec["properties"]) == {o.name for o in definition.options}
        for option in definition.options:
            assert spec["properties"][option.name]["default"] == option.default
            if option.enum:
                assert spec["properties"][option.name]["enum"] == list(option.enum)
                assert option.default in option.enum


def test_postgresql_and_redis_offer_the_issues_options(dev):
    apis = {name: r.get("spec", "api", "spec", "versions")[0]["schema"]["openAPIV3Schema"]
            ["properties"]["spec"]["properties"] for name, r in promises_of(dev).items()}
    assert apis["postgresql"]["size"]["enum"] == ["small", "medium", "large"]
    assert apis["postgresql"]["size"]["default"] == "small"
    assert apis["postgresql"]["version"]["default"] == "16"
    assert "teamName" in apis["postgresql"]
    assert apis["redis"]["mode"]["enum"] == ["standalone", "sentinel", "cluster"]
    assert apis["redis"]["mode"]["default"] == "standalone"
    assert (apis["redis"]["maxMemory"]["default"], apis["redis"]["version"]["default"]) == \
        ("256Mi", "7.2")


def test_both_workflows_run_the_versioned_pipeline_image(stack):
    name, registry = stack
    for definition in OFFERED[name]:
        workflows = promises_of(registry)[definition.name].get("spec", "workflows")
        assert set(workflows) == {"resource"}
        for action in ("configure", "delete"):
            (pipeline,) = workflows["resource"][action]
            (container,) = pipeline["spec"]["containers"]
            assert container["image"] == \
                f"{REGISTRIES[name]}/{definition.name}-pipeline:{definition.version}"
            # Kratix keeps <promise>-<type>-<action>-<pipeline> within 60 characters.
            assert len(f"{definition.name}-resource-{action}-{pipeline['metadata']['name']}") \
                <= 60


def test_destination_selectors_reach_existing_destinations(stack):
    name, registry = stack
    config = parse_stack_file(name)
    expected = {"dev": {"environment": "dev"}, "prod": {"promises": "enabled"}}[name]
    reached = {"dev": ["platform"],
               "prod": ["prod-eu-west-1", "prod-us-east-1", "staging-eu-west-1"]}[name]
    assert sorted(d.name for d in promise_destinations(config)) == reached
    for promise in promises_of(registry).values():
        if promise.get("metadata", "labels", BACKEND_LABEL) == "crossplane":
            continue  # scheduled where Crossplane runs (tests/test_crossplane.py)
        assert promise.get("spec", "destinationSelectors") == [{"matchLabels": expected}]
    for destination in registry.kind("Destination"):
        labels = destination.get("metadata", "labels")
        assert all(labels.get(k) == v for k, v in expected.items()), labels


def test_every_pipeline_knows_each_teams_cost_labels_like_the_security_baseline(stack):
    """The labels a pipeline completes requests with are the ones the security baseline puts on
    the team's namespaces (one vocabulary), for every team of the stack."""
    name, registry = stack
    config = parse_stack_file(name)
    namespaces = {r.get("metadata", "name"): r.get("metadata", "labels")
                  for r in registry.kind("Namespace")}
    for promise in promises_of(registry).values():
        for action in ("configure", "delete"):
            [pipeline] = promise.get("spec", "workflows", "resource", action)
            [container] = pipeline["spec"]["containers"]
            [env] = [e for e in container["env"] if e["name"] == TEAM_LABELS_ENV]
            known = json.loads(env["value"])
            assert set(known) == {team.name for team in config.teams}
            for team, labels in known.items():
                team_namespace = next(labels_ for ns, labels_ in namespaces.items()
                                      if ns.startswith(f"{team}-"))
                for key in ("owner", "department", "product"):
                    assert labels[key] == team_namespace[key], (team, key)


def test_each_operator_is_a_pinned_flux_helm_release_delivered_as_a_dependency(stack):
    name, registry = stack
    for definition in OPERATED:
        dependencies = promises_of(registry)[definition.name].get("spec", "dependencies")
        by_kind = {d["kind"]: d for d in dependencies}
        assert set(by_kind) == {"Namespace", "HelmRepository", "HelmRelease"}
        pin = charts.OPERATOR_CHARTS[definition.operator.chart]
        release = by_kind["HelmRelease"]
        assert release["apiVersion"] == "helm.toolkit.fluxcd.io/v2"
        assert release["spec"]["chart"]["spec"] == {
            "chart": pin.chart, "version": pin.version,
            "sourceRef": {"kind": "HelmRepository", "name": f"{definition.name}-operator"}}
        assert by_kind["HelmRepository"]["spec"]["url"] == pin.repository
        assert release["spec"]["values"]["resources"] == \
            PROMISES_SIZES[name].promise_operator.resources()
        assert {d["metadata"].get("namespace", d["metadata"]["name"]) for d in dependencies} \
            == {definition.operator.namespace}
        labels = by_kind["Namespace"]["metadata"]["labels"]
        assert labels["pod-security.kubernetes.io/enforce"] == "baseline"


def test_destinations_run_flux_helm_controller_and_kyverno_leaves_operators_alone(stack):
    name, registry = stack
    agents = registry.of_type("idp:platform:FluxBucketAgent")
    assert agents
    for agent in agents:
        values = registry.named(f"{agent.name}-controllers").get("values")
        assert values["helmController"]["create"] is True
    excluded = platform_namespaces(parse_stack_file(name))
    assert {"cnpg-system", "redis-operator-system"} <= set(excluded)


def test_a_remote_chart_mirror_also_serves_the_operators():
    registry = run_program(stack_config("dev", chartMirror="oci://registry.internal/charts"))
    for definition in OPERATED:
        dependencies = promises_of(registry)[definition.name].get("spec", "dependencies")
        source = next(d for d in dependencies if d["kind"] == "HelmRepository")
        assert source["spec"] == {"interval": "1h", "url": "oci://registry.internal/charts",
                                  "type": "oci"}


def test_promises_off_registers_no_promise_and_no_helm_controller():
    registry = run_program(stack_config("dev", promises={"enabled": False}))
    assert registry.kind("Promise") == []
    values = registry.named("flux-platform-controllers").get("values")
    assert values["helmController"] == {"create": False}


RESOURCE_POLICIES = [p for p in POLICIES if isinstance(p, ResourceValidationPolicy)]


@pytest.mark.parametrize("policy", RESOURCE_POLICIES, ids=lambda p: p.name)
def test_the_kratix_policy_pack_accepts_every_promise(stack, policy):
    _, registry = stack
    for promise in registry.kind("Promise"):
        assert violations(policy, PROMISE, promise.inputs) == [], promise.name


def test_the_policy_pack_would_catch_an_unlabelled_promise_with_a_latest_image(dev):
    props = copy.deepcopy(promises_of(dev)["redis"].inputs)
    del props["metadata"]["labels"][VERSION_LABEL]
    props["spec"]["workflows"]["resource"]["configure"][0]["spec"]["containers"][0]["image"] = \
        "ghcr.io/idp-as-code/promises/redis-pipeline:latest"
    found = [m for p in RESOURCE_POLICIES for m in violations(p, PROMISE, props)]
    assert any(VERSION_LABEL in m for m in found), found
    assert any("configure" in m for m in found), found


# -- config ----------------------------------------------------------------------------------


def test_selectors_matching_no_destination_are_a_config_error():
    config = stack_config("prod", lambda c: c["promises"].update(
        destinationSelectors={"environment": "qa"}))
    message = expect_config_error(config, "prod")
    assert "idp:promises.destinationSelectors.environment: 'qa' matches no destination" \
        in message
    assert "environment values that exist: prod, staging" in message


def test_without_selectors_strict_destinations_are_not_reached():
    config = stack_config("prod", lambda c: c["promises"].update(destinationSelectors={}))
    parsed = parse_test_config(config, "prod")
    assert [d.name for d in promise_destinations(parsed)] == ["staging-eu-west-1"]


@pytest.mark.parametrize("registry", ["ghcr.io/acme/promises:v1", "https://ghcr.io/acme",
                                      "ghcr.io/acme@sha256:abc", ""])
def test_an_image_registry_with_a_tag_or_scheme_is_a_config_error(registry):
    config = stack_config("dev", lambda c: c["promises"].update(imageRegistry=registry))
    message = expect_config_error(config)
    assert "idp:promises.imageRegistry" in message and "without scheme, tag or digest" in message


def test_an_invalid_selector_label_is_a_config_error():
    config = stack_config("dev", lambda c: c["promises"].update(
        destinationSelectors={"environment": "dev env"}))
    assert "idp:promises.destinationSelectors.environment" in expect_config_error(config)


# -- Backstage templates, Dockerfiles, examples ----------------------------------------------


def test_committed_backstage_templates_are_generated_from_the_current_apis():
    assert backstage.stale_templates() == [], "run `python -m promises.backstage`"


@pytest.mark.parametrize("definition", DEFINITIONS, ids=lambda d: d.name)
def test_the_request_form_is_the_promise_api(definition):
    path = REPO / "backstage" / "templates" / f"request-{definition.name}.yaml"
    template = yaml.safe_load(path.read_text())
    assert template["kind"] == "Template" and template["metadata"]["name"] == \
        f"request-{definition.name}"
    assert template["metadata"]["labels"] == {VERSION_LABEL: definition.version}
    form = template["spec"]["parameters"][1]["properties"]
    api = definition.spec_schema()["properties"]
    assert [*form] == [*api]
    for option, schema in api.items():
        assert form[option]["default"] == schema["default"]
        assert form[option].get("enum") == schema.get("enum")
        assert form[option].get("pattern") == schema.get("pattern")
    manifest = template["spec"]["steps"][0]["input"]["manifest"]
    assert (manifest["apiVersion"], manifest["kind"]) == \
        (definition.request_api_version, definition.kind)
    assert manifest["spec"] == {o: f"${{{{ parameters.{o} }}}}" for o in api}


@pytest.mark.parametrize("definition", DEFINITIONS, ids=lambda d: d.name)
def test_each_pipeline_image_builds_from_a_pinned_base_and_runs_its_module(definition):
    dockerfile = (REPO / "promises" / definition.name / "Dockerfile").read_text()
    (base,) = re.findall(r"^FROM (\S+)", dockerfile, re.MULTILINE)
    assert re.fullmatch(r"python:3\.12-slim@sha256:[0-9a-f]{64}", base)
    assert re.search(r"kratix-sdk==\d+\.\d+\.\d+", dockerfile)
    sdk_pin = next(line for line in (REPO / "requirements.txt").read_text().splitlines()
                   if line.startswith("kratix-sdk=="))
    assert sdk_pin in dockerfile, "the image and the tests use the same kratix-sdk"
    entrypoint = re.search(r'^ENTRYPOINT \["python", "-m", "([\w.]+)"\]', dockerfile,
                           re.MULTILINE)
    assert entrypoint and entrypoint.group(1) == definition.pipeline_module
    # Every module the pipeline imports from promises/ is copied into the image.
    copied = set(re.findall(r"(promises/[\w/]+\.py)", dockerfile))
    module = REPO / (definition.pipeline_module.replace(".", "/") + ".py")
    for imported in re.findall(r"^from (promises[\w.]*) import", module.read_text(),
                               re.MULTILINE):
        assert imported.replace(".", "/") + ".py" in copied or \
            imported.replace(".", "/") + "/__init__.py" in copied, imported
    assert "USER 10001" in dockerfile


@pytest.mark.parametrize("definition", DEFINITIONS, ids=lambda d: d.name)
def test_examples_request_this_promise(definition):
    assert definition.example_requests
    for example in definition.example_requests:
        request = yaml.safe_load((REPO / "promises" / definition.name / example).read_text())
        assert (request["apiVersion"], request["kind"]) == \
            (definition.request_api_version, definition.kind)
        definition.validate(request["spec"])
