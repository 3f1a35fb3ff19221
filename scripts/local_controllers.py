"""The controllers that act on what a stack applies to its local clusters, run as local
processes with a kubeconfig (pods never run on kwok nodes, but a controller needs none):

- a MinIO server: the stack's bucket state store, a real S3 server on 127.0.0.1 with its data
  under the clusters' directory, its bucket versioned, and credentials generated per stack for
  Kratix and the destinations' Flux (the stack is handed them as any external bucket's:
  `stateStoreCredentials`, which becomes the Secret its BucketStateStore names);
- Flux's source-controller and kustomize-controller on every cluster that syncs a destination,
  reading the Bucket and Kustomization objects the stack's GitOps layer applies there;
- the Kratix manager on the platform cluster, when IDP_KRATIX_BIN names one: the Go module
  proxy refuses github.com/syntasso/kratix, so it cannot be built here from its module.

    scripts/local-cluster up dev --controllers
    scripts/local-cluster status dev          # each cluster and each controller's health
    scripts/local-cluster store dev [PREFIX]  # the state store's objects
    scripts/local-cluster down dev            # stops every cluster and controller process

Each controller runs under a restart loop, as a kubelet restarts a crashing pod: a controller
started before the stack's CRDs exist exits, and comes back once they do. Logs are in
`<workdir>/<stack>/controllers/<name>.log`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from local_cluster import Clusters, LocalCluster

REPO = Path(__file__).resolve().parent.parent
FLUX_NAMESPACE = "flux-system"
KRATIX_USER = "kratix"
# The restart loop every controller runs under; its $0 names the controller and the directory,
# so a leftover loop is found by its command line.
RESTART_LOOP = (
    'while :; do "$@"; status=$?; '
    'echo "[local-cluster] $0 exited with $status; restarting in 3s"; sleep 3; done'
)


def kratix_binary() -> Path | None:
    """The Kratix manager to run (IDP_KRATIX_BIN), or None: nothing here can build one."""
    given = os.environ.get("IDP_KRATIX_BIN")
    if not given:
        return None
    path = Path(given)
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise SystemExit(
            f"IDP_KRATIX_BIN={given} is not an executable file: point it at a Kratix manager "
            "binary (github.com/syntasso/kratix, cmd/main.go), or unset it to run without Kratix"
        )
    return path


@dataclasses.dataclass(frozen=True)
class StoreAccess:
    """How Kratix and the destinations' Flux reach the local object store."""

    endpoint: str
    """host:port, plain HTTP."""
    access_key_id: str
    secret_access_key: str
    root_user: str
    root_password: str
    buckets: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Process:
    """One controller under its restart loop."""

    name: str
    pgid: int
    health: str
    """URL answering 200 when the controller is healthy."""
    log: str


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def sync_clusters(stack_file: Path) -> list[str]:
    """The clusters that sync a destination on a bucket store (Flux runs there)."""
    config = (yaml.safe_load(stack_file.read_text()) or {}).get("config") or {}
    bucket_stores = {
        s["name"] for s in config.get("idp:stateStores") or [] if s.get("kind") == "bucket"
    }
    default_store = next(iter(s["name"] for s in config.get("idp:stateStores") or []), None)
    found = []
    for destination in config.get("idp:destinations") or []:
        cluster = destination.get("cluster") or destination["name"]
        if destination.get("stateStore", default_store) in bucket_stores and cluster not in found:
            found.append(cluster)
    return found


def store_buckets(stack_file: Path) -> tuple[str, ...]:
    """The bucket names of the stack's bucket stores (`kratix` where none is named)."""
    config = (yaml.safe_load(stack_file.read_text()) or {}).get("config") or {}
    return tuple(
        sorted(
            {
                (s.get("bucket") or {}).get("bucketName", "kratix")
                for s in config.get("idp:stateStores") or []
                if s.get("kind") == "bucket"
            }
        )
    )


class Controllers:
    """The controllers of one stack's local clusters."""

    def __init__(self, clusters: "Clusters", bin_dir: Path | None = None):
        self.clusters = clusters
        self.workdir = clusters.workdir / "controllers"
        self._bin = bin_dir

    @property
    def bin(self) -> Path:
        """The built controllers (scripts/controllers-bootstrap.sh); only `up` needs them."""
        if self._bin is None:
            raise RuntimeError("Controllers.up needs the controllers' bin directory")
        return self._bin

    @property
    def state_file(self) -> Path:
        return self.workdir / "state.json"

    def _state(self) -> dict:
        if not self.state_file.exists():
            return {}
        return json.loads(self.state_file.read_text())

    def _save(self, state: dict) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.state_file.write_text(json.dumps(state, indent=2))
        # It holds the store's root credentials.
        self.state_file.chmod(0o600)

    @property
    def running(self) -> bool:
        return bool(self._state().get("processes"))

    def store(self) -> StoreAccess | None:
        saved = self._state().get("store")
        if not saved:
            return None
        return StoreAccess(**{**saved, "buckets": tuple(saved["buckets"])})

    # -- up ------------------------------------------------------------------------------------

    def up(self, kratix: Path | None = None) -> StoreAccess:
        """Start the object store (and wait for it), Flux on every syncing cluster and Kratix
        (when given); a second call keeps what runs."""
        if self.running:
            store = self.store()
            assert store is not None
            return store
        self.workdir.mkdir(parents=True, exist_ok=True)
        state: dict = {"processes": {}}
        try:
            store = self._start_store(state)
            by_name = {c.cluster: c for c in self.clusters.clusters}
            for cluster_name in sync_clusters(self.clusters.stack_file):
                self._start_flux(state, by_name[cluster_name])
            if kratix is not None:
                self._start_kratix(state, kratix, self.clusters.clusters[0])
        finally:
            self._save(state)
        # Flux and Kratix come up once the stack has applied their CRDs (until then they exit
        # and are restarted): callers that need them healthy wait with `wait_healthy`.
        return store

    def _spawn(self, state: dict, name: str, argv: list[str], env: dict, health: str) -> None:
        log = self.workdir / f"{name}.log"
        with open(log, "ab") as out:
            loop = subprocess.Popen(
                ["bash", "-c", RESTART_LOOP, f"idp-controller:{self.workdir}/{name}", *argv],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        state["processes"][name] = dataclasses.asdict(Process(name, loop.pid, health, str(log)))
        self._save(state)

    def _base_env(self, home: Path) -> dict:
        home.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("KUBECONFIG")}
        env["HOME"] = str(home)
        return env

    def _start_store(self, state: dict) -> StoreAccess:
        data = self.workdir / "minio" / "data"
        data.mkdir(parents=True, exist_ok=True)
        port, console = free_port(), free_port()
        store = StoreAccess(
            endpoint=f"127.0.0.1:{port}",
            access_key_id=f"{KRATIX_USER}-{secrets.token_hex(6)}",
            secret_access_key=secrets.token_urlsafe(30),
            root_user=f"root-{secrets.token_hex(6)}",
            root_password=secrets.token_urlsafe(30),
            buckets=store_buckets(self.clusters.stack_file),
        )
        state["store"] = dataclasses.asdict(store)
        env = self._base_env(self.workdir / "minio" / "home")
        env.update(
            {
                "MINIO_ROOT_USER": store.root_user,
                "MINIO_ROOT_PASSWORD": store.root_password,
                "MINIO_UPDATE": "off",
                "MINIO_BROWSER": "off",
            }
        )
        argv = [
            str(self.bin / "minio"),
            "server",
            str(data),
            "--address",
            store.endpoint,
            "--console-address",
            f"127.0.0.1:{console}",
            "--quiet",
        ]
        self._spawn(state, "minio", argv, env, f"http://{store.endpoint}/minio/health/ready")
        self._wait(state["processes"]["minio"], timeout=60)
        prepare_store(store)
        return store

    def _start_flux(self, state: dict, cluster: "LocalCluster") -> None:
        kubeconfig = self.clusters.cluster_kubeconfig(cluster)
        home = self.workdir / f"flux-{cluster.cluster}"
        env = self._base_env(home)
        env.update({"KUBECONFIG": str(kubeconfig), "RUNTIME_NAMESPACE": FLUX_NAMESPACE})
        (home / "artifacts").mkdir(parents=True, exist_ok=True)
        storage = free_port()
        own_flags = {
            "source-controller": [
                f"--storage-path={home / 'artifacts'}",
                f"--storage-addr=127.0.0.1:{storage}",
                # kustomize-controller downloads artifacts from this address.
                f"--storage-adv-addr=127.0.0.1:{storage}",
            ],
            "kustomize-controller": [],
        }
        for controller, flags in own_flags.items():
            health = free_port()
            self._spawn(
                state,
                f"{controller}-{cluster.cluster}",
                [
                    str(self.bin / controller),
                    "--watch-all-namespaces",
                    *flags,
                    f"--metrics-addr=127.0.0.1:{free_port()}",
                    f"--health-addr=127.0.0.1:{health}",
                    "--enable-leader-election=false",
                    "--events-addr=",
                ],
                env,
                f"http://127.0.0.1:{health}/readyz",
            )

    def _start_kratix(self, state: dict, binary: Path, cluster: "LocalCluster") -> None:
        from components.charts import IMAGES

        home = self.workdir / "kratix"
        env = self._base_env(home)
        # controller-runtime's webhook server reads its certificate from
        # $TMPDIR/k8s-webhook-server/serving-certs; the API server never calls it here
        # (admission webhooks are off), but the manager does not start without one.
        tmp = home / "tmp"
        certs = tmp / "k8s-webhook-server" / "serving-certs"
        certs.mkdir(parents=True, exist_ok=True)
        if not (certs / "tls.crt").exists():
            subprocess.run(
                [
                    *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30"),
                    *("-subj", "/CN=kratix-webhook.local"),
                    *("-keyout", str(certs / "tls.key"), "-out", str(certs / "tls.crt")),
                ],
                capture_output=True,
                check=True,
            )
        health = free_port()
        env.update(
            {
                "KUBECONFIG": str(self.clusters.cluster_kubeconfig(cluster)),
                "TMPDIR": str(tmp),
                # What the chart's ConfigMap hands the pod: the pipeline adapter image.
                "PIPELINE_ADAPTER_IMG": IMAGES["kratix-controller"],
                "KRATIX_WEBHOOK_HOST": "127.0.0.1",
            }
        )
        self._spawn(
            state,
            "kratix",
            [
                str(binary),
                "--metrics-bind-address=0",
                f"--health-probe-bind-address=127.0.0.1:{health}",
                "--pprof-bind-address=0",
                "--leader-elect=false",
            ],
            env,
            f"http://127.0.0.1:{health}/readyz",
        )

    # -- health, status and down ---------------------------------------------------------------

    def processes(self) -> list[Process]:
        return [Process(**p) for p in (self._state().get("processes") or {}).values()]

    @staticmethod
    def healthy(process: Process | dict) -> bool:
        url = process.health if isinstance(process, Process) else process["health"]
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def _wait(self, process: dict, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self.healthy(process):
            if time.monotonic() > deadline:
                tail = Path(process["log"]).read_text(errors="replace")[-3000:]
                raise SystemExit(
                    f"{process['name']} did not become healthy within {timeout:.0f}s; the end "
                    f"of {process['log']}:\n{tail}"
                )
            time.sleep(0.5)

    def wait_healthy(self, timeout: float = 120) -> None:
        for process in self.processes():
            self._wait(dataclasses.asdict(process), timeout)

    def status(self) -> list[tuple[str, str]]:
        report = []
        for process in self.processes():
            alive = _group_alive(process.pgid)
            state = "stopped" if not alive else "healthy" if self.healthy(process) else "starting"
            report.append((process.name, state))
        return report

    def down(self) -> None:
        """Stop every controller: its restart loop and everything in its process group."""
        groups = [p.pgid for p in self.processes()] + self._leftover_loops()
        for pgid in groups:
            _signal_group(pgid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while any(_group_alive(g) for g in groups) and time.monotonic() < deadline:
            time.sleep(0.3)
        for pgid in groups:
            _signal_group(pgid, signal.SIGKILL)
        state = self._state()
        if state:
            state["processes"] = {}
            self._save(state)

    def _leftover_loops(self) -> list[int]:
        """Process groups of controllers a lost state file no longer lists."""
        groups = set()
        for pid, _ in processes_under(str(self.workdir)):
            try:
                groups.add(os.getpgid(pid))
            except OSError:
                continue
        return sorted(groups - {os.getpgid(0)})

    # -- the object store ----------------------------------------------------------------------

    def objects(self, prefix: str = "") -> list[str]:
        """Every object key in the store's buckets under `prefix`, as `bucket/key`."""
        store = self.store()
        if store is None:
            raise SystemExit(
                f"no object store runs for {self.clusters.stack}: "
                f"scripts/local-cluster up {self.clusters.stack} --controllers"
            )
        client = _client(store, root=False)
        keys = []
        for bucket in store.buckets:
            for item in client.list_objects(bucket, prefix=prefix or None, recursive=True):
                keys.append(f"{bucket}/{item.object_name}")
        return keys


def prepare_store(store: StoreAccess) -> None:
    """The buckets, versioned (an overwritten document can be recovered), and the one user
    Kratix and Flux sign in as, allowed to read and write objects (not to administer)."""
    from minio.commonconfig import ENABLED
    from minio.credentials import StaticProvider
    from minio.minioadmin import MinioAdmin
    from minio.versioningconfig import VersioningConfig

    client = _client(store, root=True)
    for bucket in store.buckets:
        if not client.bucket_exists(bucket):
            client.make_bucket(bucket)
        client.set_bucket_versioning(bucket, VersioningConfig(ENABLED))
    admin = MinioAdmin(
        endpoint=store.endpoint,
        credentials=StaticProvider(store.root_user, store.root_password),
        secure=False,
    )
    admin.user_add(store.access_key_id, store.secret_access_key)
    admin.attach_policy(["readwrite"], user=store.access_key_id)


def _client(store: StoreAccess, root: bool):
    from minio import Minio

    if root:
        return Minio(
            store.endpoint,
            access_key=store.root_user,
            secret_key=store.root_password,
            secure=False,
        )
    return Minio(
        store.endpoint,
        access_key=store.access_key_id,
        secret_key=store.secret_access_key,
        secure=False,
    )


def store_client(store: StoreAccess):
    """An S3 client signed in as Kratix's user (what Kratix and Flux read and write as)."""
    return _client(store, root=False)


def stack_store_config(config: dict, store: StoreAccess) -> dict[str, str]:
    """Point every bucket state store of a stack's `config` at the local object store, as an
    external bucket with access keys; returns the secret config paths to set (the credentials,
    which the stack turns into the Secret each BucketStateStore names)."""
    secret_paths = {}
    for spec in config.get("idp:stateStores") or []:
        if spec.get("kind") != "bucket":
            continue
        bucket = spec.get("bucket") or {}
        spec["bucket"] = {
            "endpoint": store.endpoint,
            "bucketName": bucket.get("bucketName", "kratix"),
            "insecure": True,
            "authMethod": "accessKey",
            "versioning": True,
        }
        name = spec["name"]
        secret_paths[f"stateStoreCredentials.{name}.accessKeyID"] = store.access_key_id
        secret_paths[f"stateStoreCredentials.{name}.secretAccessKey"] = store.secret_access_key
    return secret_paths


def processes_under(marker: str) -> list[tuple[int, str]]:
    """(pid, command line) of every process whose command line or environment names `marker`
    (a controller's kubeconfig is in its environment, its restart loop's name on its line)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            environ = (proc / "environ").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline or marker in environ:
            found.append((int(proc.name), cmdline))
    return found


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except OSError:
        return False


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except OSError:
        pass
