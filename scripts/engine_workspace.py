"""Run the real Pulumi engine against this project without a cluster or a Pulumi Cloud account.

Used by `scripts/preview` and by the engine tests. An offline workspace is a throw-away copy of
the project whose stack renders every cluster to files and takes charts from the fixture mirror
(test fixtures, not the real charts), with its own local backend and plugin cache.

    python scripts/engine_workspace.py preview dev            # the stack as committed
    python scripts/engine_workspace.py preview dev --offline  # a throw-away offline copy
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
PROJECT_FILES = ("Pulumi.yaml", "__main__.py", "requirements.txt")
PROJECT_DIRS = ("components", "policies", "promises")
POLICY_PACKS = ("kratix", "platform")


def bootstrap() -> Path:
    """The engine's bin directory (built or reused by scripts/engine-bootstrap.sh)."""
    result = subprocess.run(["bash", str(REPO / "scripts" / "engine-bootstrap.sh"), str(REPO)],
                            stdout=subprocess.PIPE, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit("engine bootstrap failed (its messages are above)")
    return Path(result.stdout.strip().splitlines()[-1])


def engine_env(engine_bin: Path, state_dir: Path | None = None,
               pulumi_home: Path | None = None) -> dict:
    """Environment for offline runs: no downloads, no update checks, a local backend."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(engine_bin), str(Path(sys.executable).parent),
                                   env.get("PATH", "")])
    env.update({"PULUMI_SKIP_UPDATE_CHECK": "true",
                "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
                "PULUMI_PYTHON_CMD": sys.executable})
    if pulumi_home is not None:
        env["PULUMI_HOME"] = str(pulumi_home)
    if state_dir is not None:
        state_dir.mkdir(parents=True, exist_ok=True)
        env["PULUMI_BACKEND_URL"] = f"file://{state_dir}"
        # Local test stacks only; real stacks bring their own secrets provider.
        env.setdefault("PULUMI_CONFIG_PASSPHRASE", "offline-workspace-only")
    # Render mode must not pick up a real cluster.
    env.pop("KUBECONFIG", None)
    return env


def install_plugins(engine_bin: Path, env: dict) -> None:
    """Install the bootstrapped providers into the plugin cache of `env` (no downloads, no
    "using ... from $PATH" warnings)."""
    listing = engine_bin.parent / "providers" / "plugins.txt"
    if not listing.exists():
        return  # an existing Pulumi install whose providers are on PATH
    for line in listing.read_text().splitlines():
        name, version, binary = line.split()
        subprocess.run(["pulumi", "plugin", "install", "resource", name, version, "--file",
                        str(listing.parent / binary)], env=env, capture_output=True, text=True,
                       check=True)


def policy_args(root: Path, config_stack: str) -> list[str]:
    """The project's policy packs, each with its committed config for `config_stack`."""
    args = []
    for pack in POLICY_PACKS:
        args += ["--policy-pack", str(root / "policies" / pack),
                 "--policy-pack-config",
                 str(root / "policies" / pack / "config" / f"{config_stack}.json")]
    return args


@dataclasses.dataclass
class Workspace:
    """A project directory bound to one stack, with its own backend and plugin cache."""

    root: Path
    stack: str
    env: dict

    def pulumi(self, *args: str, check: bool = True, timeout: int = 900,
               capture: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(["pulumi", *args, "--stack", self.stack, "--non-interactive"],
                                cwd=self.root, env=self.env, capture_output=capture, text=True,
                                timeout=timeout, check=False)
        if check and result.returncode != 0:
            raise AssertionError(f"pulumi {' '.join(args)} failed ({result.returncode}):\n"
                                 f"{(result.stdout or '')[-6000:]}\n{(result.stderr or '')[-4000:]}")
        return result

    def policy_args(self, config_stack: str | None = None) -> list[str]:
        return policy_args(self.root, config_stack or self.stack)

    def init_stack(self) -> None:
        subprocess.run(["pulumi", "stack", "select", "--create", self.stack,
                        "--non-interactive"], cwd=self.root, env=self.env,
                       capture_output=True, text=True, check=True)


def offline_stack_file(stack: str, mirror: Path) -> dict:
    """The committed stack file with every cluster rendered and charts from `mirror`."""
    data = yaml.safe_load((REPO / f"Pulumi.{stack}.yaml").read_text())
    for cluster in data["config"]["idp:clusters"]:
        cluster["target"] = {"mode": "render"}
    data["config"]["idp:chartMirror"] = str(mirror)
    return data


def copy_project(destination: Path, extra_dirs: tuple[str, ...] = ()) -> None:
    destination.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        shutil.copy2(REPO / name, destination / name)
    for name in PROJECT_DIRS + extra_dirs:
        shutil.copytree(REPO / name, destination / name,
                        ignore=shutil.ignore_patterns("__pycache__"))


def offline_workspace(tmp: Path, engine_bin: Path, stack: str) -> Workspace:
    """A throw-away copy of the project for `stack`: render mode, fixture chart mirror."""
    root = tmp / "project"
    copy_project(root)
    mirror = root / "chart-mirror"
    shutil.copytree(REPO / "tests" / "fixtures" / "charts", mirror)
    (root / f"Pulumi.{stack}.yaml").write_text(
        yaml.safe_dump(offline_stack_file(stack, mirror), sort_keys=False))
    workspace = Workspace(root, stack, engine_env(engine_bin, tmp / "state", tmp / "home"))
    install_plugins(engine_bin, workspace.env)
    workspace.init_stack()
    return workspace


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["preview"])
    parser.add_argument("stack", nargs="?", default="dev")
    parser.add_argument("--offline", action="store_true",
                        help="preview a throw-away copy that renders to files and takes charts "
                             "from the test fixture mirror")
    options, extra = parser.parse_known_args()
    engine_bin = bootstrap()
    if options.offline:
        workspace = offline_workspace(Path(tempfile.mkdtemp(prefix="idp-offline-")),
                                      engine_bin, options.stack)
        print(f"offline workspace: {workspace.root} (fixture charts, render mode)")
    else:
        local = REPO / ".pulumi-local"
        state = None if os.environ.get("PULUMI_BACKEND_URL") else local / "state"
        workspace = Workspace(REPO, options.stack, engine_env(engine_bin, state))
        install_plugins(engine_bin, workspace.env)
        workspace.init_stack()
    result = workspace.pulumi("preview", "--diff", *workspace.policy_args(), *extra,
                              check=False, capture=False)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
