"""The benchmark scripts import, and their scaled stacks are valid stacks of the asked size.

Benchmarks are not tests (bench/run measures); this only keeps the scripts from rotting as
layers and config keys are added.
"""

from __future__ import annotations

from decimal import Decimal

from pulumi.runtime import rpc

from bench import engine, footprint, program, report
from bench.stacks import BASE_STACK, scaled_config
from tests.harness import run_program, stack_file_config


def test_a_scaled_stack_registers_its_teams_and_destinations():
    registry = run_program(scaled_config(teams=7, destinations=4), BASE_STACK)
    destinations = registry.of_type("idp:platform:Destination")
    assert sorted(d.name for d in destinations) == [
        "prod-eu-west-1-0", "prod-eu-west-1-3", "prod-us-east-1-1", "staging-eu-west-1-2"]
    # One provider per cluster: the platform and four workers, all rendering to files.
    providers = registry.of_type("pulumi:providers:kubernetes")
    assert len(providers) == 5
    assert all(p.inputs.get("renderYamlToDirectory") for p in providers)
    # Every team gets a quota'd namespace on each of the four workers, per environment served
    # there (the shipped workers serve prod and staging).
    quotas = registry.kind("ResourceQuota")
    assert len(quotas) == 7 * 4
    assert len({q.get("metadata", "namespace") for q in quotas}) == 7 * 2
    # Everything else the shipped stack sets is kept as it is.
    shipped = stack_file_config(BASE_STACK)
    assert scaled_config(7, 4)["gitops"] == shipped["gitops"]


def test_footprint_follows_the_schedulers_rule_for_init_containers():
    pod = {"containers": [
               {"name": "app", "resources": {"requests": {"cpu": "100m", "memory": "64Mi"},
                                             "limits": {"cpu": "1", "memory": "1Gi"}}},
               {"name": "sidecar", "resources": {"requests": {"cpu": "0.05"}}}],
           "initContainers": [
               {"name": "migrate", "resources": {"requests": {"cpu": "500m",
                                                              "memory": "32Mi"}}}]}
    totals, unset = footprint.pod_footprint(pod)
    assert totals["requests.cpu"] == Decimal("0.5")
    assert totals["requests.memory"] == 64 * 1024 ** 2
    assert totals["limits.memory"] == 1024 ** 3
    assert "sidecar requests.memory" in unset and "migrate limits.cpu" in unset
    deployment = footprint.workload({"kind": "Deployment", "metadata": {"name": "x"},
                                     "spec": {"replicas": 3, "template": {"spec": pod}}})
    assert deployment["requests.cpu"] == Decimal("1.5")


def test_doubling_ratios_pair_each_point_with_its_double():
    points = [{"teams": t, "destinations": 1, "resources": r, "evaluate_seconds": s,
               "evaluate_cpu_seconds": s}
              for t, r, s in ((5, 100, 1.0), (10, 180, 1.9), (50, 800, 8.0), (100, 1600, 17.0))]
    assert program.doubling_ratios(points) == [
        {"teams": "5->10", "destinations": 1, "time_ratio": 1.9, "cpu_time_ratio": 1.9,
         "resource_ratio": 1.8},
        {"teams": "50->100", "destinations": 1, "time_ratio": 2.12, "cpu_time_ratio": 2.12,
         "resource_ratio": 2.0}]


def test_engine_reads_the_summaries_and_the_report_has_a_block_per_benchmark():
    assert engine.to_create("Resources:\n    + 119 to create\n") == 119
    assert engine.resource_changes("Resources:\n    ~ 1 updated\n    476 unchanged\n") == {
        "updated": 1, "unchanged": 476}
    text = report.DOCUMENT.read_text()
    for name in (*report.SECTIONS, "engine-options"):
        assert f"<!-- bench:{name} -->" in text and f"<!-- /bench:{name} -->" in text


class ExportingWorkspace:
    """What exported_manifests asks of a workspace: `pulumi stack export --show-secrets`."""

    def __init__(self, deployment: dict):
        self.deployment = deployment

    def pulumi(self, *args, **kwargs):
        import json
        import types
        assert args == ("stack", "export", "--show-secrets")
        return types.SimpleNamespace(stdout=json.dumps({"deployment": self.deployment}))


def test_the_objects_floor_takes_each_objects_inputs_per_cluster_with_secrets_opened():
    # The envelope as the SDK spells it (not the bench's own constant: a typo there once left
    # every secret wrapped, and the floors' Secrets unappliable).
    secret = {rpc._special_sig_key: rpc._special_secret_sig, "plaintext": '"hunter2"'}
    provider = "urn:pulumi:dev::idp::pulumi:providers:kubernetes::platform"
    deployment = {"resources": [
        {"urn": provider, "id": "p1", "type": "pulumi:providers:kubernetes", "custom": True,
         "inputs": {"kubeconfig": "/k", "context": "idp-dev-platform", "version": "4.25.0"}},
        {"urn": "urn:c", "type": "kubernetes:helm.sh/v4:Chart", "custom": False, "inputs": {}},
        {"urn": "urn:s", "type": "kubernetes:core/v1:Secret", "custom": True,
         "provider": f"{provider}::p1",
         "inputs": {"apiVersion": "v1", "kind": "Secret", "__internal": 1,
                    "metadata": {"name": "s", "namespace": "n"},
                    "stringData": {"password": secret}}},
        {"urn": "urn:r", "type": "random:index/randomPassword:RandomPassword", "custom": True,
         "inputs": {"length": 8}}]}
    clusters = engine.exported_manifests(ExportingWorkspace(deployment))
    assert list(clusters) == ["idp-dev-platform"]
    cluster = clusters["idp-dev-platform"]
    assert cluster["provider"] == {"kubeconfig": "/k", "context": "idp-dev-platform"}
    assert cluster["objects"] == [{"apiVersion": "v1", "kind": "Secret",
                                   "metadata": {"name": "s", "namespace": "n"},
                                   "stringData": {"password": "hunter2"}}]
    assert engine.a_changeable_object(clusters) == "Secret/n/s"


def test_the_report_renders_an_engine_run_with_its_floors_and_ratios():
    def run(wall, state=1.0):
        return {"wall": wall, "cpu": wall / 2, "cluster_cpu": 1.0, "state_mb": state,
                "load": 2.0, "changes": {}}

    def cycle(scale):
        return {step: run(scale * base) for step, base in
                (("first_preview", 10), ("up", 30), ("noop_preview", 8), ("change_up", 12),
                 ("destroy", 20))}
    stack = {"stack": "dev", "objects": 470, "crds": 64, "crd_input_mb": 11.0, "clusters": 1,
             "steps": list(engine.STEPS),
             "runs": {"stack/plain": cycle(2), "stack/policies": cycle(2.2),
                      "configmaps/plain": cycle(1), "configmaps/policies": cycle(1.1),
                      "objects/plain": cycle(1.5),
                      "kubectl": {"wall": 30.0, "cpu": 3.0, "cluster_cpu": 20.0, "load": 2.0}}}
    data = {"repeats": 1, "env": {}, "stacks": [stack], "machine": {
        "cpus": 2, "cpu_model": "x", "memory_gib": 1, "python": "3", "commit": "c",
        "measured_at": "now"}}
    text = report.engine_section(data)
    assert "| dev | first `preview` | 48.0 s (14.55x) | 10.0 / 20 | 1.0 | 5.0 / 10 | 2.0 / 2.0 |" in text
    # up: 30 s of CPU against 15 s, and 31 s (the cluster's included) against kubectl's 23 s
    assert "| 23.0 / 30.0 | 1.35 / 2.0 | <= 3.0x (a), <= 2.0x kubectl: met |" in text
    assert "| dev | stack | first `preview` | 10.0 / 20 | 11.0 / 22.0 | 10.0% / 10.0% | met |" in text


def test_the_live_footprint_counts_owners_not_their_replicasets_and_places_pods_per_node():
    pod_spec = {"containers": [{"name": "c", "resources": {
        "requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}}}]}
    owner = [{"kind": "Deployment", "name": "web"}]
    documents = [
        {"kind": "Deployment", "metadata": {"name": "web", "namespace": "a"},
         "spec": {"replicas": 2, "template": {"spec": pod_spec}}},
        {"kind": "ReplicaSet", "metadata": {"name": "web-1", "namespace": "a",
                                            "ownerReferences": owner},
         "spec": {"replicas": 2, "template": {"spec": pod_spec}}}]
    pods = [{"kind": "Pod", "metadata": {"name": f"web-{i}", "namespace": "a",
                                         "ownerReferences": owner},
             "spec": {**pod_spec, "nodeName": "n0"} if i else pod_spec, "status": {}}
            for i in range(2)]
    found = footprint.cluster_footprint(documents + pods, pods)
    assert [w["name"] for w in found["workloads"]] == ["web"]
    assert found["totals"]["requests.cpu_m"] == 200
    assert found["nodes"] == {"n0": {"pods": 1, "requests.cpu_m": 100,
                                     "requests.memory_mib": 128}}
    assert found["pending"] == ["a/web-0"]


def test_the_fast_path_settings_parse_and_never_default_the_state_losing_shortcut(tmp_path):
    from tests.engine.conftest import engine_workspace
    settings = engine_workspace.fast_path_env()
    assert all(key.startswith("PULUMI_") and value for key, value in settings.items())
    # Skipping checkpoints drops the record of a half-done update: opt-in only, never here.
    assert "PULUMI_SKIP_CHECKPOINTS" not in settings
    home = tmp_path / "home"
    (home / "logs").mkdir(parents=True)
    env = engine_workspace.engine_env(tmp_path / "bin", tmp_path / "state", home)
    assert (home / "logs").is_file()  # the automatic debug log has nowhere to go
    assert all(env[key] == value for key, value in settings.items()
               if key not in engine_workspace.os.environ)


def test_a_step_of_both_stacks_sums_them_keeps_each_and_the_report_shows_the_crd_share():
    def run(wall, changes, processes):
        return {"wall": wall, "cpu": wall / 2, "cluster_cpu": 1.0, "state_mb": 2.0,
                "load": 1.5, "changes": changes, "processes": processes}
    crds = run(10.0, {"to create": 65}, {"engine (pulumi CLI)": 4.0})
    platform = run(30.0, {"to create": 460}, {"engine (pulumi CLI)": 12.0,
                                               "policy packs": 3.0})
    step = engine.both_stacks(crds, platform)
    assert (step["wall"], step["cpu"], step["cluster_cpu"]) == (40.0, 20.0, 2.0)
    assert step["changes"] == {"to create": 525}
    assert step["processes"] == {"engine (pulumi CLI)": 16.0, "policy packs": 3.0}
    assert step["parts"] == {"crds": crds, "platform": platform}
    medians = engine.results.median_run([{"up": step}])
    assert medians["up"]["parts"]["crds"] == {"cpu": 5.0, "wall": 10.0}
    assert report.figure(medians["up"]) == "20.0 / 40.0 (CRD stack 5.0 / 10.0)"
