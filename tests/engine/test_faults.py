"""An `up` interrupted in the middle (docs/operations.md), dev on fresh local clusters,
checkpoints on as for every user: the CLI killed with SIGKILL (a machine or CI runner gone),
and stopped with SIGINT (Ctrl-C). `scripts/up` then refuses the stack with a message naming
the recovery, the recovery converges, and afterwards nothing is created twice and nothing the
provider applied is left outside the state."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

from tests.engine.conftest import engine_workspace, fresh_workspace

pytestmark = pytest.mark.engine

stacks = engine_workspace.stacks
# Interrupt once this many resources are in the checkpoint: well inside dev's ~460, with
# creates in flight (the engine runs them in parallel).
INTERRUPT_AT = 150


@pytest.fixture(params=["SIGKILL", "SIGINT"])
def interrupted(request, engine_bin, cluster_bin, tmp_path):
    """The platform's `up` (as scripts/up runs it: with both packs) interrupted halfway."""
    with fresh_workspace("dev", tmp_path, engine_bin, cluster_bin) as (workspace, clusters):
        log = (tmp_path / "interrupted-up.log").open("w")
        process = subprocess.Popen(
            ["pulumi", "up", "--yes", "--skip-preview", *workspace.policy_args(),
             "--stack", "dev", "--non-interactive"],
            cwd=workspace.root, env=workspace.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        try:
            reached = wait_for_checkpoint(workspace, process, INTERRUPT_AT)
            # A second run meanwhile is refused at once, naming the one holding the stack.
            start = time.monotonic()
            with pytest.raises(stacks.StackLocked) as second:
                workspace.environment(on_output=None).up()
            refused_in = time.monotonic() - start
            assert "platform stack 'dev' is being updated by another run (pid " in str(
                second.value)
            assert refused_in < 60, f"the second run took {refused_in:.0f}s to be refused"
            if request.param == "SIGKILL":
                os.kill(process.pid, signal.SIGKILL)  # the CLI alone: `kill -9 <pid>`
            else:
                os.killpg(process.pid, signal.SIGINT)  # Ctrl-C: the terminal's whole group
            code = process.wait(timeout=600)
        finally:
            if request.param == "SIGKILL":
                time.sleep(3)  # the machine is gone: its plugins go too
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            log.close()
        yield request.param, workspace, clusters, reached, code


def wait_for_checkpoint(workspace, process, resources: int) -> int:
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the up ended (exit {process.returncode}) before it could be "
                        f"interrupted at {resources} resources")
        found = len(checkpoint(workspace).get("resources") or [])
        if found >= resources:
            return found
        time.sleep(0.5)
    pytest.fail(f"the up did not reach {resources} resources in 15 minutes")


def checkpoint(workspace) -> dict:
    """The platform stack's deployment as the local backend last wrote it."""
    path = (workspace.root.parent / "state" / ".pulumi" / "stacks" / "idp" / "dev.json")
    try:
        return json.loads(path.read_text()).get("checkpoint", {}).get("latest") or {}
    except (OSError, ValueError):
        return {}  # not written yet, or being replaced


def test_an_interrupted_up_is_refused_then_converges_with_the_documented_commands(interrupted):
    how, workspace, clusters, reached, code = interrupted
    assert code != 0, f"the up exited 0 after {how}"
    pending = checkpoint(workspace).get("pending_operations") or []
    environment = workspace.environment(on_output=None)
    if how == "SIGKILL":
        # Killed with creates in flight: its lock is left behind, and the state says which
        # operations were in flight. Each refusal names the next command.
        assert pending, "a killed up left no pending operations"
        with pytest.raises(stacks.StackLocked) as locked:
            environment.up()
        assert "locked by a run that was killed" in str(locked.value)
        assert "pulumi cancel --yes --stack dev" in str(locked.value)
        workspace.pulumi("cancel", "--yes")
        with pytest.raises(stacks.PendingOperations) as refused:
            environment.up()
        message = str(refused.value)
        assert "scripts/up dev --clear-pending" in message
        assert pending[0]["resource"]["urn"] in message
    else:
        # Ctrl-C lets the operations in flight finish: nothing pending, no lock left.
        assert not pending, pending
    environment.up(clear_pending=True)

    state = checkpoint(workspace)
    assert not state.get("pending_operations")
    urns = Counter(r["urn"] for r in state["resources"])
    assert [u for u, n in urns.items() if n > 1] == [], "created twice"
    assert len(state["resources"]) > reached
    # Converged: both stacks preview with no changes.
    workspace.pulumi("preview", "--expect-no-changes", *workspace.policy_args())
    crds = engine_workspace.Workspace(workspace.root / "crds", "dev", workspace.env)
    crds.pulumi("preview", "--expect-no-changes")
    assert orphans(workspace, clusters, state) == []


def orphans(workspace, clusters, state) -> list[str]:
    """Objects in the clusters that the provider applied (a `pulumi-kubernetes-*` field
    manager) and neither stack's state holds, of the kinds the stacks hold."""
    crd_state = json.loads(engine_workspace.Workspace(
        workspace.root / "crds", "dev", workspace.env).pulumi(
            "stack", "export").stdout)["deployment"].get("resources") or []
    held, kinds = set(), set()
    for res in [*state["resources"], *crd_state]:
        token = res["type"].split(":")
        if token[0] != "kubernetes" or len(token) != 3 or token[1].startswith(("helm.sh", "yaml")):
            continue
        group = token[1].rsplit("/", 1)[0] if "/" in token[1] else ""
        group = "" if group == "core" else group
        meta = (res.get("outputs") or {}).get("metadata") or {}
        held.add((group, token[2], meta.get("namespace") or "", meta.get("name")))
        kinds.add(f"{token[2]}.{group}" if group else token[2])
    found = []
    for cluster in clusters.clusters:
        listed = clusters.kubectl(cluster, "get", ",".join(sorted(kinds)), "-A", "-o", "json")
        for item in json.loads(listed.stdout)["items"]:
            managers = {f.get("manager", "") for f in item["metadata"].get("managedFields") or []}
            if not any(m.startswith("pulumi-kubernetes") for m in managers):
                continue
            group = item["apiVersion"].rsplit("/", 1)[0] if "/" in item["apiVersion"] else ""
            key = (group, item["kind"], item["metadata"].get("namespace") or "",
                   item["metadata"]["name"])
            if key not in held:
                found.append(f"{cluster.context}: {'/'.join(filter(None, key))}")
    return found


# -- damaged or wrong inputs at the edges: refused, nothing applied, the state unchanged ------


@pytest.fixture(scope="module")
def ready(engine_bin, cluster_bin, tmp_path_factory):
    """dev's CRD stack applied to fresh local clusters, the platform stack not yet."""
    tmp = tmp_path_factory.mktemp("faults-inputs")
    with fresh_workspace("dev", tmp, engine_bin, cluster_bin) as (workspace, clusters):
        yield workspace, clusters


def state_digests(workspace) -> dict[str, str]:
    stacks_dir = workspace.root.parent / "state" / ".pulumi" / "stacks"
    return {str(p.relative_to(stacks_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(stacks_dir.rglob("*.json"))}


def live_namespaces(clusters) -> set[str]:
    return {f"{c.context}/{n}" for c in clusters.clusters for n in clusters.kubectl(
        c, "get", "namespaces", "-o", "jsonpath={.items[*].metadata.name}").stdout.split()}


@contextlib.contextmanager
def stack_file_edited(workspace, edit):
    path = workspace.root / "Pulumi.dev.yaml"
    before = path.read_text()
    data = yaml.safe_load(before)
    edit(data["config"])
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    try:
        yield
    finally:
        path.write_text(before)


def mirror_copy(tmp_path, edit) -> Path:
    """The chart mirror as symlinks, one chart changed by `edit(directory)`."""
    mirror = engine_workspace.chart_mirror()
    copy = tmp_path / "mirror"
    copy.mkdir()
    for chart in mirror.iterdir():
        (copy / chart.name).symlink_to(chart)
    edit(copy)
    return copy


def without_kratix(copy: Path) -> None:
    (copy / "kratix").unlink()


def kratix_at_another_version(copy: Path) -> None:
    (copy / "kratix").unlink()
    shutil.copytree(engine_workspace.chart_mirror() / "kratix", copy / "kratix")
    chart = copy / "kratix" / "Chart.yaml"
    data = yaml.safe_load(chart.read_text())
    data["version"] = "0.0.1"
    chart.write_text(yaml.safe_dump(data))


def dead_kubeconfig(tmp_path, kubeconfig: str) -> str:
    """The same kubeconfig with every server moved to a port nothing listens on."""
    data = yaml.safe_load(Path(kubeconfig).read_text())
    for cluster in data["clusters"]:
        cluster["cluster"]["server"] = "https://127.0.0.1:1"
    dead = tmp_path / "dead-kubeconfig"
    dead.write_text(yaml.safe_dump(data))
    return str(dead)


def set_target(key: str, value):
    def edit(config):
        for cluster in config["idp:clusters"]:
            cluster["target"][key] = value(cluster["target"]) if callable(value) else value
    return edit


FAULTS = {
    "wrong passphrase": (None, "PULUMI_CONFIG_PASSPHRASE is not the passphrase this stack's "
                               "secrets were set with"),
    "truncated state": (None, "is damaged (truncated or edited by hand) and cannot be read"),
    "context not in the kubeconfig": (
        set_target("context", "idp-dev-elsewhere"),
        "context 'idp-dev-elsewhere' is not in kubeconfig"),
    "cluster that does not answer": ("dead", "a cluster it applies to does not answer"),
    "mirror without a pinned chart": ("without", "has neither kratix-"),
    "mirror at another version": ("another", "holds kratix 0.0.1, but"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_wrong_or_damaged_input_is_one_clear_error_and_changes_nothing(ready, fault, tmp_path):
    workspace, clusters = ready
    edit, words = FAULTS[fault]
    digests, namespaces = state_digests(workspace), live_namespaces(clusters)
    env = dict(workspace.env)
    state = workspace.root.parent / "state" / ".pulumi" / "stacks" / "idp" / "dev.json"
    saved = state.read_bytes()
    if fault == "wrong passphrase":
        env["PULUMI_CONFIG_PASSPHRASE"] = "not-the-passphrase"
    elif fault == "truncated state":
        state.write_bytes(saved[: len(saved) // 2])
        digests = state_digests(workspace)
    mirror = {"without": without_kratix, "another": kratix_at_another_version}
    if edit == "dead":
        edit = set_target("kubeconfig", lambda target: dead_kubeconfig(tmp_path,
                                                                       target["kubeconfig"]))
    elif edit in mirror:
        copy = mirror_copy(tmp_path, mirror[edit])
        edit = lambda config: config.__setitem__("idp:chartMirror", str(copy))  # noqa: E731
    environment = stacks.Environment(workspace.root, "dev", env,
                                     engine_root=workspace.environment().engine_root,
                                     on_output=None)
    try:
        with stack_file_edited(workspace, edit or (lambda config: None)):
            with pytest.raises(stacks.StacksError) as refused:
                environment.up()
        after = state_digests(workspace)  # the damaged file too, before it is put back
    finally:
        state.write_bytes(saved)
    message = str(refused.value)
    assert words in message, message
    assert "Traceback" not in message, message
    assert after == digests, "a state file changed"
    assert live_namespaces(clusters) == namespaces, "something was applied"
    print(f"{fault}: {message.splitlines()[0][:200]}")
