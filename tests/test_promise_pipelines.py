"""Each promise pipeline run the way Kratix runs it: a request in `/kratix/input/object.yaml`
(redirected into a temp dir), manifests out.

Each promise's pipeline runs as a program (`python -m promises.<name>.pipeline`, a new process
each: ~2 s, mostly importing kratix-sdk's Kubernetes client) for the delete action; so do the
seeded PostgreSQL request and a refused one; the many variations call the same entry point,
`runtime.run`, in this process.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from components import naming
from promises import all_promises, runtime
from promises.definition import TEAM_LABELS_ENV
from promises.postgresql.api import DEFINITION as POSTGRESQL
from promises.postgresql.api import SIZES
from promises.redis.api import DEFINITION as REDIS
from promises.workload import COST_LABELS
from tests.harness import REPO

PROMISES = {d.name: d for d in all_promises()}


@dataclasses.dataclass
class Run:
    returncode: int
    stderr: str
    output: dict[str, dict]
    """Manifests written to /kratix/output, by file name."""
    metadata: dict[str, object]
    """Files written to /kratix/metadata, by file name."""

    @property
    def written(self) -> list[str]:
        return sorted([*self.output, *self.metadata])


def run_pipeline(tmp_path: Path, promise: str, request: dict | str,
                 action: str | None = "configure", as_program: bool = False,
                 extra_env: dict[str, str] | None = None) -> Run:
    """Run promise `promise`'s pipeline on `request` (a dict, or a path relative to the
    promise's folder) with `KRATIX_WORKFLOW_ACTION=action`, as a program or in-process."""
    root = tmp_path / "kratix"
    for folder in ("input", "output", "metadata"):
        (root / folder).mkdir(parents=True)
    if isinstance(request, str):
        request = yaml.safe_load((REPO / "promises" / promise / request).read_text())
    (root / "input" / "object.yaml").write_text(yaml.safe_dump(request))
    env = {k: v for k, v in os.environ.items() if k != runtime.ACTION_ENV}
    env.update({runtime.ROOT_ENV: str(root), "PYTHONPATH": str(REPO), **(extra_env or {})})
    if action is not None:
        env[runtime.ACTION_ENV] = action
    module = PROMISES[promise].pipeline_module
    if as_program:
        result = subprocess.run([sys.executable, "-m", module], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=60, check=False)
        returncode, stderr = result.returncode, result.stderr
    else:
        returncode, stderr = run_in_process(module, env)
    output = {p.name: yaml.safe_load(p.read_text()) for p in (root / "output").iterdir()}
    metadata = {p.name: yaml.safe_load(p.read_text()) for p in (root / "metadata").iterdir()}
    return Run(returncode, stderr, output, metadata)


def run_in_process(module_name: str, env: dict[str, str]) -> tuple[int, str]:
    module = importlib.import_module(module_name)
    saved = dict(os.environ)
    stderr = io.StringIO()
    try:
        os.environ.clear()
        os.environ.update(env)
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            code = runtime.run(module.DEFINITION, module.configure, module.delete)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return code, stderr.getvalue()


def request(definition, name: str = "app", namespace: str = "team-a", labels=None,
            **spec) -> dict:
    metadata = {"name": name, "namespace": namespace, **({"labels": labels} if labels else {})}
    return {"apiVersion": definition.request_api_version, "kind": definition.kind,
            "metadata": metadata, "spec": spec}


# -- PostgreSQL ------------------------------------------------------------------------------


def test_the_seeds_my_app_db_request_becomes_a_medium_cloudnativepg_cluster(tmp_path):
    run = run_pipeline(tmp_path, "postgresql", "examples/my-app-db.yaml", as_program=True)
    assert run.returncode == 0, run.stderr
    assert list(run.output) == ["postgresql-cluster.yaml"]
    cluster = run.output["postgresql-cluster.yaml"]
    assert (cluster["apiVersion"], cluster["kind"]) == ("postgresql.cnpg.io/v1", "Cluster")
    assert cluster["metadata"]["name"] == "pg-my-app-db"
    assert cluster["metadata"]["namespace"] == "team-alpha"
    spec = cluster["spec"]
    # medium: 3 instances, 1 CPU, 4Gi, 50Gi (the seed's table).
    assert spec["instances"] == 3
    assert spec["resources"] == {"requests": {"cpu": "1", "memory": "4Gi"},
                                 "limits": {"cpu": "1", "memory": "4Gi"}}
    assert spec["storage"] == {"size": "50Gi"}
    assert spec["imageName"] == "ghcr.io/cloudnative-pg/postgresql:16"
    assert spec["affinity"] == {"enablePodAntiAffinity": True}
    # No teamName: the namespace is the team; pods inherit the labels.
    assert cluster["metadata"]["labels"]["team"] == "team-alpha"
    assert spec["inheritedMetadata"]["labels"] == cluster["metadata"]["labels"]
    assert cluster["metadata"]["labels"]["kratix.io/promise-version"] == POSTGRESQL.version
    status = run.metadata["status.yaml"]
    assert status["message"] == "PostgreSQL 16 (medium, 3 instance(s)) requested"
    assert status["credentialsSecret"] == "pg-my-app-db-app"
    assert status["readWriteService"] == "pg-my-app-db-rw.team-alpha.svc"
    # Not labelled with an environment: the promise's own selectors decide.
    assert "destination-selectors.yaml" not in run.metadata


@pytest.mark.parametrize("size", sorted(SIZES))
def test_each_size_sets_instances_cpu_memory_and_storage(tmp_path, size):
    run = run_pipeline(tmp_path, "postgresql", request(POSTGRESQL, size=size, version="15"))
    assert run.returncode == 0, run.stderr
    spec = run.output["postgresql-cluster.yaml"]["spec"]
    expected = {"small": (1, "500m", "1Gi", "10Gi"), "medium": (3, "1", "4Gi", "50Gi"),
                "large": (3, "2", "8Gi", "100Gi")}[size]
    assert (spec["instances"], spec["resources"]["requests"]["cpu"],
            spec["resources"]["requests"]["memory"], spec["storage"]["size"]) == expected
    assert spec["imageName"].endswith(":15")


def test_an_empty_request_gets_every_default(tmp_path):
    run = run_pipeline(tmp_path, "postgresql", request(POSTGRESQL))
    assert run.returncode == 0, run.stderr
    spec = run.output["postgresql-cluster.yaml"]["spec"]
    assert (spec["instances"], spec["imageName"]) == (1, "ghcr.io/cloudnative-pg/postgresql:16")
    assert spec["affinity"] == {"enablePodAntiAffinity": False}


def test_team_name_cost_labels_and_environment_flow_from_the_request(tmp_path):
    run = run_pipeline(tmp_path, "postgresql", request(
        POSTGRESQL, namespace="payments-prod", teamName="payments",
        labels={"environment": "prod", "owner": "lead_at_example.com", "unrelated": "x"}))
    assert run.returncode == 0, run.stderr
    labels = run.output["postgresql-cluster.yaml"]["metadata"]["labels"]
    assert labels["team"] == "payments" and labels["owner"] == "lead_at_example.com"
    assert "unrelated" not in labels
    assert run.metadata["destination-selectors.yaml"] == [
        {"directory": "", "matchLabels": {"environment": "prod"}}]


def test_pipelines_use_the_platforms_cost_label_vocabulary():
    # Restated in promises/workload.py: pipeline images carry only promises/.
    assert COST_LABELS == naming.COST_LABELS


def test_the_teams_known_labels_complete_the_cost_labels(tmp_path):
    """The Promise hands the pipeline every team's labels (TEAM_LABELS_ENV): a request with no
    labels in a team namespace `<team>-<env>` still creates pods with all five cost labels; a
    label the request sets itself wins."""
    known = {"payments": {"owner": "payments-leads", "department": "finance",
                          "product": "checkout"}}
    run = run_pipeline(tmp_path, "postgresql", request(
        POSTGRESQL, namespace="payments-prod", teamName="payments",
        labels={"product": "ledger"}), extra_env={TEAM_LABELS_ENV: json.dumps(known)})
    assert run.returncode == 0, run.stderr
    cluster = run.output["postgresql-cluster.yaml"]
    pod_labels = cluster["spec"]["inheritedMetadata"]["labels"]
    assert {k: pod_labels[k] for k in COST_LABELS} == {
        "team": "payments", "owner": "payments-leads", "department": "finance",
        "product": "ledger", "env": "prod"}


def test_an_unknown_team_outside_a_team_namespace_gets_only_what_the_request_says(tmp_path):
    run = run_pipeline(tmp_path, "postgresql", request(POSTGRESQL, namespace="sandbox"),
                       extra_env={TEAM_LABELS_ENV: json.dumps({"payments": {"owner": "x"}})})
    assert run.returncode == 0, run.stderr
    labels = run.output["postgresql-cluster.yaml"]["metadata"]["labels"]
    assert labels["team"] == "sandbox"
    assert not {"owner", "department", "product", "env"} & set(labels)


# -- Redis -----------------------------------------------------------------------------------


def test_a_sentinel_redis_is_a_replication_watched_by_sentinels(tmp_path):
    run = run_pipeline(tmp_path, "redis", "examples/sentinel.yaml")
    assert run.returncode == 0, run.stderr
    assert sorted(run.output) == ["redis-config.yaml", "redis-replication.yaml",
                                  "redis-sentinel.yaml"]
    replication = run.output["redis-replication.yaml"]
    sentinel = run.output["redis-sentinel.yaml"]
    config = run.output["redis-config.yaml"]
    assert replication["kind"] == "RedisReplication" and sentinel["kind"] == "RedisSentinel"
    assert {replication["apiVersion"], sentinel["apiVersion"]} == {
        "redis.redis.opstreelabs.in/v1beta2"}
    assert replication["metadata"] == {**replication["metadata"], "name": "redis-cart",
                                       "namespace": "checkout-staging"}
    assert replication["spec"]["clusterSize"] == 3 and sentinel["spec"]["clusterSize"] == 3
    assert sentinel["spec"]["redisSentinelConfig"] == {"redisReplicationName": "redis-cart"}
    assert sentinel["spec"]["kubernetesConfig"]["image"] == "quay.io/opstree/redis-sentinel:v7.0.15"
    # maxMemory 1Gi: Redis caps data at 1024mb, the container gets a quarter more.
    assert config["data"]["redis-additional.conf"].startswith("maxmemory 1024mb\n")
    assert replication["spec"]["redisConfig"] == {"additionalRedisConfig": "redis-cart-config"}
    kubernetes = replication["spec"]["kubernetesConfig"]
    assert kubernetes["image"] == "quay.io/opstree/redis:v7.2.7"
    assert kubernetes["resources"]["limits"]["memory"] == "1280Mi"
    assert kubernetes["resources"]["requests"]["memory"] == "1280Mi"
    assert replication["metadata"]["labels"]["team"] == "checkout"
    assert run.metadata["destination-selectors.yaml"] == [
        {"directory": "", "matchLabels": {"environment": "staging"}}]
    assert run.metadata["status.yaml"]["endpoint"] == "redis-cart-sentinel.checkout-staging.svc"


def test_a_default_redis_is_one_standalone_instance(tmp_path):
    run = run_pipeline(tmp_path, "redis", request(REDIS))
    assert run.returncode == 0, run.stderr
    assert sorted(run.output) == ["redis-config.yaml", "redis.yaml"]
    redis = run.output["redis.yaml"]
    assert redis["kind"] == "Redis"
    assert redis["spec"]["kubernetesConfig"]["resources"]["limits"]["memory"] == "320Mi"
    assert run.output["redis-config.yaml"]["data"]["redis-additional.conf"].startswith(
        "maxmemory 256mb\n")
    assert run.metadata["status.yaml"]["message"] == \
        "Redis 7.2 (standalone, maxmemory 256Mi) requested"


def test_a_cluster_redis_is_three_shards_on_the_chosen_version(tmp_path):
    run = run_pipeline(tmp_path, "redis", request(REDIS, mode="cluster", version="7.0"))
    assert run.returncode == 0, run.stderr
    cluster = run.output["redis-cluster.yaml"]
    assert cluster["kind"] == "RedisCluster" and cluster["spec"]["clusterSize"] == 3
    assert cluster["spec"]["kubernetesConfig"]["image"] == "quay.io/opstree/redis:v7.0.15"
    assert cluster["spec"]["redisLeader"] == cluster["spec"]["redisFollower"] == {
        "redisConfig": {"additionalRedisConfig": "redis-app-config"}}


# -- every promise ---------------------------------------------------------------------------


@pytest.mark.parametrize("promise,example", [(d.name, e) for d in all_promises()
                                             for e in d.example_requests])
def test_every_example_request_is_accepted_and_produces_manifests(tmp_path, promise, example):
    run = run_pipeline(tmp_path, promise, example)
    assert run.returncode == 0, run.stderr
    assert run.output and all(m["metadata"]["namespace"] for m in run.output.values())
    assert "status.yaml" in run.metadata


@pytest.mark.parametrize("promise", sorted(PROMISES))
def test_the_delete_action_writes_nothing_and_succeeds(tmp_path, promise):
    example = PROMISES[promise].example_requests[0]
    run = run_pipeline(tmp_path, promise, example, action="delete", as_program=True)
    assert run.returncode == 0, run.stderr
    assert run.written == []


def test_a_bad_request_run_as_a_program_exits_non_zero_with_one_line(tmp_path):
    run = run_pipeline(tmp_path, "postgresql", request(POSTGRESQL, size="huge"),
                       as_program=True)
    assert run.returncode == runtime.REFUSED
    assert run.stderr.strip() == ("postgresql request refused: spec.size: 'huge' is not "
                                  "accepted; choose one of small, medium, large")
    assert run.written == []


BAD_REQUESTS = [
    ("postgresql", {"size": "huge"}, "spec.size", "small, medium, large"),
    ("postgresql", {"version": "9"}, "spec.version", "14, 15, 16, 17"),
    ("postgresql", {"version": 16.5}, "spec.version", "'16.5' is not accepted"),
    ("postgresql", {"teamName": "Team_A"}, "spec.teamName", "does not match"),
    ("postgresql", {"replicas": 5}, "spec.replicas", "not an option"),
    ("redis", {"mode": "replicated"}, "spec.mode", "standalone, sentinel, cluster"),
    ("redis", {"maxMemory": "1GB"}, "spec.maxMemory", "does not match"),
    ("redis", {"maxMemory": ["256Mi"]}, "spec.maxMemory", "must be a string"),
    ("redis", {"version": "6.2"}, "spec.version", "7.0, 7.2"),
]


@pytest.mark.parametrize("promise,spec,field,words", BAD_REQUESTS,
                         ids=[f"{p}-{f}" for p, _, f, _ in BAD_REQUESTS])
def test_a_bad_request_fails_naming_the_field_and_writes_nothing(tmp_path, promise, spec,
                                                                 field, words):
    run = run_pipeline(tmp_path, promise, request(PROMISES[promise], **spec))
    assert run.returncode != 0
    assert field in run.stderr and words in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
    assert run.written == []


def test_a_spec_that_is_not_an_object_is_refused(tmp_path):
    bad = {**request(REDIS), "spec": ["standalone"]}
    run = run_pipeline(tmp_path, "redis", bad)
    assert run.returncode == runtime.REFUSED
    assert "spec must be an object, got list" in run.stderr and run.written == []


def test_a_request_for_another_promise_is_refused(tmp_path):
    run = run_pipeline(tmp_path, "redis", request(POSTGRESQL, size="small"))
    assert run.returncode != 0 and "this pipeline serves" in run.stderr
    assert run.written == []


def test_without_a_workflow_action_the_pipeline_refuses_to_guess(tmp_path):
    run = run_pipeline(tmp_path, "postgresql", "examples/my-app-db.yaml", action=None)
    assert run.returncode != 0 and "KRATIX_WORKFLOW_ACTION" in run.stderr
    assert run.written == []


def test_a_bad_request_also_fails_on_delete(tmp_path):
    # Delete validates too, so a pipeline never acts on a request it cannot read.
    run = run_pipeline(tmp_path, "redis", request(REDIS, mode="replicated"), action="delete")
    assert run.returncode != 0 and "spec.mode" in run.stderr
