"""The benchmark scripts import, and their scaled stacks are valid stacks of the asked size.

Benchmarks are not tests (bench/run measures); this only keeps the scripts from rotting as
layers and config keys are added.
"""

from __future__ import annotations

from decimal import Decimal

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


def test_engine_reads_the_resource_count_and_the_report_has_a_block_per_benchmark():
    assert engine.to_create("Resources:\n    + 119 to create\n") == 119
    text = report.DOCUMENT.read_text()
    for name in report.SECTIONS:
        assert f"<!-- bench:{name} -->" in text and f"<!-- /bench:{name} -->" in text
