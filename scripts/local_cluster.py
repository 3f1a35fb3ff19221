"""Local Kubernetes clusters for a stack, without containers: a real kube-apiserver, etcd,
controller-manager and scheduler per cluster of the stack, with kwok simulating the nodes and
the pods on them (scripts/cluster-bootstrap.sh builds them all from Go modules).

    scripts/local-cluster up dev        # start one cluster per cluster of the stack
    scripts/local-cluster status prod
    scripts/local-cluster up dev --controllers   # also MinIO, Flux and Kratix acting on them
    scripts/local-cluster down prod     # stop them; no process is left behind

`up` writes one kubeconfig whose contexts carry the names the stack's `kubeconfig` targets
use (a render-mode cluster gets `idp-<stack>-<cluster>`) and prints its path last.

What each cluster is, and why:
- Loopback only: every server listens on 127.0.0.1, and the Service and pod ranges lie inside
  127.0.0.0/8 (never the private 10.x defaults).
- Admission webhooks are off (`ValidatingAdmissionWebhook`, `MutatingAdmissionWebhook`): the
  charts' webhook pods never run, so the API server could not call them. Every other admission
  plugin stays on, Pod Security admission and NamespaceLifecycle included; RBAC is the
  authorizer.
- Nodes are sized like the stack's profile (`components.profiles.NodePool`), so a pod that does
  not fit stays Pending and the apply fails, as it would on the real nodes.
- PersistentVolumeClaims bind through the controller-manager's own hostPath provisioner
  (default StorageClass `standard`; volumes are directories under /tmp/hostpath_pv).
- Crossplane's own kinds (packages, runtime configs, composite APIs, provider configs) get
  stand-in CRDs with an open schema: Crossplane creates their CRDs as it runs (its core at
  start, each provider as its package installs), no chart carries them, and nothing runs here.
"""

from __future__ import annotations

import argparse
import dataclasses
import fcntl
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))  # its sibling, also when imported
from local_controllers import Controllers, kratix_binary  # noqa: E402

from components.crossplane.component import PACKAGE_API, PROVIDERS, RUNTIME_CONFIG_API
from components.profiles import PROFILES, NodePool
from promises.cloud import composite_apis

REPO = Path(__file__).resolve().parent.parent

DEFAULT_WORKDIR = REPO / ".pulumi-local" / "clusters"
STORAGE_CLASS = "standard"
# Marks what the harness itself registers in a cluster (not the stack's, not left over by it).
STAND_IN_LABEL = "local-cluster.idp.dev/stand-in"


def run_bootstrap(script: str, what: str) -> Path:
    """Run `scripts/<script>` (it builds or reuses what it names) and return the bin directory
    it prints last; its progress goes to stderr, a failure ends the caller."""
    result = subprocess.run(
        ["bash", str(REPO / "scripts" / script), str(REPO)],
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"{what} bootstrap failed (its messages are above)")
    return Path(result.stdout.strip().splitlines()[-1])


def bootstrap() -> Path:
    """The control plane's bin directory (built or reused by scripts/cluster-bootstrap.sh)."""
    return run_bootstrap("cluster-bootstrap.sh", "control plane")


def controllers_bootstrap() -> Path:
    """The controllers' bin directory (built or reused by scripts/controllers-bootstrap.sh)."""
    return run_bootstrap("controllers-bootstrap.sh", "controllers")


@dataclasses.dataclass(frozen=True)
class LocalCluster:
    """One simulated cluster standing in for one cluster of a stack."""

    stack: str
    cluster: str
    context: str
    index: int
    nodes: NodePool

    @property
    def name(self) -> str:
        return re.sub(r"[^a-z0-9-]", "-", f"idp-{self.stack}-{self.cluster}".lower())[:50]

    @property
    def service_cidr(self) -> str:
        return f"127.{64 + self.index}.0.0/16"

    def node_pod_cidr(self, node: int) -> str:
        return f"127.{128 + self.index}.{node}.0/24"

    def node_ip(self, node: int) -> str:
        return f"127.{192 + self.index}.0.{node + 1}"


def stack_clusters(stack: str, stack_file: Path | None = None) -> list[LocalCluster]:
    """The local clusters a stack file asks for, with the contexts its targets name."""
    path = stack_file or REPO / f"Pulumi.{stack}.yaml"
    config = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
    profile = PROFILES[config.get("idp:profile", stack)]
    found = []
    for index, cluster in enumerate(config.get("idp:clusters") or []):
        target = cluster.get("target") or {}
        context = target.get("context") or f"idp-{stack}-{cluster['name']}"
        found.append(LocalCluster(stack, cluster["name"], context, index, profile.nodes))
    return found


class Clusters:
    """The local clusters of one stack, in one work directory."""

    def __init__(
        self,
        stack: str,
        workdir: Path = DEFAULT_WORKDIR,
        stack_file: Path | None = None,
        bin_dir: Path | None = None,
    ):
        self.stack = stack
        self.workdir = workdir.resolve() / stack
        self.stack_file = stack_file or REPO / f"Pulumi.{stack}.yaml"
        self.clusters = stack_clusters(stack, self.stack_file)
        self._bin = bin_dir

    @property
    def bin(self) -> Path:
        if self._bin is None:
            self._bin = bootstrap()
        return self._bin

    @property
    def kubeconfig(self) -> Path:
        return self.workdir / "kubeconfig"

    def cluster_kubeconfig(self, cluster: LocalCluster) -> Path:
        """The kubeconfig of one cluster alone (its only context is current): what a
        controller run as a local process reads."""
        return self.workdir / f"{cluster.name}.kubeconfig"

    def env(self) -> dict:
        env = dict(os.environ)
        env["KWOK_WORKDIR"] = str(self.workdir / "kwok")
        env["PATH"] = os.pathsep.join([str(self.bin), env.get("PATH", "")])
        return env

    def kwokctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [str(self.bin / "kwokctl"), *args],
            env=self.env(),
            capture_output=True,
            text=True,
            check=False,
        )
        if check and result.returncode != 0:
            raise SystemExit(f"kwokctl {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result

    def kubectl(
        self, cluster: LocalCluster, *args: str, input: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess:
        result = subprocess.run(
            ["kubectl", "--kubeconfig", str(self.kubeconfig), "--context", cluster.context, *args],
            input=input,
            capture_output=True,
            text=True,
            check=False,
        )
        if check and result.returncode != 0:
            raise SystemExit(
                f"kubectl {' '.join(args)} on {cluster.context} failed:\n"
                f"{result.stdout}{result.stderr}"
            )
        return result

    # -- up ------------------------------------------------------------------------------------

    def up(self) -> Path:
        self.workdir.mkdir(parents=True, exist_ok=True)
        running = self.running()
        for cluster in self.clusters:
            if cluster.name not in running:
                self._create(cluster)
        self._write_kubeconfig()
        for cluster in self.clusters:
            self._wait_ready(cluster)
            # A plain create keeps each Node's status (allocatable): kwok reports it as given.
            self.kubectl(
                cluster, "apply", "-f", "-", input=yaml.safe_dump_all(base_objects(cluster))
            )
            self._wait_nodes(cluster)
        return self.kubeconfig

    def _create(self, cluster: LocalCluster) -> None:
        # kwokctl picks free ports as it starts: clusters created side by side (two test runs)
        # could pick the same one, so creations take turns machine-wide.
        lock_path = Path(os.environ.get("TMPDIR", "/tmp")) / "idp-local-cluster.lock"
        with open(lock_path, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._create_locked(cluster)

    def _create_locked(self, cluster: LocalCluster) -> None:
        config = self.workdir / f"{cluster.name}.kwok.yaml"
        config.write_text(
            yaml.safe_dump_all(kwok_config(cluster, self.bin, _kube_version(self.bin)))
        )
        self.kwokctl(
            "--config",
            str(config),
            "create",
            "cluster",
            "--name",
            cluster.name,
            "--kubeconfig",
            str(self.workdir / f"{cluster.name}.kubeconfig"),
            "--wait",
            "2m",
            "--timeout",
            "3m",
        )

    def _write_kubeconfig(self) -> None:
        """One kubeconfig, each cluster's context named as the stack's target names it."""
        entries: dict[str, list[dict]] = {"clusters": [], "users": [], "contexts": []}
        for cluster in self.clusters:
            own = yaml.safe_load(self.kwokctl("get", "kubeconfig", "--name", cluster.name).stdout)
            context = own["contexts"][0]["context"]
            server = next(c for c in own["clusters"] if c["name"] == context["cluster"])
            user = next(u for u in own["users"] if u["name"] == context["user"])
            entries["clusters"].append({"name": cluster.context, "cluster": server["cluster"]})
            entries["users"].append({"name": cluster.context, "user": user["user"]})
            entries["contexts"].append(
                {
                    "name": cluster.context,
                    "context": {"cluster": cluster.context, "user": cluster.context},
                }
            )
        merged = {
            "apiVersion": "v1",
            "kind": "Config",
            **entries,
            "preferences": {},
            "current-context": self.clusters[0].context,
        }
        self.kubeconfig.write_text(yaml.safe_dump(merged))
        self.kubeconfig.chmod(0o600)

    def _wait_ready(self, cluster: LocalCluster, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while self.kubectl(cluster, "get", "--raw", "/readyz", check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise SystemExit(f"{cluster.context}: the API server did not become ready")
            time.sleep(1)

    def _wait_nodes(self, cluster: LocalCluster) -> None:
        self.kubectl(cluster, "wait", "--for=condition=Ready", "node", "--all", "--timeout=300s")

    # -- status and down -----------------------------------------------------------------------

    def running(self) -> set[str]:
        if not (self.workdir / "kwok").is_dir():
            return set()
        listed = self.kwokctl("get", "clusters", check=False).stdout.split()
        return {name for name in listed if self._alive(name)}

    def _alive(self, name: str) -> bool:
        return bool(self._processes(name))

    def _processes(self, name: str) -> list[int]:
        """Processes started for cluster `name` (their command line names its directory)."""
        marker = str(self.workdir / "kwok" / "clusters" / name)
        found = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if marker in cmdline:
                found.append(int(proc.name))
        return found

    def status(self) -> list[tuple[LocalCluster, str]]:
        running = self.running()
        report = []
        for cluster in self.clusters:
            if cluster.name not in running:
                report.append((cluster, "stopped"))
                continue
            ready = self.kubectl(cluster, "get", "--raw", "/readyz", check=False)
            report.append((cluster, "ready" if ready.returncode == 0 else "starting"))
        return report

    def down(self) -> None:
        # The controllers first: they would otherwise crash-loop against stopped clusters.
        Controllers(self).down()
        for cluster in self.clusters:
            if (self.workdir / "kwok" / "clusters" / cluster.name).exists():
                self.kwokctl("delete", "cluster", "--name", cluster.name, check=False)
            # kube-apiserver can outlive its SIGTERM: nothing of the cluster may stay behind.
            pids = self._processes(cluster.name)
            deadline = time.monotonic() + 10
            while pids and time.monotonic() < deadline:
                time.sleep(0.5)
                pids = self._processes(cluster.name)
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        shutil.rmtree(self.workdir, ignore_errors=True)


def kwok_config(cluster: LocalCluster, bin_dir: Path, kube_version: str = "1.36.3") -> list[dict]:
    """kwokctl's configuration for one cluster: binaries, loopback addresses, admission."""
    group = "config.kwok.x-k8s.io/v1alpha1"
    args = {
        "kube-apiserver": [
            ("service-cluster-ip-range", cluster.service_cidr),
            ("disable-admission-plugins", "ValidatingAdmissionWebhook,MutatingAdmissionWebhook"),
        ],
        "kube-controller-manager": [
            ("service-cluster-ip-range", cluster.service_cidr),
            ("enable-hostpath-provisioner", "true"),
        ],
    }
    return [
        {
            "apiVersion": group,
            "kind": "KwokctlConfiguration",
            "options": {
                "runtime": "binary",
                "bindAddress": "127.0.0.1",
                "kubeAuthorization": True,
                "kubeApiserverBinary": str(bin_dir / "kube-apiserver"),
                "kubeControllerManagerBinary": str(bin_dir / "kube-controller-manager"),
                "kubeSchedulerBinary": str(bin_dir / "kube-scheduler"),
                "kwokControllerBinary": str(bin_dir / "kwok"),
                "etcdBinary": str(bin_dir / "etcd"),
                "kubeVersion": f"v{kube_version}",
            },
            "componentsPatches": [
                {"name": component, "extraArgs": [{"key": k, "value": v} for k, v in pairs]}
                for component, pairs in args.items()
            ],
        },
        # Pods get addresses from their node's podCIDR (set on each Node below); this is the
        # fallback, inside loopback too.
        {
            "apiVersion": group,
            "kind": "KwokConfiguration",
            "options": {
                "cidr": f"127.{128 + cluster.index}.255.0/24",
                "nodeIP": cluster.node_ip(0),
                "podPlayStageParallelism": 4,
                "nodePlayStageParallelism": 4,
                "nodeLeaseParallelism": 4,
                "podsOnNodeSyncParallelism": 1,
            },
        },
    ]


def _kube_version(bin_dir: Path) -> str:
    reported = subprocess.run(
        [str(bin_dir / "kube-apiserver"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    return reported.split()[-1].lstrip("v")


def base_objects(cluster: LocalCluster) -> list[dict]:
    """The nodes a profile is sized for, and the default StorageClass."""
    nodes = []
    for i in range(cluster.nodes.count):
        name = f"{cluster.cluster}-node-{i}"[:63]
        allocatable = {
            "cpu": cluster.nodes.cpu,
            "memory": cluster.nodes.memory,
            "pods": str(cluster.nodes.pods),
            "ephemeral-storage": "100Gi",
        }
        nodes.append(
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {
                    "name": name,
                    "annotations": {"kwok.x-k8s.io/node": "fake"},
                    "labels": {
                        "kubernetes.io/hostname": name,
                        "kubernetes.io/os": "linux",
                        "kubernetes.io/arch": "amd64",
                        "type": "kwok",
                        "topology.kubernetes.io/zone": f"zone-{i % 3}",
                    },
                },
                "spec": {
                    "podCIDR": cluster.node_pod_cidr(i),
                    "podCIDRs": [cluster.node_pod_cidr(i)],
                },
                "status": {
                    "allocatable": allocatable,
                    "capacity": allocatable,
                    "addresses": [{"type": "InternalIP", "address": cluster.node_ip(i)}],
                    "nodeInfo": {
                        "architecture": "amd64",
                        "operatingSystem": "linux",
                        "kubeletVersion": "fake",
                        "kubeProxyVersion": "fake",
                        "containerRuntimeVersion": "kwok",
                        "osImage": "kwok",
                        "kernelVersion": "kwok",
                        "machineID": "",
                        "systemUUID": "",
                        "bootID": "",
                    },
                },
            }
        )
    storage_class = {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {
            "name": STORAGE_CLASS,
            "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
        },
        "provisioner": "kubernetes.io/host-path",
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "Immediate",
    }
    return [*nodes, storage_class, *runtime_crds()]


def runtime_crds() -> list[dict]:
    """Stand-ins for the CRDs Crossplane creates as it runs, for the kinds the program applies:
    cluster-scoped, one served version, any fields accepted (what Crossplane's own schemas
    would refuse, the local cluster does not: docs/local-cluster.md)."""
    kinds = {
        (PACKAGE_API, "Provider"),
        (PACKAGE_API, "Function"),
        (RUNTIME_CONFIG_API, "DeploymentRuntimeConfig"),
    }
    kinds |= {(provider.config_api, "ClusterProviderConfig") for provider in PROVIDERS.values()}
    kinds |= {(document["apiVersion"], document["kind"]) for document in composite_apis()}
    crds = []
    for api_version, kind in sorted(kinds):
        group, version = api_version.split("/")
        plural = f"{kind.lower()}s"
        crds.append(
            {
                "apiVersion": "apiextensions.k8s.io/v1",
                "kind": "CustomResourceDefinition",
                "metadata": {"name": f"{plural}.{group}", "labels": {STAND_IN_LABEL: "true"}},
                "spec": {
                    "group": group,
                    "scope": "Cluster",
                    "names": {
                        "kind": kind,
                        "plural": plural,
                        "singular": kind.lower(),
                        "listKind": f"{kind}List",
                    },
                    "versions": [
                        {
                            "name": version,
                            "served": True,
                            "storage": True,
                            "schema": {
                                "openAPIV3Schema": {
                                    "type": "object",
                                    "x-kubernetes-preserve-unknown-fields": True,
                                }
                            },
                            "subresources": {"status": {}},
                        }
                    ],
                },
            }
        )
    return crds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["up", "down", "status", "store"])
    parser.add_argument("stack", nargs="?", default="dev")
    parser.add_argument("prefix", nargs="?", default="", help="store: list keys under PREFIX")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(os.environ.get("IDP_LOCAL_CLUSTERS", DEFAULT_WORKDIR)),
        help="where the clusters keep their data (default .pulumi-local/clusters)",
    )
    parser.add_argument(
        "--controllers",
        action="store_true",
        help="up: also run the object store, Flux on every syncing cluster and Kratix "
        "(IDP_KRATIX_BIN) as local processes (scripts/local_controllers.py)",
    )
    options = parser.parse_args()
    clusters = Clusters(options.stack, options.workdir)
    controllers = Controllers(clusters)
    if options.command == "up":
        kratix = kratix_binary() if options.controllers else None
        path = clusters.up()
        for cluster in clusters.clusters:
            print(
                f"{cluster.context}: {cluster.nodes.count} node(s) of {cluster.nodes.cpu} CPU, "
                f"{cluster.nodes.memory}",
                file=sys.stderr,
            )
        if options.controllers:
            controllers = Controllers(clusters, controllers_bootstrap())
            store = controllers.up(kratix)
            print(
                f"state store: http://{store.endpoint} (buckets {', '.join(store.buckets)}); "
                f"controllers: {', '.join(p.name for p in controllers.processes())}"
                + ("" if kratix else " (no Kratix: set IDP_KRATIX_BIN to run one)"),
                file=sys.stderr,
            )
        print(path)
    elif options.command == "status":
        for cluster, state in clusters.status():
            print(f"{cluster.context}\t{state}")
        for name, state in controllers.status():
            print(f"{name}\t{state}")
    elif options.command == "store":
        for key in controllers.objects(options.prefix):
            print(key)
    else:
        clusters.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
