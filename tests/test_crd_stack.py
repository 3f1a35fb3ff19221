"""The CRD stack (crds/, components/crd_stack.py) and the commands that run it before the
platform stack (scripts/stacks.py): what it installs, where, and when the platform refuses."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest
import yaml

from components import charts
from components.crd_stack import (
    plan_fingerprint,
    CHART_TYPE,
    POST_RENDERER_FROM_CRD_PROJECT,
    SECRET_STAND_IN,
    PlannedChart,
    chart_versions,
    compose_crds,
    plan_charts,
    read_platform_config,
    retained,
)
from tests.harness import REPO, parse_stack_file, run_program, stack_file_config, stack_test_secrets

sys.path.insert(0, str(REPO / "scripts"))
import stacks  # noqa: E402


def project_with_secrets(tmp_path: Path, stack: str) -> Path:
    """A copy of a shipped stack file with its operator secrets set as `pulumi config set
    --secret --path` writes them (`{secure: ...}` leaves)."""
    data = yaml.safe_load((REPO / f"Pulumi.{stack}.yaml").read_text())

    def encrypted(value):
        if isinstance(value, dict):
            return {key: encrypted(item) for key, item in value.items()}
        return {"secure": "v1:ciphertext"}

    for key, value in stack_test_secrets(stack).items():
        data["config"][f"idp:{key}"] = encrypted(value)
    (tmp_path / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(data))
    return tmp_path


def test_the_crd_stack_reads_the_platform_stack_file_without_its_secrets(tmp_path):
    raw, secret_keys = read_platform_config(project_with_secrets(tmp_path, "prod"), "prod")
    assert raw["portalCredentials"]["oidc"]["clientSecret"] == SECRET_STAND_IN
    assert secret_keys == {"idp:portalCredentials"}
    assert raw["clusters"] == stack_file_config("prod")["clusters"]


def test_a_missing_platform_stack_file_names_the_command(tmp_path):
    with pytest.raises(FileNotFoundError, match="scripts/up staging"):
        read_platform_config(tmp_path, "staging")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_plan_is_every_chart_the_platform_installs_once_per_cluster(stack, tmp_path):
    plan = plan_charts(project_with_secrets(tmp_path, stack), stack)
    registry = run_program(stack_file_config(stack), stack)
    installed = {(r.provider_name, r.name): r for r in registry.of_type(CHART_TYPE)}
    # Each planned chart is one the platform registers, on the same cluster, same values.
    for chart in plan:
        platform = installed[(chart.cluster, chart.release)]
        assert platform.get("chart") == chart.chart and platform.get("namespace") == chart.namespace
    # Every cluster gets each chart (by name and version) the platform installs there.
    planned = {(c.cluster, c.identity) for c in plan}
    for (cluster, _), registration in installed.items():
        identity = f"{Path(registration.get('chart')).name}@{registration.get('version')}"
        assert (cluster, identity) in planned
    assert len(planned) == len(plan), "a chart planned twice on one cluster"


def test_a_local_chart_without_crds_is_left_out(tmp_path):
    mirror = Path(stack_file_config("dev").get("chartMirror") or REPO.parent / "shared" / "charts")
    if not mirror.is_dir():
        pytest.skip(f"no chart mirror at {mirror}")
    project = project_with_secrets(tmp_path, "dev")
    data = yaml.safe_load((project / "Pulumi.dev.yaml").read_text())
    data["config"]["idp:chartMirror"] = str(mirror)
    (project / "Pulumi.dev.yaml").write_text(yaml.safe_dump(data))
    names = {Path(c.chart).name for c in plan_charts(project, "dev")}
    assert {"kratix", "cert-manager", "argo-cd", "flux2", "kyverno"} <= names
    assert "backstage" not in names  # its files hold no CRD


def planned(cluster: str, release: str, version: str = "1.0.0") -> PlannedChart:
    return PlannedChart(cluster, release, "ns", "/charts/example", version, None, {"crds": {}})


def test_each_cluster_gets_its_planned_charts_with_only_their_crds():
    config = parse_stack_file("prod")
    plan = [planned("platform", "kratix-controller"), planned("prod-eu-west-1", "flux-controllers")]

    def program() -> dict:
        return compose_crds(config, plan, "prod")

    registry = run_program(stack_file_config("prod"), "prod", program=program)
    sets = {r.name for r in registry.of_type("idp:platform:CrdSet")}
    assert sets == {c.name for c in config.clusters}
    installed = registry.of_type(CHART_TYPE)
    assert {(r.provider_name, r.get("name")) for r in installed} == {
        ("platform", "kratix-controller"), ("prod-eu-west-1", "flux-controllers")}
    for chart in installed:
        assert chart.get("postRenderer")["args"] == [
            POST_RENDERER_FROM_CRD_PROJECT, "ns", "--crds=only"]
        # prod: deleting a CRD deletes every object of its kind, so they are retained.
        assert retained in chart.transforms
    assert registry.outputs["charts"]["platform"] == {"kratix-controller": "example@1.0.0"}


def test_dev_crds_are_deleted_with_their_stack():
    config = parse_stack_file("dev")

    def program() -> dict:
        return compose_crds(config, [planned("platform", "kratix-controller")], "dev")

    registry = run_program(stack_file_config("dev"), "dev", program=program)
    assert all(retained not in c.transforms for c in registry.of_type(CHART_TYPE))


def test_retained_marks_crds_only():
    import pulumi

    def transform_args(type_: str) -> pulumi.ResourceTransformArgs:
        return pulumi.ResourceTransformArgs(
            custom=True, type_=type_, name="x", props={}, opts=pulumi.ResourceOptions())

    assert retained(transform_args(charts.CRD_TYPE)).opts.retain_on_delete is True
    assert retained(transform_args("kubernetes:core/v1:ConfigMap")) is None


@dataclasses.dataclass
class AppliedCrdStack:
    """An `auto.Stack` stand-in: the outputs the commands read, and the `up`s they ask for."""

    charts: dict | None
    plan: str | None = None
    ups: int = 0

    def outputs(self) -> dict:
        from pulumi import automation as auto

        found = {} if self.charts is None else {"charts": auto.OutputValue(self.charts, False)}
        if self.plan is not None:
            found["plan"] = auto.OutputValue(self.plan, False)
        return found

    def up(self, **_options) -> None:
        self.ups += 1

    def export_stack(self):
        from pulumi import automation as auto

        return auto.Deployment(version=3, deployment={"resources": []})


def environment(monkeypatch, wanted: list[PlannedChart]) -> stacks.Environment:
    monkeypatch.setattr(stacks, "plan_charts", lambda *_: wanted)
    return stacks.Environment(REPO, "dev", {})


def test_the_platform_is_refused_until_its_crd_stack_is_applied(monkeypatch):
    env = environment(monkeypatch, [planned("platform", "gitops-argocd")])
    with pytest.raises(stacks.CrdsMissing, match=r"scripts/up dev --crds-only"):
        env.require_current_crds(AppliedCrdStack(None))


def test_the_platform_is_refused_when_its_crds_are_older_than_its_charts(monkeypatch):
    env = environment(monkeypatch, [planned("platform", "gitops-argocd", "2.0.0")])
    older = {"platform": {"gitops-argocd": "example@1.0.0"}}
    with pytest.raises(stacks.CrdsBehind,
                       match=r"platform/gitops-argocd: example@1.0.0 -> example@2.0.0"):
        env.require_current_crds(AppliedCrdStack(older))
    current = chart_versions([planned("platform", "gitops-argocd", "2.0.0")])
    env.require_current_crds(AppliedCrdStack(current))  # current: no error


def test_the_platform_stack_keeps_its_crds_when_asked(tmp_path):
    registry = run_program(stack_file_config("dev") | {"crdStack": False}, "dev")
    for chart in registry.of_type(CHART_TYPE):
        assert "--crds=without" not in chart.get("postRenderer")["args"]
    # ... and the commands then run the platform stack alone.
    assert stacks.Environment(REPO, "dev", {}).crds_apart
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  idp:crdStack: false\n")
    assert not stacks.Environment(tmp_path, "dev", {}).crds_apart


def test_the_plan_digest_moves_with_what_shapes_the_crds_and_is_exported():
    config = parse_stack_file("dev")
    plan = [planned("platform", "kratix-controller")]
    digest = plan_fingerprint(plan, config)
    assert plan_fingerprint(list(plan), config) == digest
    assert plan_fingerprint([planned("platform", "kratix-controller", "1.0.1")], config) != digest
    other_values = [dataclasses.replace(plan[0], values={"crds": {"keep": False}})]
    assert plan_fingerprint(other_values, config) != digest
    described = dataclasses.replace(config, crd_descriptions=not config.crd_descriptions)
    assert plan_fingerprint(plan, described) != digest

    registry = run_program(stack_file_config("dev"), "dev",
                           program=lambda: compose_crds(config, plan, "dev"))
    assert registry.outputs["plan"] == digest


def test_up_leaves_the_crd_stack_out_when_it_applied_this_plan_last(monkeypatch):
    wanted = [planned("platform", "gitops-argocd")]
    env = environment(monkeypatch, wanted)
    digest = plan_fingerprint(wanted, parse_stack_file("dev"))
    platform = AppliedCrdStack(None)
    monkeypatch.setattr(env, "settle_pending", lambda *_: None)
    monkeypatch.setattr(env, "platform_stack", lambda: platform)

    def up_with(applied: AppliedCrdStack, **options) -> int:
        monkeypatch.setattr(env, "crd_stack", lambda: applied)
        env.up(**options)
        return applied.ups

    current = chart_versions(wanted)
    assert up_with(AppliedCrdStack(current, digest)) == 0
    assert up_with(AppliedCrdStack(current, digest), force_crds=True) == 1
    assert up_with(AppliedCrdStack(current, "an older plan")) == 1
    assert up_with(AppliedCrdStack(current, None)) == 1  # applied before the digest existed
    assert platform.ups == 4
