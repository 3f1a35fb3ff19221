"""Run the real Pulumi engine against this project without a Pulumi Cloud account.

Used by `scripts/preview`, `bench/` and the engine tests. A workspace is a throw-away copy of
the project with its own local backend and plugin cache, whose stack takes charts from a local
chart mirror (the real upstream charts, unpacked) and applies to local clusters
(scripts/local_cluster.py) or renders every cluster to files.

    python scripts/engine_workspace.py preview dev            # local clusters, mirrored charts
    python scripts/engine_workspace.py preview dev --render   # render to files, no cluster
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))  # its sibling, also when imported
import local_cluster  # noqa: E402
import local_controllers  # noqa: E402
import stacks  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
PROJECT_FILES = ("Pulumi.yaml", "__main__.py", "requirements.txt")
SHARED_CHARTS = REPO.parent / "shared" / "charts"
PROJECT_DIRS = ("components", "crds", "policies", "promises")
POLICY_PACKS = ("kratix", "platform")
# The engine settings docs/performance.md recommends, as KEY=VALUE lines (a user sources it).
FAST_PATH_ENV = REPO / "scripts" / "fast-path.env"


def bootstrap() -> Path:
    """The engine's bin directory (built or reused by scripts/engine-bootstrap.sh)."""
    return local_cluster.run_bootstrap("engine-bootstrap.sh", "engine")


def engine_env(
    engine_bin: Path,
    state_dir: Path | None = None,
    pulumi_home: Path | None = None,
    keep_kubeconfig: bool = False,
) -> dict:
    """Environment for offline runs: no downloads, no update checks, a local backend."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join(
        [str(engine_bin), str(Path(sys.executable).parent), env.get("PATH", "")]
    )
    env.update(
        {
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_PYTHON_CMD": sys.executable,
        }
    )
    for key, value in fast_path_env().items():
        env.setdefault(key, value)
    if pulumi_home is not None:
        env["PULUMI_HOME"] = str(pulumi_home)
        if env.get("IDP_PULUMI_LOGS") != "keep":
            no_automatic_logs(pulumi_home)
    if state_dir is not None:
        state_dir.mkdir(parents=True, exist_ok=True)
        env["PULUMI_BACKEND_URL"] = f"file://{state_dir}"
        # Local test stacks only; real stacks bring their own secrets provider.
        env.setdefault("PULUMI_CONFIG_PASSPHRASE", "offline-workspace-only")
    # A workspace names its kubeconfig in the stack; render mode must not pick up a cluster.
    if not keep_kubeconfig:
        env.pop("KUBECONFIG", None)
    return env


def fast_path_env() -> dict[str, str]:
    """scripts/fast-path.env: KEY=VALUE lines, comments and blank lines ignored."""
    found = {}
    for line in FAST_PATH_ENV.read_text().splitlines() if FAST_PATH_ENV.exists() else []:
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.removeprefix("export ").partition("=")
            found[key.strip()] = value.strip()
    return found


def no_automatic_logs(pulumi_home: Path) -> None:
    """Pulumi 3.259 logs every run at debug level, encrypted, into $PULUMI_HOME/logs (hundreds
    of MB per `up` of a stack with large CRDs, most of the CLI's CPU); it has no switch, and
    skips the log when that path is not a directory. Only for throw-away homes like these
    (docs/performance.md)."""
    logs = pulumi_home / "logs"
    if logs.is_dir():
        shutil.rmtree(logs)
    pulumi_home.mkdir(parents=True, exist_ok=True)
    logs.touch()


def install_plugins(engine_bin: Path, env: dict) -> None:
    """Install the bootstrapped providers into the plugin cache of `env` (no downloads, no
    "using ... from $PATH" warnings)."""
    listing = engine_bin.parent / "providers" / "plugins.txt"
    if not listing.exists():
        return  # an existing Pulumi install whose providers are on PATH
    for line in listing.read_text().splitlines():
        name, version, binary = line.split()
        subprocess.run(
            [
                "pulumi",
                "plugin",
                "install",
                "resource",
                name,
                version,
                "--file",
                str(listing.parent / binary),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )


def policy_args(root: Path, config_stack: str) -> list[str]:
    """The project's policy packs, each with its committed config for `config_stack`."""
    args = []
    for pack in POLICY_PACKS:
        args += [
            "--policy-pack",
            str(root / "policies" / pack),
            "--policy-pack-config",
            str(root / "policies" / pack / "config" / f"{config_stack}.json"),
        ]
    return args


# (stack, pulumi command, wall seconds, exit code) of every step run in this process.
STEP_TIMES: list[tuple[str, str, float, int]] = []


def step_summary(args: tuple[str, ...]) -> str:
    """The command without the policy packs' paths, marked when it ran with them."""
    kept, packs, skip = [], False, False
    for arg in args:
        if skip:
            skip = False
        elif arg in ("--policy-pack", "--policy-pack-config"):
            packs, skip = True, True
        else:
            kept.append(arg)
    return " ".join(kept) + (" [policy packs]" if packs else "")


@dataclasses.dataclass
class Workspace:
    """A project directory bound to one stack, with its own backend and plugin cache."""

    root: Path
    stack: str
    env: dict

    def pulumi(
        self,
        *args: str,
        check: bool = True,
        timeout: int = 900,
        capture: bool = True,
        input: str | None = None,
    ) -> subprocess.CompletedProcess:
        start = time.monotonic()
        result = subprocess.run(
            ["pulumi", *args, "--stack", self.stack, "--non-interactive"],
            cwd=self.root,
            env=self.env,
            capture_output=capture,
            input=input,
            text=True,
            timeout=timeout,
            check=False,
        )
        # Each step's wall time, for the report of the test run (tests/engine/conftest.py
        # prints them all at the end).
        seconds = time.monotonic() - start
        STEP_TIMES.append((self.stack, step_summary(args), seconds, result.returncode))
        print(
            f"pulumi {args[0]} ({self.stack}): {seconds:.0f}s, exit {result.returncode}",
            file=sys.stderr,
        )
        if check and result.returncode != 0:
            out = result.stdout or ""
            # The errors are under Diagnostics, before the (long) outputs and summary.
            diagnostics = out[out.find("Diagnostics:") :][:6000] if "Diagnostics:" in out else ""
            raise AssertionError(
                f"pulumi {' '.join(args)} failed ({result.returncode}):\n"
                f"{diagnostics}\n{out[-3000:]}\n{(result.stderr or '')[-4000:]}"
            )
        return result

    def policy_args(self, config_stack: str | None = None) -> list[str]:
        return policy_args(self.root, config_stack or self.stack)

    def environment(
        self, *, policies: bool = True, on_output: Callable[[str], None] | None = None
    ) -> stacks.Environment:
        """This stack and its CRD stack, as `scripts/up`, `preview` and `destroy` run them."""
        found = shutil.which("pulumi", path=self.env.get("PATH"))
        args = self.policy_args() if policies else []
        return stacks.Environment(
            self.root,
            self.stack,
            self.env,
            engine_root=Path(found).parent.parent if found else None,
            policy_packs=args[1::4],
            policy_pack_configs=args[3::4],
            on_output=on_output,
        )

    def init_stack(self) -> None:
        subprocess.run(
            ["pulumi", "stack", "select", "--create", self.stack, "--non-interactive"],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )


def chart_mirror() -> Path | None:
    """The local chart mirror: IDP_CHART_MIRROR, else ../shared/charts beside the clone (CI)."""
    given = os.environ.get("IDP_CHART_MIRROR")
    if given:
        path = Path(given).resolve()
        if not path.is_dir():
            raise SystemExit(
                f"IDP_CHART_MIRROR={given} is not a directory; fill one with "
                "scripts/mirror-charts DIR"
            )
        return path
    return SHARED_CHARTS if SHARED_CHARTS.is_dir() else None


def workspace_stack_file(
    stack: str, mirror: Path | None, kubeconfig: Path | None, source: Path = REPO
) -> dict:
    """The committed stack file (of the project at `source`) with charts from `mirror` and
    every cluster either applied through `kubeconfig` (the contexts local_cluster names) or,
    without one, rendered."""
    data = yaml.safe_load((source / f"Pulumi.{stack}.yaml").read_text())
    contexts = {c.cluster: c.context for c in local_cluster.stack_clusters(stack)}
    for cluster in data["config"]["idp:clusters"]:
        cluster["target"] = (
            {"mode": "render"}
            if kubeconfig is None
            else {
                "mode": "kubeconfig",
                "kubeconfig": str(kubeconfig),
                "context": contexts[cluster["name"]],
            }
        )
    if mirror is not None:
        data["config"]["idp:chartMirror"] = str(mirror)
    if kubeconfig is not None:
        # Local clusters give pods loopback addresses, which no Service may publish.
        data["config"]["idp:awaitServiceEndpoints"] = False
        # Kubecost checks (a `lookup`) that the federated bucket's Secret exists: an operator
        # creates it from the bucket's credentials, which local clusters have none of.
        charts = data["config"].setdefault("idp:charts", {})
        kubecost = charts.setdefault("kubecost", {}).setdefault("values", {})
        kubecost.setdefault("global", {}).setdefault("platforms", {})["cicd"] = {
            "enabled": True,
            "skipSanityChecks": True,
        }
    return data


def copy_project(
    destination: Path, extra_dirs: tuple[str, ...] = (), source: Path = REPO
) -> None:
    destination.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        shutil.copy2(source / name, destination / name)
    for name in PROJECT_DIRS + extra_dirs:
        if not (source / name).is_dir():
            continue  # an older release without it (crds/ came later)
        shutil.copytree(
            source / name,
            destination / name,
            ignore=shutil.ignore_patterns("__pycache__", "Pulumi.*.yaml"),
            dirs_exist_ok=True,
        )


def offline_workspace(
    tmp: Path,
    engine_bin: Path,
    stack: str,
    kubeconfig: Path | None = None,
    mirror: Path | None = None,
    store: local_controllers.StoreAccess | None = None,
    config: dict | None = None,
    source: Path = REPO,
) -> Workspace:
    """A throw-away copy of the project for `stack`, charts from the mirror, applying to the
    local clusters in `kubeconfig` (render mode without one). With `store` (the local
    clusters' object store, `scripts/local-cluster up --controllers`), every bucket state
    store is that store; `config` replaces top-level `idp:` keys of the stack file."""
    root = tmp / "project"
    copy_project(root, source=source)
    mirror = mirror or chart_mirror()
    if mirror is None:
        raise SystemExit(
            f"no chart mirror: set IDP_CHART_MIRROR to a folder filled by "
            f"scripts/mirror-charts (or place the charts at {SHARED_CHARTS})"
        )
    data = workspace_stack_file(stack, mirror, kubeconfig, source)
    data["config"].update({f"idp:{key}": value for key, value in (config or {}).items()})
    store_secrets = local_controllers.stack_store_config(data["config"], store) if store else {}
    (root / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    workspace = Workspace(root, stack, engine_env(engine_bin, tmp / "state", tmp / "home"))
    install_plugins(engine_bin, workspace.env)
    workspace.init_stack()
    set_test_secrets(workspace)
    for path, value in store_secrets.items():
        # On standard input: generated keys stay out of command lines and the step log.
        workspace.pulumi("config", "set", "--secret", "--path", path, input=value)
    return workspace


def set_test_secrets(workspace: "Workspace") -> None:
    """The secret config an operator sets before the first up (test stand-ins)."""
    secrets = yaml.safe_load((REPO / "tests" / "fixtures" / "stack-secrets.yaml").read_text())
    for path, value in (secrets.get(workspace.stack) or {}).items():
        workspace.pulumi("config", "set", "--secret", "--path", path, value)


def reachable_contexts(stack: str) -> bool:
    """Whether every context the stack's clusters name answers in the user's kubeconfig."""
    clusters = local_cluster.stack_clusters(stack)
    targets = yaml.safe_load((REPO / f"Pulumi.{stack}.yaml").read_text())["config"]["idp:clusters"]
    if any((t.get("target") or {}).get("mode", "render") != "kubeconfig" for t in targets):
        return False
    for cluster in clusters:
        probe = subprocess.run(
            [
                "kubectl",
                "--context",
                cluster.context,
                "get",
                "--raw",
                "/readyz",
                "--request-timeout=5s",
            ],
            capture_output=True,
            check=False,
        )
        if probe.returncode != 0:
            return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["preview", "up", "destroy"])
    parser.add_argument("stack", nargs="?", default="dev")
    parser.add_argument(
        "--render",
        action="store_true",
        help="render every cluster to files instead of previewing against "
        "clusters (charts that call `lookup` or need a newer kubeVersion "
        "cannot render)",
    )
    parser.add_argument(
        "--crds-only", action="store_true", help="up: only the CRD stack (docs/stacks.md)"
    )
    parser.add_argument(
        "--crds",
        action="store_true",
        help="up: apply the CRD stack even when it last applied the same charts and values",
    )
    parser.add_argument(
        "--clear-pending",
        action="store_true",
        help="up: first forget the operations an interrupted run left pending, after reading "
        "the clusters again (docs/operations.md)",
    )
    options = parser.parse_args()
    engine_bin = bootstrap()
    if not options.render and reachable_contexts(options.stack):
        # The user's own clusters: the committed stack as it is, charts from its sources.
        local = REPO / ".pulumi-local"
        state = None if os.environ.get("PULUMI_BACKEND_URL") else local / "state"
        workspace = Workspace(
            REPO, options.stack, engine_env(engine_bin, state, keep_kubeconfig=True)
        )
        install_plugins(engine_bin, workspace.env)
        workspace.init_stack()
        print(f"{options.command}: {options.stack} against your clusters", file=sys.stderr)
    else:
        kubeconfig = None
        clusters = local_cluster.Clusters(options.stack)
        if not options.render:
            kubeconfig = clusters.up()
            print(
                f"{options.command}: {options.stack} against local clusters ({kubeconfig}; "
                f"stop them with `scripts/local-cluster down {options.stack}`)",
                file=sys.stderr,
            )
        # Controllers started with `scripts/local-cluster up STACK --controllers` bring the
        # object store the stack's bucket stores then use.
        store = local_controllers.Controllers(clusters).store() if kubeconfig else None
        # Against local clusters the workspace (and its state) lives with them, so `up` and
        # a later `destroy` meet the same stacks; a render is thrown away.
        where = (
            clusters.workdir / "workspace"
            if kubeconfig
            else Path(tempfile.mkdtemp(prefix="idp-preview-"))
        )
        workspace = offline_workspace(where, engine_bin, options.stack, kubeconfig, store=store)
        print(f"workspace: {workspace.root} (charts from {chart_mirror()})", file=sys.stderr)
    environment = workspace.environment(on_output=print)
    try:
        if options.command == "preview":
            environment.preview(apply_missing_crds=workspace.root != REPO)
        elif options.command == "up":
            environment.up(
                crds_only=options.crds_only,
                clear_pending=options.clear_pending,
                force_crds=options.crds,
            )
        else:
            environment.destroy()
    except stacks.StacksError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
