"""The real engine applies each shipped stack, with the real charts, to real API servers.

Per stack (dev: one cluster; prod: four), in this order on the same clusters: the first preview
with both policy packs, `pulumi up`, what the clusters then run, a second run that changes
nothing, a refresh without drift, the live objects scanned, tenancy checked by the API server,
and `pulumi destroy` leaving nothing of ours, after which `pulumi up` succeeds again.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from components import charts
from components.profiles import PROFILES
from components.security.component import TEAM_ROLE_BY_ENVIRONMENT, TEAM_ROLE_DEFAULT
from tests.engine.conftest import engine_workspace, local_cluster
from tests.harness import REPO, run_program, stack_file_config, strings

pytestmark = pytest.mark.engine

SYSTEM_NAMESPACES = {"default", "kube-system", "kube-public", "kube-node-lease"}
WORKLOADS = "deployments,statefulsets,daemonsets,jobs"


def layer_types(stack: str) -> set[str]:
    """The ComponentResource types the program composes for the stack (under mocks)."""
    registry = run_program(stack_file_config(stack), stack)
    return {r.type for r in registry.all if r.type.startswith("idp:")}


def test_first_preview_shows_every_layer_and_no_mandatory_violation(applied):
    preview = applied.workspace.first_preview.stdout
    for layer in layer_types(applied.stack):
        assert layer in preview, f"{layer} missing from the {applied.stack} preview"
    assert "[mandatory]" not in preview, preview[-4000:]
    assert re.search(r"\+ \d+ to create", preview)


def test_up_makes_every_workload_ready_and_every_claim_bound(applied):
    not_ready = []
    for cluster in applied.clusters.clusters:
        for item in applied.live(cluster, WORKLOADS):
            kind, meta, spec, status = item["kind"], item["metadata"], item["spec"], \
                item.get("status", {})
            where = f"{cluster.context} {kind} {meta['namespace']}/{meta['name']}"
            if kind == "Deployment" and status.get("availableReplicas", 0) < spec["replicas"]:
                not_ready.append(f"{where}: {status.get('availableReplicas', 0)} available")
            elif kind == "StatefulSet" and status.get("readyReplicas", 0) < spec["replicas"]:
                not_ready.append(f"{where}: {status.get('readyReplicas', 0)} ready")
            elif kind == "DaemonSet" and (status.get("desiredNumberScheduled", 0) == 0 or
                                          status.get("numberReady") !=
                                          status.get("desiredNumberScheduled")):
                not_ready.append(f"{where}: {status.get('numberReady')} of "
                                 f"{status.get('desiredNumberScheduled')} ready")
            elif kind == "Job" and not status.get("succeeded"):
                not_ready.append(f"{where}: not complete")
        for claim in applied.live(cluster, "persistentvolumeclaims"):
            if claim.get("status", {}).get("phase") != "Bound":
                not_ready.append(f"{cluster.context} PVC {claim['metadata']['name']} unbound")
        for pod in applied.live(cluster, "pods"):
            if pod["status"].get("phase") == "Pending":
                not_ready.append(f"{cluster.context} pod {pod['metadata']['name']} Pending")
    assert not_ready == []


def test_the_nodes_hold_the_profile_footprint(applied):
    """The scheduler placed every pod on nodes sized like the profile; report what it uses."""
    profile = PROFILES[applied.stack]
    for cluster in applied.clusters.clusters:
        requested = {"cpu": 0.0, "memory": 0.0}
        for pod in applied.live(cluster, "pods"):
            if pod["status"].get("phase") in ("Succeeded", "Failed"):
                continue
            assert pod["spec"].get("nodeName"), pod["metadata"]["name"]
            for container in pod["spec"]["containers"]:
                asked = (container.get("resources") or {}).get("requests") or {}
                requested["cpu"] += cpu_cores(asked.get("cpu", "0"))
                requested["memory"] += memory_bytes(asked.get("memory", "0"))
        capacity = profile.nodes.count
        print(f"{cluster.context}: pods request {requested['cpu']:.2f} CPU, "
              f"{requested['memory'] / 2**30:.2f} GiB of {capacity} x "
              f"{profile.nodes.cpu} CPU / {profile.nodes.memory}")
        assert requested["cpu"] <= capacity * cpu_cores(profile.nodes.cpu)
        assert requested["memory"] <= capacity * memory_bytes(profile.nodes.memory)


def test_a_second_run_changes_nothing(applied):
    workspace = applied.workspace
    workspace.pulumi("preview", "--diff", "--expect-no-changes", *workspace.policy_args(),
                     timeout=1800)


def test_refresh_finds_no_drift(applied):
    applied.workspace.pulumi("refresh", "--yes", "--skip-preview", "--expect-no-changes",
                             timeout=1800)


def test_live_manifests_pass_schema_validation_and_the_security_scan(applied, tmp_path):
    manifests = applied_manifests(applied.workspace, tmp_path / "manifests")
    validators = validators_bin()
    validate = subprocess.run(
        [str(validators / "kubernetes-validate"), "--strict", "--quiet",
         *sorted(str(p) for p in manifests.rglob("*.yaml"))],
        capture_output=True, text=True, check=False)
    errors = [line for line in validate.stdout.splitlines() if not line.startswith("WARN")]
    assert validate.returncode == 0 and not errors, validate.stdout[-4000:]
    skips = yaml.safe_load((REPO / "tests" / "engine" / "checkov-skips.yaml").read_text())
    everywhere = [check for check, skip in skips.items() if "resources" not in skip]
    scan = subprocess.run(
        [str(validators / "checkov"), "-d", str(manifests), "--framework", "kubernetes",
         "--quiet", "--compact", "-o", "json", "--skip-check", ",".join(everywhere)],
        capture_output=True, text=True, check=False)
    report = json.loads(scan.stdout)
    report = report[0] if isinstance(report, list) else report
    failed = sorted({f"{f['check_id']} {f['resource']}: {f['check_name']}"
                     for f in report["results"]["failed_checks"]
                     if not any(fnmatch.fnmatchcase(f["resource"], accepted) for accepted in
                                skips.get(f["check_id"], {}).get("resources", []))})
    assert failed == [], "\n".join(failed)
    assert report["summary"]["passed"] > 100


def test_every_image_is_pinned_and_each_overridden_image_agrees_across_its_chart(applied,
                                                                              tmp_path):
    objects = list(applied_objects(applied.workspace))
    floating = sorted({f"{o['kind']}/{o['metadata'].get('name')}: {image}" for o in objects
                       for image in container_images(o) if not pinned(image)})
    assert floating == [], "\n".join(floating)
    # Where the program pins an image, every mention of that repository anywhere in what the
    # charts render names the same tag or digest.
    disagreeing = []
    for image in charts.IMAGES.values():
        repository = image_repository(image)
        short = repository.split("/", 1)[1] if repository.count("/") > 1 else repository
        for obj in objects:
            for text in strings(obj):
                for mention in re.findall(rf"(?:[\w.-]+/)?{re.escape(short)}[@:][\w.:-]+", text):
                    if image_repository(mention).endswith(short) and \
                            mention.split(short, 1)[1] != image.split(short, 1)[1]:
                        disagreeing.append(f"{obj['kind']}/{obj['metadata'].get('name')}: "
                                           f"{mention} (the program pins {image})")
    assert sorted(set(disagreeing)) == [], "\n".join(sorted(set(disagreeing)))


def test_tenancy_is_enforced_by_the_api_server(applied):
    config = stack_file_config(applied.stack)
    environments = {c["name"]: c.get("environment") for c in config["clusters"]}
    rows = []
    for cluster in applied.clusters.clusters:
        namespaces = {n["metadata"]["name"]: n["metadata"].get("labels", {})
                      for n in applied.live(cluster, "namespaces")}
        env = environments[cluster.cluster]
        team_namespaces = {team["name"]: f"{team['name']}-{env}" for team in config["teams"]
                           if f"{team['name']}-{env}" in namespaces}
        if not team_namespaces:
            continue
        role = TEAM_ROLE_BY_ENVIRONMENT.get(env, TEAM_ROLE_DEFAULT)
        for team in config["teams"]:
            own = team_namespaces.get(team["name"])
            if own is None:
                continue
            other = next(ns for name, ns in team_namespaces.items() if name != team["name"]) \
                if len(team_namespaces) > 1 else None
            who = ("--as", f"{team['name']}-dev@example.com", "--as-group", team["group"])
            expected = [(("get", "pods", own), True),
                        (("create", "deployments", own), role in ("admin", "edit")),
                        (("create", "rolebindings", own), role == "admin"),
                        (("list", "namespaces", None), False),
                        (("create", "clusterroles", None), False),
                        (("get", "secrets", "kube-system"), False)]
            if other:
                expected += [(("get", "pods", other), False),
                             (("create", "deployments", other), False)]
            for (verb, resource, namespace), allowed in expected:
                scope = ("-n", namespace) if namespace else ()
                answer = applied.kubectl(cluster, "auth", "can-i", verb, resource, *scope, *who,
                                         check=False).stdout.strip()
                rows.append((cluster.context, team["group"], f"{verb} {resource}",
                             namespace or "cluster", answer))
                assert answer == ("yes" if allowed else "no"), rows[-1]
        # Pod Security admission refuses what the restricted profile forbids.
        namespace = next(iter(team_namespaces.values()))
        for pod, reason in ((privileged_pod(), "privileged"), (root_pod(), "runAsNonRoot")):
            refused = applied.kubectl(cluster, "create", "--dry-run=server", "-n", namespace,
                                      "-f", "-", input=yaml.safe_dump(pod), check=False)
            assert refused.returncode != 0 and "violates PodSecurity" in refused.stderr, \
                refused.stdout + refused.stderr
            assert reason in refused.stderr
            rows.append((cluster.context, "Pod Security", f"create {reason} pod", namespace,
                         "refused"))
    # The portal's identity only reads.
    portal = ("--as", "system:serviceaccount:backstage:backstage")
    platform = applied.clusters.clusters[0]
    for verb, resource, allowed in (("list", "deployments", True), ("get", "pods", True),
                                    ("create", "deployments", False),
                                    ("delete", "pods", False), ("get", "secrets", False)):
        answer = applied.kubectl(platform, "auth", "can-i", verb, resource, "-A", *portal,
                                 check=False).stdout.strip()
        rows.append((platform.context, "portal", f"{verb} {resource}", "all", answer))
        assert answer == ("yes" if allowed else "no"), rows[-1]
    print("\n".join(" | ".join(row) for row in rows))


def test_destroy_leaves_nothing_of_ours_and_up_succeeds_again(applied):
    """`scripts/destroy STACK`: the platform, then the CRD stack, whose CRDs prod retains."""
    workspace = applied.workspace
    crds_before = {cluster.context: crd_names(applied, cluster)
                   for cluster in applied.clusters.clusters}
    workspace.environment(on_output=None).destroy()
    retains = applied.stack == "prod"
    leftovers = []
    for cluster in applied.clusters.clusters:
        for ns in applied.live(cluster, "namespaces"):
            if ns["metadata"]["name"] not in SYSTEM_NAMESPACES:
                leftovers.append(f"{cluster.context} namespace {ns['metadata']['name']} "
                                 f"({ns['status'].get('phase')})")
        for kind in ("customresourcedefinitions", "validatingwebhookconfigurations",
                     "mutatingwebhookconfigurations", "apiservices"):
            for item in applied.live(cluster, kind):
                name = item["metadata"]["name"]
                if kind == "apiservices" and not item["spec"].get("service"):
                    continue  # the API server's own groups
                if local_cluster.STAND_IN_LABEL in (item["metadata"].get("labels") or {}):
                    continue  # the harness's own (scripts/local_cluster.py), not the stack's
                if retains and kind == "customresourcedefinitions":
                    continue  # prod's CRD stack retains them: checked below
                leftovers.append(f"{cluster.context} {kind} {name}")
        for kind in ("clusterroles", "clusterrolebindings"):
            for item in applied.live(cluster, kind):
                if not item["metadata"]["name"].startswith("system:") and \
                        item["metadata"]["name"] not in ("admin", "edit", "view",
                                                         "cluster-admin"):
                    leftovers.append(f"{cluster.context} {kind} {item['metadata']['name']}")
    assert leftovers == [], "\n".join(leftovers)
    if retains:
        # Deleting a CRD deletes every object of its kind: prod's stay, all of them.
        for cluster in applied.clusters.clusters:
            before = crds_before[cluster.context]
            assert before and crd_names(applied, cluster) >= before, cluster.context
    workspace.environment(on_output=None).up()


def crd_names(applied, cluster) -> set[str]:
    """The CRDs in a cluster that the stacks applied (not the local cluster's stand-ins)."""
    return {item["metadata"]["name"] for item in applied.live(cluster, "customresourcedefinitions")
            if local_cluster.STAND_IN_LABEL not in (item["metadata"].get("labels") or {})}


# -- what the tests read ---------------------------------------------------------------------


def exported_resources(workspace) -> list[dict]:
    exported = workspace.pulumi("stack", "export", "--show-secrets")
    return json.loads(exported.stdout)["deployment"].get("resources") or []


def applied_objects(workspace):
    """The Kubernetes objects of the stack as sent to the API server (the state's inputs)."""
    for resource in exported_resources(workspace):
        inputs = resource.get("inputs") or {}
        if resource["type"].startswith("kubernetes:") and "kind" in inputs and \
                "apiVersion" in inputs and resource.get("custom"):
            yield {k: v for k, v in inputs.items() if not k.startswith("__")}


def applied_manifests(workspace, directory: Path) -> Path:
    for index, obj in enumerate(applied_objects(workspace)):
        meta = obj.get("metadata") or {}
        path = directory / f"{index:05d}-{obj['kind']}-{meta.get('name', 'unnamed')}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(obj))
    return directory


def validators_bin() -> Path:
    venv = Path(os.environ.get("IDP_VALIDATE_VENV", REPO / ".venv-validate"))
    if not (venv / "bin" / "checkov").exists():
        pytest.fail(f"validators are not installed in {venv}; run `scripts/test --engine`")
    return venv / "bin"


def container_images(obj: dict) -> list[str]:
    spec = obj.get("spec") or {}
    for path in (("template", "spec"), ("jobTemplate", "spec", "template", "spec")):
        pod = spec
        for key in path:
            pod = (pod or {}).get(key)
        if pod:
            return [c.get("image", "") for group in ("initContainers", "containers")
                    for c in pod.get(group) or []]
    return []


def pinned(image: str) -> bool:
    if "@sha256:" in image:
        return True
    tag = image.rsplit("/", 1)[-1].partition(":")[2]
    return bool(tag) and tag != "latest"


def image_repository(image: str) -> str:
    without_digest = image.split("@", 1)[0]
    last = without_digest.rsplit("/", 1)
    return without_digest if ":" not in last[-1] else \
        (f"{last[0]}/" if len(last) > 1 else "") + last[-1].split(":", 1)[0]


def cpu_cores(quantity: str) -> float:
    quantity = str(quantity)
    return float(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def memory_bytes(quantity: str) -> float:
    quantity = str(quantity)
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 1e3, "M": 1e6, "G": 1e9}
    for unit, factor in units.items():
        if quantity.endswith(unit):
            return float(quantity[:-len(unit)]) * factor
    return float(quantity)


def privileged_pod() -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "privileged"},
            "spec": {"containers": [{"name": "c", "image": "registry.example.com/app:1.0.0",
                                     "securityContext": {"privileged": True}}]}}


def root_pod() -> dict:
    """Everything restricted asks for except running as a non-root user."""
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "root"},
            "spec": {"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                     "containers": [{"name": "c", "image": "registry.example.com/app:1.0.0",
                                     "securityContext": {
                                         "allowPrivilegeEscalation": False,
                                         "capabilities": {"drop": ["ALL"]}}}]}}


def test_policy_packs_block_a_program_with_violations(engine_bin, tmp_path):
    root = tmp_path / "violations"
    import shutil

    shutil.copytree(REPO / "tests" / "engine" / "violations", root)
    for package in ("policies", "components"):  # the packs import the label vocabulary
        shutil.copytree(REPO / package, root / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    env = engine_workspace.engine_env(engine_bin, tmp_path / "state", tmp_path / "home")
    workspace = engine_workspace.Workspace(root, "ci", env)
    engine_workspace.install_plugins(engine_bin, env)
    workspace.init_stack()
    result = workspace.pulumi("preview", *workspace.policy_args(config_stack="prod"),
                              check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    for policy in ("platform-image-pinned", "platform-container-resources",
                   "kratix-state-store-versioned"):
        assert policy in output, f"{policy} not reported:\n{output[-3000:]}"
    assert "mandatory" in output


def test_a_config_mistake_is_one_clear_error_through_the_engine(engine_bin, tmp_path):
    workspace = engine_workspace.offline_workspace(tmp_path, engine_bin, "prod")
    workspace.pulumi("config", "set", "--path", "destinations[1].stateStore", "git-state")
    result = workspace.pulumi("preview", check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert ("idp:destinations[1].stateStore: names no state store 'git-state'; "
            "accepted: s3-state") in output
    assert "Traceback" not in output and "unhandled" not in output, output[-3000:]
    assert "1 errored" in output and "to create" not in output.split("Resources:")[-1] \
        .replace("+ 1 to create", ""), "only the stack itself may appear"
