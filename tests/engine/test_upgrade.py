"""An upgrade keeps data (docs/operations.md): dev applied by the previous release of this
program, holding data, then upgraded with today's `scripts/up` on the same state and clusters.

The chart pins have not moved since they were first set (every commit that touched
components/charts.py kept the versions) and the chart mirror holds one version of each chart,
so the upgrade tried here is the one users meet next: the previous release kept every chart's
CRDs in the platform stack, today's keeps them in the CRD stack. Done wrong, that upgrade
deletes every CRD, and with it every object of its kinds. After it: no StatefulSet, PVC,
PersistentVolume, Secret, Namespace, CRD or custom resource of ours replaced or deleted (same
UIDs), the file written into a volume and a team's own Secret still there, and a refresh of
both stacks finds nothing changed."""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
from pathlib import Path

import pytest
import yaml

from components import naming
from tests.engine.conftest import engine_workspace, local_cluster
from tests.harness import REPO

pytestmark = pytest.mark.engine

# The last release before the CRD stack (landed at stop 32): every CRD in the platform stack.
PREVIOUS_RELEASE = "a4876775a82de4e1628e6b0ce5c2edfce74d2beb"
STATEFUL_KINDS = ("statefulsets", "persistentvolumeclaims", "persistentvolumes", "secrets",
                  "namespaces", "customresourcedefinitions")
TEAM_SECRET = "team-owned-credentials"


def release_tree(commit: str, into: Path) -> Path:
    """The project as it was at `commit`."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", commit],
                             capture_output=True, check=False)
    if archive.returncode != 0:
        pytest.fail(f"commit {commit} (the previous release) is not in this clone's history: "
                    f"{archive.stderr.decode()[-300:]} (a shallow clone? fetch with depth)")
    into.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into


def uids(clusters, kinds) -> dict[str, str]:
    """kind/namespace/name -> UID of every object of `kinds` in the stack's clusters."""
    found = {}
    for cluster in clusters.clusters:
        listed = clusters.kubectl(cluster, "get", ",".join(kinds), "-A", "-o", "json")
        for item in json.loads(listed.stdout)["items"]:
            meta = item["metadata"]
            key = "/".join(filter(None, (cluster.context, item["kind"], meta.get("namespace"),
                                         meta["name"])))
            found[key] = meta["uid"]
    return found


def custom_kinds(clusters) -> list[str]:
    """Every kind the CRDs in the clusters serve (their objects go if a CRD goes)."""
    kinds = set()
    for cluster in clusters.clusters:
        listed = clusters.kubectl(cluster, "get", "customresourcedefinitions", "-o", "json")
        kinds |= {item["metadata"]["name"] for item in json.loads(listed.stdout)["items"]
                  if local_cluster.STAND_IN_LABEL not in (item["metadata"].get("labels") or {})}
    return sorted(kinds)


def upgraded_stack_file(workspace, previous: dict) -> None:
    """Today's stack file for the same clusters and mirror, keeping the stack's encryption salt
    and the secret values set at the previous release."""
    current = engine_workspace.workspace_stack_file(
        workspace.stack, engine_workspace.chart_mirror(),
        Path(previous["config"]["idp:clusters"][0]["target"]["kubeconfig"]))
    current["encryptionsalt"] = previous["encryptionsalt"]
    for key, value in previous["config"].items():
        if isinstance(value, dict) and "secure" in value:
            current["config"][key] = value
    (workspace.root / f"Pulumi.{workspace.stack}.yaml").write_text(
        yaml.safe_dump(current, sort_keys=False))


def test_the_upgrade_from_the_previous_release_keeps_every_stateful_object_and_its_data(
        engine_bin, cluster_bin, tmp_path):
    old = release_tree(PREVIOUS_RELEASE, tmp_path / "previous-release")
    clusters = local_cluster.Clusters("dev", tmp_path / "clusters", bin_dir=cluster_bin)
    try:
        kubeconfig = clusters.up()
        workspace = engine_workspace.offline_workspace(tmp_path / "work", engine_bin, "dev",
                                                       kubeconfig, source=old)
        # The previous release's own command: one stack, its CRDs inside it. Setup only, not
        # the path under test (the upgrade below runs with checkpoints on, as users do): with
        # every CRD in the state its checkpoints cost seven minutes of CI, so they are skipped.
        workspace.env["PULUMI_SKIP_CHECKPOINTS"] = "true"
        workspace.pulumi("up", "--yes", "--skip-preview", *workspace.policy_args(),
                         timeout=1800)
        del workspace.env["PULUMI_SKIP_CHECKPOINTS"]
        platform = clusters.clusters[0]

        # Data a running platform holds: a file in a bound volume, a team's own Secret.
        claims = json.loads(clusters.kubectl(platform, "get", "pv", "-o", "json").stdout)
        bound = [pv for pv in claims["items"] if pv["status"].get("phase") == "Bound"]
        assert bound, "no bound volume to write data into"
        volume = Path(bound[0]["spec"]["hostPath"]["path"])
        volume.mkdir(parents=True, exist_ok=True)
        (volume / "kept.txt").write_text("written before the upgrade\n")
        team_ns = json.loads(clusters.kubectl(platform, "get", "namespaces", "-l",
                                              naming.TEAM_LABEL, "-o", "json").stdout)["items"]
        assert team_ns, "no team namespace"
        team = team_ns[0]["metadata"]["name"]
        clusters.kubectl(platform, "create", "secret", "generic", TEAM_SECRET, "-n", team,
                         "--from-literal=token=kept")
        kinds = [*STATEFUL_KINDS, *custom_kinds(clusters)]
        before = uids(clusters, kinds)
        assert any("/CustomResourceDefinition/" in k for k in before)

        # Today's release on the same state: the files, then `scripts/up dev`.
        previous = yaml.safe_load((workspace.root / "Pulumi.dev.yaml").read_text())
        engine_workspace.copy_project(workspace.root)
        upgraded_stack_file(workspace, previous)
        engine_workspace.set_test_secrets(workspace)
        workspace.environment(on_output=None).up()

        after = uids(clusters, kinds)
        lost = sorted(k for k in before if k not in after)
        replaced = sorted(k for k in before if k in after and after[k] != before[k])
        assert lost == [] and replaced == [], {"deleted": lost, "replaced": replaced}
        assert (volume / "kept.txt").read_text() == "written before the upgrade\n"
        secret = json.loads(clusters.kubectl(platform, "get", "secret", TEAM_SECRET, "-n", team,
                                             "-o", "json").stdout)
        assert secret["data"]["token"] == "a2VwdA=="  # "kept"
        # Nothing drifted: both stacks read the clusters and find what they hold.
        workspace.pulumi("refresh", "--yes", "--skip-preview", "--expect-no-changes")
        crds = engine_workspace.Workspace(workspace.root / "crds", "dev", workspace.env)
        crds.pulumi("refresh", "--yes", "--skip-preview", "--expect-no-changes")
        crd_count = sum("/CustomResourceDefinition/" in k for k in before)
        print(f"upgrade kept {len(before)} objects ({crd_count} CRDs), 0 deleted, 0 replaced")
    finally:
        clusters.down()
