"""An environment's two stacks, run in order by one command (docs/stacks.md):

    scripts/up STACK        the CRD stack (crds/), then the platform stack, with the policy packs
    scripts/preview STACK   both previews, the CRD stack's first
    scripts/destroy STACK   the platform stack first, the CRD stack last (prod keeps its CRDs)

Built on the Automation API (`pulumi.automation`): each stack is the project's own program on
disk, so `pulumi up` in either directory still works alone. Stacks are selected, or created,
by the same name in both projects; the backend and secrets provider are the user's.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path
from typing import Callable, Mapping, Sequence

import yaml
from pulumi import automation as auto

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from components.crd_stack import CRD_PROJECT_DIR, chart_versions, plan_charts  # noqa: E402

# (stack, command, wall seconds, exit code) of every stack command run in this process.
STEP_TIMES: list[tuple[str, str, float, int]] = []


class StacksError(Exception):
    """A step of the command failed; the message says which stack and what to do."""


class CrdsBehind(StacksError):
    """The CRD stack was applied, at other charts than the platform's."""


class CrdsMissing(StacksError):
    """The CRD stack was never applied."""


@dataclasses.dataclass
class Environment:
    """One environment's CRD stack and platform stack, of the project in `project_dir`."""

    project_dir: Path
    stack: str
    env: Mapping[str, str]
    engine_root: Path | None = None
    """Where `bin/pulumi` is (scripts/engine-bootstrap.sh); None: `pulumi` on PATH."""
    policy_packs: Sequence[str] = ()
    policy_pack_configs: Sequence[str] = ()
    on_output: Callable[[str], None] | None = print

    @property
    def crds_apart(self) -> bool:
        """`idp:crdStack` of the platform stack file (default true)."""
        path = self.project_dir / f"Pulumi.{self.stack}.yaml"
        config = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
        return str(config.get("idp:crdStack", True)).lower() != "false"

    def _select(self, work_dir: Path) -> auto.Stack:
        command = auto.PulumiCommand(
            root=str(self.engine_root) if self.engine_root else None, skip_version_check=True
        )
        options = auto.LocalWorkspaceOptions(
            env_vars=dict(self.env), pulumi_command=command, pulumi_home=self.env.get("PULUMI_HOME")
        )
        return auto.create_or_select_stack(self.stack, work_dir=str(work_dir), opts=options)

    def crd_stack(self) -> auto.Stack:
        return self._select(self.project_dir / CRD_PROJECT_DIR)

    def platform_stack(self) -> auto.Stack:
        return self._select(self.project_dir)

    def _run(self, label: str, command: str, step: Callable[[], object]) -> object:
        start = time.monotonic()
        code = 0
        try:
            return step()
        except auto.errors.ConcurrentUpdateError as error:
            code = 1
            raise StacksError(
                f"{label} stack '{self.stack}' is being updated by another run (the backend's "
                f"lock is held). Wait for it, or, if that run was killed, clear the lock with "
                f"`pulumi cancel --stack {self.stack}` (Pulumi Cloud) or by removing the lock "
                f"file named in this message (a file backend):\n{_tail(error)}"
            ) from None
        except auto.errors.CommandError as error:
            code = 1
            raise StacksError(
                f"{label} stack '{self.stack}': `pulumi {command}` failed:\n{_tail(error)}"
            ) from None
        finally:
            seconds = time.monotonic() - start
            STEP_TIMES.append((f"{self.stack} ({label})", command, seconds, code))
            print(f"pulumi {command} ({self.stack}, {label}): {seconds:.0f}s", file=sys.stderr)

    # -----------------------------------------------------------------------------------------

    def up(self, *, crds_only: bool = False) -> str:
        """The CRD stack's up, then the platform's with the packs; the platform's output."""
        output = ""
        if self.crds_apart:
            crds = self.crd_stack()
            self._run("CRD", "up", lambda: crds.up(on_output=self.on_output, color="never"))
            self.require_current_crds(crds)
        if crds_only:
            return output
        platform = self.platform_stack()
        result = self._run(
            "platform",
            "up",
            lambda: platform.up(
                on_output=self.on_output,
                color="never",
                policy_packs=list(self.policy_packs),
                policy_pack_configs=list(self.policy_pack_configs),
            ),
        )
        return getattr(result, "stdout", output)

    def preview(self, *, diff: bool = True, apply_missing_crds: bool = False) -> str:
        """Both previews. The platform's reads its kinds from the clusters, so it needs the
        CRD stack applied once (render mode excepted): refused until then, or, with
        `apply_missing_crds` (throw-away local clusters), applied first. When the CRD stack has
        changes still to apply, the platform's preview is against the CRDs the clusters hold."""
        if self.crds_apart:
            crds = self.crd_stack()
            self._run(
                "CRD",
                "preview",
                lambda: crds.preview(on_output=self.on_output, diff=diff, color="never"),
            )
            if not self.renders_only:
                try:
                    self.require_current_crds(crds)
                except CrdsBehind as behind:
                    print(
                        f"note: {behind}; the platform's preview below is against the CRDs "
                        "the clusters hold now",
                        file=sys.stderr,
                    )
                except CrdsMissing:
                    if not apply_missing_crds:
                        raise
                    print(
                        "note: applying the CRD stack to these local clusters first (the "
                        "platform's preview reads its kinds from them)",
                        file=sys.stderr,
                    )
                    self._run("CRD", "up", lambda: crds.up(on_output=self.on_output, color="never"))
        platform = self.platform_stack()
        result = self._run(
            "platform",
            "preview",
            lambda: platform.preview(
                on_output=self.on_output,
                diff=diff,
                color="never",
                policy_packs=list(self.policy_packs),
                policy_pack_configs=list(self.policy_pack_configs),
            ),
        )
        return getattr(result, "stdout", "")

    def destroy(self) -> None:
        """The platform stack first, its CRDs last (prod's stay in the clusters: retained)."""
        platform = self.platform_stack()
        self._run(
            "platform", "destroy", lambda: platform.destroy(on_output=self.on_output, color="never")
        )
        if self.crds_apart:
            crds = self.crd_stack()
            self._run(
                "CRD", "destroy", lambda: crds.destroy(on_output=self.on_output, color="never")
            )

    # -----------------------------------------------------------------------------------------

    def require_current_crds(self, crds: auto.Stack) -> None:
        """Refuse the platform stack when its CRD stack is missing or older than its charts."""
        applied = crds.outputs().get("charts")
        wanted = chart_versions(plan_charts(self.project_dir, self.stack))
        found = applied.value if applied is not None else None
        if found == wanted:
            return
        command = f"scripts/up {self.stack} --crds-only"
        if not found:
            raise CrdsMissing(
                f"the CRD stack '{self.stack}' has not been applied: the platform stack's kinds "
                f"are not in its clusters yet. Run `{command}` (or `scripts/up {self.stack}`)."
            )
        stale = sorted(
            f"{cluster}/{release}: {found.get(cluster, {}).get(release, 'missing')} -> {identity}"
            for cluster, releases in wanted.items()
            for release, identity in releases.items()
            if found.get(cluster, {}).get(release) != identity
        )
        raise CrdsBehind(
            f"the CRD stack '{self.stack}' is older than the platform's charts "
            f"({'; '.join(stale) or 'charts removed'}); apply it first: `{command}`"
        )

    @property
    def renders_only(self) -> bool:
        """Every cluster of the stack renders to files (nothing to read kinds from)."""
        path = self.project_dir / f"Pulumi.{self.stack}.yaml"
        clusters = ((yaml.safe_load(path.read_text()) or {}).get("config") or {}).get(
            "idp:clusters"
        ) or []
        return all((c.get("target") or {}).get("mode", "render") == "render" for c in clusters)


def _tail(error: Exception, lines: int = 30) -> str:
    text = str(error).strip().splitlines()
    return "\n".join(text[-lines:])
