"""The engine on the real thing: each shipped stack applied to fresh local clusters with the real
charts, against floors measured in the same run.

Per stack, in one run and taking turns (so load from other work falls on all alike):

- the stack's cycle: first `preview` (no state), `up` from empty, no-change `preview`, `up` after
  a one-line change (one team's quota `size`), `destroy`; the previews and the change each
  without and then with both policy packs on the same state (SEQUENCE);
- floor (a), `configmaps`: a trivial program in the same engine, provider and clusters that
  registers as many plain ConfigMaps as the stack has Kubernetes objects; same cycle (its
  change: one ConfigMap's data);
- floor (b), `objects`: the very manifests the stack applied (`pulumi stack export
  --show-secrets`, each object's inputs), registered as plain objects through
  `kubernetes:yaml/v2:ConfigGroup`, one per cluster, with the stack's own provider settings;
  same cycle (its change: one annotation on one object). What the stack costs above it is
  what our program, Helm rendering and the component tree add;
- the physical floor, `kubectl`: `kubectl apply --server-side` of the same manifests to fresh
  local clusters (CRDs and namespaces first, waited Established; no readiness awaits).

Every step records wall and CPU seconds (the CLI, language host, program, policy packs and
providers: every process it waits for), the local clusters' CPU seconds (API servers, etcd,
controllers, kwok), the state file's size after it, and the 1-minute load average.

    python -m bench.engine                         # dev and prod -> bench/results/engine.json
    python -m bench.engine --stacks dev --repeats 2
    python -m bench.engine --steps first_preview,up,noop_preview,destroy   # a cheaper cycle
    python -m bench.engine --env PULUMI_PARALLEL=32 --label parallel32      # an option, measured
    python -m bench.engine --stack-steps prod=first_preview,up,noop_preview,destroy
    python -m bench.engine --stack-floors prod=configmaps   # floor (a) only for prod

Results of a labelled run go to bench/results/engine-<label>.json; `bench/run report` puts the
unlabelled run in BENCHMARKS.md and every labelled run in its options table.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

from bench import footprint, results
from review.preview import SIG_KEY
from tests.engine.conftest import engine_workspace, local_cluster

STACKS = ("dev", "prod")
STEPS = ("first_preview", "up", "noop_preview", "change_up", "destroy")
VARIANTS = ("plain", "policies")
# One cycle: the previews and the change without and with both packs on the same state, one
# after the other; `up` from empty and `destroy` once (without packs: they analyze the same
# resources there as in the previews, and each costs minutes).
SEQUENCE = (("first_preview", "plain"), ("first_preview", "policies"), ("up", "plain"),
            ("noop_preview", "plain"), ("noop_preview", "policies"),
            ("change_up", "plain"), ("change_up", "policies"), ("destroy", "plain"))
# Pulumi resource types that are not Kubernetes objects of their own.
NOT_OBJECTS = ("pulumi:providers:", "kubernetes:helm.sh/", "kubernetes:yaml/",
               "kubernetes:kustomize/")
STEP_TIMEOUT = 3600
# The live footprint of each stack, read after its first `up` (saved as footprint.json).
footprints: dict = {}

CONFIGMAP_FLOOR = '''"""Floor (a): plain ConfigMaps through the same provider, nothing else."""
import pulumi
import pulumi_kubernetes as k8s

config = pulumi.Config()
count = config.require_int("configMaps")
changed = config.get_int("changed")
provider = k8s.Provider("floor", kubeconfig=config.require("kubeconfig"),
                        context=config.require("context"))
namespace = k8s.core.v1.Namespace("bench-floor", metadata={"name": "bench-floor"},
                                  opts=pulumi.ResourceOptions(provider=provider))
for index in range(count - 1):
    data = {"index": str(index)}
    if changed == index:
        data["changed"] = "yes"
    k8s.core.v1.ConfigMap(f"floor-{index}", metadata={"namespace": "bench-floor",
                                                     "name": f"floor-{index}"},
                          data=data, opts=pulumi.ResourceOptions(provider=provider,
                                                                 depends_on=[namespace]))
'''

OBJECTS_FLOOR = '''"""Floor (b): the stack's own manifests as plain objects, one ConfigGroup per cluster."""
import json
import pathlib
import re

import pulumi
import pulumi_kubernetes as k8s

config = pulumi.Config()
changed = config.get("changed")
# CRDs applied apart (by kubectl, before): what a CRD layer outside the stack would leave.
without_crds = config.get_bool("withoutCrds")
for path in sorted(pathlib.Path("manifests").glob("*.json")):
    cluster = json.loads(path.read_text())
    objects = [o for o in cluster["objects"]
               if not (without_crds and o["kind"] == "CustomResourceDefinition")]
    if changed:
        for obj in objects:
            meta = obj.setdefault("metadata", {})
            if f"{obj['kind']}/{meta.get('namespace', '')}/{meta['name']}" == changed:
                meta.setdefault("annotations", {})["bench.idp/changed"] = "yes"
    settings = {re.sub("([A-Z])", r"_\\1", key).lower(): value
                for key, value in cluster["provider"].items()}  # the SDK's argument names
    provider = k8s.Provider(path.stem, **settings)
    k8s.yaml.v2.ConfigGroup(path.stem, objs=objects,
                            opts=pulumi.ResourceOptions(provider=provider))
'''


# -- measuring ---------------------------------------------------------------------------------

def cluster_cpu(workdir: Path) -> float:
    """CPU seconds so far of every process of the local clusters under `workdir`."""
    marker, total, tick = str(workdir), 0.0, os.sysconf("SC_CLK_TCK")
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if marker not in (proc / "cmdline").read_bytes().decode(errors="replace"):
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def state_bytes(state_dir: Path) -> int:
    """Size of the stack's checkpoint file(s) in a local backend (backups left out)."""
    stacks = state_dir / ".pulumi" / "stacks"
    return sum(p.stat().st_size for p in stacks.rglob("*") if p.is_file()
               and not p.name.endswith(".bak") and ".json" in p.name) if stacks.is_dir() else 0


def resource_changes(output: str) -> dict:
    """The summary counts of a pulumi run (`+ 3 to create`, `~ 1 updated`, `477 unchanged`)."""
    import re
    found = {}
    for count, what in re.findall(r"^\s*[-+~]?\s*(\d+) (to create|to update|to delete|"
                                  r"to replace|created|updated|deleted|replaced|unchanged)",
                                  output, re.MULTILINE):
        found[what] = int(count)
    return found


def to_create(output: str) -> int:
    counts = resource_changes(output)
    if "to create" not in counts:
        raise SystemExit(f"no resource count in the preview:\n{output[-3000:]}")
    return counts["to create"]


PROCESS_KINDS = (("pulumi-resource-kubernetes", "kubernetes provider"),
                 ("pulumi-resource-random", "random provider"),
                 ("pulumi.policy", "policy packs"),
                 ("pulumi-language-python-exec", "program (Python)"),
                 ("pulumi-language-python", "language host"),
                 ("pulumi", "engine (pulumi CLI)"))


class ProcessProfile(threading.Thread):
    """CPU seconds per kind of process under one pulumi command, sampled from /proc twice a
    second (a process's last sample counts): which process the time goes to."""

    def __init__(self, root_pid_of):
        super().__init__(daemon=True)
        self.root_pid_of, self.seen, self.done = root_pid_of, {}, threading.Event()
        self.tick = os.sysconf("SC_CLK_TCK")

    def run(self):
        while not self.done.wait(0.5):
            self.sample()

    def sample(self):
        root = self.root_pid_of()
        if root is None:
            return
        parents, stats = {}, {}
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
                parents[int(proc.name)] = int(fields[1])
                stats[int(proc.name)] = (int(fields[11]) + int(fields[12])) / self.tick
            except (OSError, ValueError, IndexError):
                continue
        for pid, cpu in stats.items():
            ancestor, hops = pid, 0
            while ancestor not in (root, 0, 1) and hops < 20:
                ancestor, hops = parents.get(ancestor, 0), hops + 1
            if ancestor != root:
                continue
            try:
                cmdline = (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            text = cmdline.decode(errors="replace")
            if not text and pid in self.seen:
                # An exited process (not reaped yet) shows no command line: keep its kind.
                self.seen[pid] = (self.seen[pid][0], cpu)
                continue
            kind = next((k for marker, k in PROCESS_KINDS if marker in text), "other")
            self.seen[pid] = (kind, cpu)

    def by_kind(self) -> dict:
        totals: dict = {}
        for kind, cpu in self.seen.values():
            totals[kind] = round(totals.get(kind, 0) + cpu, 2)
        return totals


def run_profiled(workspace, *args: str) -> tuple[str, dict]:
    """`pulumi ARGS` as Workspace.pulumi runs it, with a ProcessProfile of it."""
    process = subprocess.Popen(["pulumi", *args, "--stack", workspace.stack, "--non-interactive"],
                               cwd=workspace.root, env=workspace.env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    profile = ProcessProfile(lambda: process.pid)
    profile.start()
    try:
        stdout, stderr = process.communicate(timeout=STEP_TIMEOUT)
    except BaseException:
        process.kill()
        raise
    finally:
        profile.done.set()
    if process.returncode != 0:
        raise AssertionError(f"pulumi {' '.join(args)} failed ({process.returncode}):\n"
                             f"{stdout[-6000:]}\n{stderr[-4000:]}")
    return stdout, profile.by_kind()


def timed(workspace, clusters_dir: Path, *args: str) -> dict:
    """One pulumi command, measured."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cluster_before = cluster_cpu(clusters_dir)
    started = time.perf_counter()
    output, processes = run_profiled(workspace, *args)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": round(wall, 2), "cpu": round(cpu, 2),
            "cluster_cpu": round(cluster_cpu(clusters_dir) - cluster_before, 2),
            "state_mb": round(state_bytes(Path(workspace.env["PULUMI_BACKEND_URL"]
                                               .removeprefix("file://"))) / 1e6, 2),
            "load": round(os.getloadavg()[0], 2), "changes": resource_changes(output),
            "processes": processes}


# -- the cycle ---------------------------------------------------------------------------------

class Subject:
    """Something the cycle runs: the stack or a floor, in its own workspace."""

    def __init__(self, name: str, workspace, clusters_dir: Path, change, revert,
                 setup=None, teardown=None, crds=None):
        self.name, self.workspace, self.clusters_dir = name, workspace, clusters_dir
        self.change, self.revert = change, revert
        self.setup, self.teardown = setup, teardown
        self.crds = crds  # the CRD stack's workspace (docs/stacks.md): run as scripts/up does

    def measure(self, step: str, variant: str, args: tuple[str, ...], packs: list[str],
                measured: dict) -> dict:
        """One step as the user's command runs it. With a CRD stack: its step first (without
        the packs, which it does not run), then the platform's; `destroy` the other way round.
        Before the platform's first preview the CRD stack is applied untimed, as scripts/preview
        does on fresh local clusters (against real clusters it is applied once, ever), and
        removed again before the `up` from empty; the CRD stack's first preview is counted
        once, from the plain variant (it is the same command in both)."""
        if self.crds is None:
            return timed(self.workspace, self.clusters_dir, *args)
        crd_args = tuple(a for a in args if a not in packs)
        if step == "first_preview" and variant != "plain" and "first_preview" in measured.get(
                "plain", {}):
            crds = measured["plain"]["first_preview"]["parts"]["crds"]
        elif step != "destroy":
            crds = timed(self.crds, self.clusters_dir, *crd_args)
        if step == "first_preview":
            self.crds.pulumi("up", "--yes", "--skip-preview", timeout=STEP_TIMEOUT)
        platform = timed(self.workspace, self.clusters_dir, *args)
        if step == "destroy":
            crds = timed(self.crds, self.clusters_dir, *crd_args)
        return both_stacks(crds, platform)

    def before_up(self) -> None:
        """The CRD stack applied for the first previews goes: the `up` starts from nothing."""
        if self.crds is not None:
            self.crds.pulumi("destroy", "--yes", "--skip-preview", timeout=STEP_TIMEOUT)

    def cycle(self, steps: tuple[str, ...], variants: tuple[str, ...], policies: list[str],
              after_up=None, cleanup: bool = True) -> dict[str, dict]:
        """The cycle, each step of SEQUENCE that `steps` and `variants` keep: the previews and
        the change run without and with the packs on the same state, one after the other."""
        measured: dict[str, dict] = {}
        if self.setup:
            self.setup()
        ran_up = False
        for step, variant in SEQUENCE:
            if step not in steps or variant not in variants:
                continue
            packs = policies if variant == "policies" else []
            if step in ("first_preview", "noop_preview"):
                args = ("preview", *packs)
            elif step in ("up", "change_up"):
                if step == "up":
                    self.before_up()
                if step == "change_up":
                    self.change()  # each change_up flips it: a one-line change every time
                args = ("up", "--yes", "--skip-preview", *packs)
                ran_up = True
            elif step == "destroy":
                args = ("destroy", "--yes", "--skip-preview")
            measured.setdefault(variant, {})[step] = self.measure(step, variant, args, packs,
                                                                  measured)
            print(f"  {self.name} {variant} {step}: {measured[variant][step]}", flush=True)
            if step == "up" and after_up is not None:
                after_up()
        if "destroy" not in steps and ran_up and cleanup:
            # The next cycle starts from nothing again (not timed).
            self.workspace.pulumi("destroy", "--yes", "--skip-preview", timeout=STEP_TIMEOUT)
            self.before_up()
        elif not ran_up and self.crds is not None and cleanup:
            self.before_up()  # the CRD stack the first previews applied
        self.revert()
        if self.teardown:
            self.teardown()
        return measured


def both_stacks(crds: dict, platform: dict) -> dict:
    """One step of both stacks: their sums (state: both files after the step), each kept."""
    summed = {k: round(crds[k] + platform[k], 2) for k in ("wall", "cpu", "cluster_cpu")}
    changes = dict(platform["changes"])
    for what, count in crds["changes"].items():
        changes[what] = changes.get(what, 0) + count
    processes = dict(platform["processes"])
    for kind, cpu in crds["processes"].items():
        processes[kind] = round(processes.get(kind, 0) + cpu, 2)
    return {**summed, "state_mb": platform["state_mb"], "load": platform["load"],
            "changes": changes, "processes": processes,
            "parts": {"crds": crds, "platform": platform}}


def stack_file(workspace) -> Path:
    return workspace.root / f"Pulumi.{workspace.stack}.yaml"


def edited(text: str, edit) -> str:
    """A stack file's text after `edit` changed its data in place."""
    data = yaml.safe_load(text)
    edit(data)
    return yaml.safe_dump(data, sort_keys=False)


def edit_stack_file(workspace, edit) -> None:
    path = stack_file(workspace)
    path.write_text(edited(path.read_text(), edit))


def _stack_file_toggle(workspace, edit):
    """change/revert of the stack file: `change` applies `edit` to its data (first call) or
    puts the original back (next call), and so on; `revert` puts the original back."""
    path = stack_file(workspace)
    original = path.read_text()

    changed = [False]

    def change():
        # Every second call goes back again: another one-line change.
        path.write_text(original if changed[0] else edited(original, edit))
        changed[0] = not changed[0]

    def revert():
        path.write_text(original)
        changed[0] = False
    return change, revert


def stack_file_editor(workspace):
    """change/revert: the stack's last team one quota size up (`small` -> `medium`, ...)."""
    def edit(data):
        team = data["config"]["idp:teams"][-1]
        team["size"] = {"small": "medium", "medium": "large"}.get(team.get("size"), "small")
    return _stack_file_toggle(workspace, edit)


def config_editor(workspace, key: str, value: str):
    """change/revert: the stack config's `key` set to `value`."""
    def edit(data):
        data.setdefault("config", {})[key] = value
    return _stack_file_toggle(workspace, edit)


# -- the floors --------------------------------------------------------------------------------

def plain_workspace(tmp: Path, name: str, engine_bin: Path, program: str, config: dict,
                    env_overrides: dict):
    root = tmp / name
    root.mkdir(parents=True)
    (root / "Pulumi.yaml").write_text(f"name: {name}\nruntime: python\n")
    (root / "__main__.py").write_text(program)
    (root / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump(
        {"config": {f"{name}:{k}": v for k, v in config.items()}}))
    env = engine_workspace.engine_env(engine_bin, tmp / f"{name}-state", tmp / f"{name}-home")
    env.update(env_overrides)
    workspace = engine_workspace.Workspace(root, name, env)
    engine_workspace.install_plugins(engine_bin, env)
    workspace.init_stack()
    keep_logs(workspace)
    return workspace


def without_layers(workspace, layers: tuple[str, ...]) -> None:
    """Turn optional layers off in the workspace's stack file (`--without finops`): for a
    stack that cannot apply to local clusters with one of them on, said in the results."""
    def edit(data):
        for layer in layers:
            data["config"].setdefault(f"idp:{layer}", {})["enabled"] = False
    if layers:
        edit_stack_file(workspace, edit)


def with_config(workspace, settings: dict[str, str]) -> None:
    """Set stack settings in the workspace's stack file (`--config idp:crdDescriptions=true`):
    an option of the program, measured; each value is read as YAML."""
    def edit(data):
        for key, value in settings.items():
            data["config"][key] = yaml.safe_load(value)
    if settings:
        edit_stack_file(workspace, edit)


def keep_logs(workspace) -> None:
    """With IDP_PULUMI_LOGS=keep (the engine's defaults, measured), Pulumi's automatic log is
    left on: the file engine_env puts in its way goes."""
    logs = Path(workspace.env["PULUMI_HOME"]) / "logs"
    if workspace.env.get("IDP_PULUMI_LOGS") == "keep" and logs.is_file():
        logs.unlink()


def unsecret(value):
    """A `--show-secrets` export's values without the secret envelopes."""
    if isinstance(value, dict):
        if SIG_KEY in value:
            plaintext = value.get("plaintext")
            if plaintext is None:
                raise SystemExit("a secret in the export has no plaintext: export it with "
                                 "--show-secrets and the stack's passphrase")
            return unsecret(json.loads(plaintext))
        return {k: unsecret(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unsecret(v) for v in value]
    return value


def crd_workspace(workspace):
    """The CRD stack beside the platform stack (None when the stack keeps its CRDs in it)."""
    if not workspace.environment(policies=False).crds_apart:
        return None
    crds = engine_workspace.Workspace(workspace.root / "crds", workspace.stack, workspace.env)
    crds.init_stack()
    return crds


def exported_resources(workspace) -> list[dict]:
    return json.loads(workspace.pulumi("stack", "export", "--show-secrets").stdout)[
        "deployment"].get("resources") or []


def exported_manifests(workspace, crds=None) -> dict[str, dict]:
    """Per provider of the stack (and of its CRD stack: the same cluster's providers share a
    context): its settings and the inputs of every object it applied."""
    resources = exported_resources(workspace)
    if crds is not None:
        resources += exported_resources(crds)
    providers, objects = {}, {}
    for res in resources:
        if res["type"] == "pulumi:providers:kubernetes":
            inputs = unsecret(res.get("inputs") or {})
            settings = {k: inputs[k] for k in ("kubeconfig", "context", "enableServerSideApply",
                                                "deleteUnreachable", "namespace",
                                                "renderYamlToDirectory") if k in inputs}
            providers[f"{res['urn']}::{res['id']}"] = settings
    for res in resources:
        if not res["type"].startswith("kubernetes:") or res["type"].startswith(NOT_OBJECTS):
            continue
        if not res.get("custom", True) or res.get("delete"):
            continue
        obj = unsecret(copy.deepcopy(res.get("inputs") or {}))
        obj = {k: v for k, v in obj.items() if not k.startswith("__")}
        objects.setdefault(res.get("provider", ""), []).append(obj)
    clusters = {}
    for index, (provider, objs) in enumerate(sorted(objects.items())):
        settings = providers.get(provider, {})
        name = (settings.get("context") or f"cluster{index}").replace("/", "-")
        cluster = clusters.setdefault(name, {"provider": settings, "objects": []})
        # A CRD stack's objects go first, as they are applied first.
        crds_first = any(o.get("kind") == "CustomResourceDefinition" for o in objs)
        cluster["objects"] = objs + cluster["objects"] if crds_first else cluster["objects"] + objs
    return clusters


def write_manifests(directory: Path, clusters: dict) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    for name, cluster in clusters.items():
        (directory / f"{name}.json").write_text(json.dumps(cluster))
    return sum(len(c["objects"]) for c in clusters.values())


def a_changeable_object(clusters: dict) -> str:
    """kind/namespace/name of the object floor (b) changes: a ResourceQuota, as the stack's
    change does, else the first object."""
    objs = [o for c in clusters.values() for o in c["objects"]]
    pick = next((o for o in objs if o.get("kind") == "ResourceQuota"), objs[0])
    meta = pick["metadata"]
    return f"{pick['kind']}/{meta.get('namespace', '')}/{meta['name']}"


def kubectl_floor(stack: str, tmp: Path, cluster_bin: Path, clusters_json: dict) -> dict:
    """`kubectl apply --server-side` of the same manifests to fresh local clusters: CRDs and
    namespaces first (waited Established), then everything else."""
    workdir = tmp / "kubectl-clusters"
    clusters = local_cluster.Clusters(stack, workdir, bin_dir=cluster_bin)
    kubeconfig = clusters.up()
    try:
        before_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        cluster_before = cluster_cpu(workdir)
        started = time.perf_counter()
        for context, cluster in clusters_json.items():
            first = [o for o in cluster["objects"]
                     if o.get("kind") in ("CustomResourceDefinition", "Namespace")]
            rest = [o for o in cluster["objects"] if o not in first]
            base = ["kubectl", "--kubeconfig", str(kubeconfig), "--context", context]
            for batch in (first, rest):
                if not batch:
                    continue
                subprocess.run(base + ["apply", "--server-side", "--force-conflicts",
                                       "--field-manager", "bench", "-f", "-"],
                               input=json.dumps({"apiVersion": "v1", "kind": "List",
                                                 "items": batch}),
                               capture_output=True, text=True, check=True, timeout=900)
                if batch is first and any(o["kind"] == "CustomResourceDefinition"
                                          for o in first):
                    subprocess.run(base + ["wait", "--for=condition=Established", "crd",
                                           "--all", "--timeout=300s"],
                                   capture_output=True, text=True, check=True)
        wall = time.perf_counter() - started
        after_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        return {"wall": round(wall, 2),
                "cpu": round((after_cpu.ru_utime - before_cpu.ru_utime)
                             + (after_cpu.ru_stime - before_cpu.ru_stime), 2),
                "cluster_cpu": round(cluster_cpu(workdir) - cluster_before, 2),
                "load": round(os.getloadavg()[0], 2)}
    finally:
        clusters.down()


# -- one stack ---------------------------------------------------------------------------------

def bench_stack(stack: str, engine_bin: Path, cluster_bin: Path, repeats: int,
                steps: tuple[str, ...], env_overrides: dict, floors: tuple[str, ...],
                kubectl: bool = True, variants: tuple[str, ...] = VARIANTS,
                floor_variants: tuple[str, ...] = VARIANTS,
                layers_off: tuple[str, ...] = (),
                settings: dict[str, str] | None = None) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix=f"idp-bench-{stack}-"))
    clusters_dir = tmp / "clusters"
    clusters = local_cluster.Clusters(stack, clusters_dir, bin_dir=cluster_bin)
    kubeconfig = clusters.up()
    try:
        workspace = engine_workspace.offline_workspace(tmp / "stack", engine_bin, stack,
                                                       kubeconfig)
        workspace.env.update(env_overrides)
        keep_logs(workspace)
        without_layers(workspace, layers_off)
        with_config(workspace, settings or {})
        policies = workspace.policy_args()
        change, revert = stack_file_editor(workspace)
        crds = crd_workspace(workspace)
        subject = Subject("stack", workspace, clusters_dir, change, revert, crds=crds)
        manifests: dict = {}

        def capture():
            if not manifests:
                manifests.update(exported_manifests(workspace, crds))
                footprints[stack] = footprint.stack_footprint(stack, clusters)

        samples: dict[str, list] = {}
        failures: dict[str, str] = {}
        floor_subjects: list[Subject] | None = None
        def record(name: str, measured: dict) -> None:
            for variant, runs in measured.items():
                samples.setdefault(f"{name}/{variant}", []).append(runs)

        for _ in range(repeats):
            record("stack", subject.cycle(steps, variants, policies, after_up=capture))
            if not floors and not kubectl:
                continue
            if floor_subjects is None:
                if not manifests:
                    # A cycle without `up` (a short one, for prod): no manifests to replay, so
                    # only floor (a), as many ConfigMaps as the first preview counts resources.
                    counted = samples["stack/plain"][0]["first_preview"]["changes"]["to create"]
                    floors, kubectl = tuple(f for f in floors if f == "configmaps"), False
                    manifests_for_floors = {"count": counted}
                else:
                    manifests_for_floors = manifests
                floor_subjects = make_floors(tmp, engine_bin, kubeconfig, clusters,
                                             manifests_for_floors, env_overrides, clusters_dir,
                                             floors)
            for floor in floor_subjects:
                try:
                    record(floor.name, floor.cycle(steps, floor_variants, policies))
                except (AssertionError, subprocess.SubprocessError) as error:
                    print(f"  {floor.name} failed: {str(error)[-3000:]}", flush=True)
                    failures[floor.name] = str(error)[-3000:]
                    floor.workspace.pulumi("destroy", "--yes", "--skip-preview", check=False,
                                           timeout=STEP_TIMEOUT)
                    if floor.teardown:
                        floor.teardown()
            if kubectl:
                try:
                    samples.setdefault("kubectl", []).append(
                        kubectl_floor(stack, tmp, cluster_bin, manifests))
                    print(f"  kubectl: {samples['kubectl'][-1]}", flush=True)
                except subprocess.SubprocessError as error:
                    failures["kubectl"] = f"{error} {getattr(error, 'stderr', '')}"[-3000:]
                    print(f"  kubectl failed: {failures['kubectl']}", flush=True)
        objects = sum(len(c["objects"]) for c in manifests.values()) if manifests else None
        crds = sum(1 for c in manifests.values() for o in c["objects"]
                   if o.get("kind") == "CustomResourceDefinition") if manifests else None
        crd_mb = round(sum(len(json.dumps(o)) for c in manifests.values() for o in c["objects"]
                           if o.get("kind") == "CustomResourceDefinition") / 1e6, 2) \
            if manifests else None
        return {"stack": stack, "objects": objects, "crds": crds, "crd_input_mb": crd_mb,
                "clusters": len(clusters.clusters), "steps": list(steps),
                "runs": results.medians(samples),
                "samples": samples, "failures": failures}
    finally:
        clusters.down()


def crds_apart(kubeconfig: Path, manifests: dict, contexts: dict):
    """setup/teardown: the stack's CRDs applied (and removed) by kubectl around a cycle."""
    def run(verb: str):
        for name, cluster in manifests.items():
            crds = [o for o in cluster["objects"] if o["kind"] == "CustomResourceDefinition"]
            if not crds:
                continue
            base = ["kubectl", "--kubeconfig", str(kubeconfig), "--context", contexts[name]]
            listed = json.dumps({"apiVersion": "v1", "kind": "List", "items": crds})
            args = (["apply", "--server-side", "--force-conflicts", "-f", "-"]
                    if verb == "apply" else ["delete", "--ignore-not-found", "--wait", "-f", "-"])
            subprocess.run(base + args, input=listed, capture_output=True, text=True,
                           check=True, timeout=600)
            if verb == "apply":
                subprocess.run(base + ["wait", "--for=condition=Established", "crd", "--all",
                                       "--timeout=300s"], capture_output=True, check=True)
    return (lambda: run("apply")), (lambda: run("delete"))


def make_floors(tmp: Path, engine_bin: Path, kubeconfig: Path, clusters, manifests: dict,
                env_overrides: dict, clusters_dir: Path,
                names: tuple[str, ...] = ("configmaps", "objects")) -> list[Subject]:
    objects = manifests["count"] if "count" in manifests else sum(
        len(c["objects"]) for c in manifests.values())
    first = clusters.clusters[0].context
    configmaps = plain_workspace(tmp, "configmaps", engine_bin, CONFIGMAP_FLOOR,
                                 {"configMaps": objects, "kubeconfig": str(kubeconfig),
                                  "context": first}, env_overrides)
    floors = {"configmaps": Subject("configmaps", configmaps, clusters_dir,
                                    *config_editor(configmaps, "configmaps:changed", "0"))}
    for name in ("objects", "objects-nocrds"):
        if name not in names:
            continue
        config = {"withoutCrds": True} if name == "objects-nocrds" else {}
        workspace = plain_workspace(tmp, name, engine_bin, OBJECTS_FLOOR, config, env_overrides)
        write_manifests(workspace.root / "manifests", manifests)
        contexts = {n: c["provider"].get("context", n) for n, c in manifests.items()}
        hooks = crds_apart(kubeconfig, manifests, contexts) if name == "objects-nocrds" else ()
        floors[name] = Subject(name, workspace, clusters_dir,
                               *config_editor(workspace, f"{name}:changed",
                                              a_changeable_object(manifests)), *hooks)
    return [floors[n] for n in names if n in floors]


def parse_env(pairs: list[str]) -> dict:
    env = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        env[key] = value
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stacks", default=",".join(STACKS))
    parser.add_argument("--repeats", type=int, default=1,
                        help="cycles per subject and variant (medians are reported)")
    parser.add_argument("--steps", default=",".join(STEPS))
    parser.add_argument("--stack-steps", action="append", default=[],
                        help="STACK=step,step: a shorter cycle for one stack (e.g. prod)")
    parser.add_argument("--env", action="append", default=[],
                        help="KEY=VALUE set for every pulumi command (an option measured)")
    parser.add_argument("--label", default="", help="save as engine-<label>.json")
    parser.add_argument("--floors", default="configmaps,objects",
                        help="floors to run: configmaps, objects, objects-nocrds (the stack's "
                             "objects with its CRDs applied apart); empty for none")
    parser.add_argument("--stack-floors", action="append", default=[],
                        help="STACK=floor,floor: other floors for one stack (empty: none)")
    parser.add_argument("--no-kubectl", action="store_true", help="skip the kubectl floor")
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help="plain, policies or both")
    parser.add_argument("--without", action="append", default=[],
                        help="an optional layer turned off in the stack (e.g. finops)")
    parser.add_argument("--config", action="append", default=[],
                        help="KEY=VALUE stack setting (YAML value), e.g. "
                             "idp:crdDescriptions=true: an option of the program, measured")
    parser.add_argument("--floor-variants", default=",".join(VARIANTS),
                        help="the floors' variants (plain alone keeps a run short)")
    options = parser.parse_args()
    def listed(text: str) -> tuple[str, ...]:
        return tuple(item for item in text.split(",") if item)

    stacks = listed(options.stacks)
    steps = {stack: listed(options.steps) for stack in stacks}
    floors = {stack: listed(options.floors) for stack in stacks}
    for per_stack, specs in ((steps, options.stack_steps), (floors, options.stack_floors)):
        for spec in specs:
            stack, _, items = spec.partition("=")
            if stack not in per_stack:
                parser.error(f"{spec}: {stack} is not one of --stacks ({options.stacks})")
            per_stack[stack] = listed(items)
    # A stopped benchmark still stops its local clusters (and kills the pulumi it waits for).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    variants = listed(options.variants)
    engine_bin = engine_workspace.bootstrap()
    cluster_bin = local_cluster.bootstrap()
    env = parse_env(options.env)
    settings = parse_env(options.config)
    rows = []
    for stack, stack_steps in steps.items():
        print(f"{stack}: {stack_steps} {env or ''}", flush=True)
        rows.append(bench_stack(stack, engine_bin, cluster_bin, options.repeats, stack_steps,
                                env, floors[stack],
                                not options.no_kubectl, variants,
                                listed(options.floor_variants),
                                tuple(options.without), settings))
        rows[-1]["layers_off"] = list(options.without)
        rows[-1]["config"] = settings
        results.save("engine" + (f"-{options.label}" if options.label else ""),
                     {"repeats": options.repeats, "env": env, "label": options.label,
                      "stacks": rows, "machine": results.machine()})
    if footprints and not options.label:
        footprint.save(footprints)
    return 0


if __name__ == "__main__":
    sys.exit(main())
