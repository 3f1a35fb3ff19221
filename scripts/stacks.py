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
import json
import os
import socket
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import yaml
from pulumi import automation as auto

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from components.charts import CRD_TYPE  # noqa: E402
from components.config import ClusterTarget, ambient_kubeconfigs  # noqa: E402
from components.configschema import ConfigError  # noqa: E402
from components.crd_stack import (  # noqa: E402
    CRD_PROJECT_DIR,
    PlannedChart,
    chart_versions,
    load_platform_config,
    plan_charts,
    plan_fingerprint,
)

# The Kubernetes provider's switch for server-side apply conflicts (pulumi-kubernetes v4).
FORCE_CONFLICTS = "PULUMI_K8S_ENABLE_PATCH_FORCE"

# (stack, command, wall seconds, exit code) of every stack command run in this process.
STEP_TIMES: list[tuple[str, str, float, int]] = []


class StacksError(Exception):
    """A step of the command failed; the message says which stack and what to do."""


class CrdsBehind(StacksError):
    """The CRD stack was applied, at other charts than the platform's."""


class CrdsMissing(StacksError):
    """The CRD stack was never applied."""


class PendingOperations(StacksError):
    """An interrupted run left operations pending in a stack's state (docs/operations.md)."""


class StackLocked(StacksError):
    """Another run holds the stack's lock, or a killed one left it behind."""


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
        except auto.errors.CommandError as error:
            code = 1
            text = str(error)
            if isinstance(error, auto.errors.ConcurrentUpdateError) or "currently locked" in text:
                raise StackLocked(
                    f"{label} stack '{self.stack}' is locked: another run is updating it, or a "
                    f"run that was killed left its lock behind. Wait for the other run; if none "
                    f"is running, clear the lock with `pulumi cancel --yes --stack {self.stack}` "
                    f"in {self._dir(label)} and run this again (docs/operations.md). The "
                    f"backend said:\n{_tail(error, 6)}"
                ) from None
            known = self.explain(label, text)
            if known:
                raise StacksError(f"{known}\nThe engine said:\n{_tail(error, 4)}") from None
            raise StacksError(
                f"{label} stack '{self.stack}': `pulumi {command}` failed:\n{_tail(error)}"
            ) from None
        finally:
            seconds = time.monotonic() - start
            STEP_TIMES.append((f"{self.stack} ({label})", command, seconds, code))
            print(f"pulumi {command} ({self.stack}, {label}): {seconds:.0f}s", file=sys.stderr)

    # -----------------------------------------------------------------------------------------

    def _outputs(self, crds: auto.Stack) -> dict:
        return self._run("CRD", "stack output", crds.outputs)  # type: ignore[return-value]

    def state_file(self, label: str) -> str:
        """Where a file backend keeps the stack (docs/operations.md), for the messages."""
        backend = self.env.get("PULUMI_BACKEND_URL", "")
        project = "idp-crds" if label == "CRD" else "idp"
        if backend.startswith("file://"):
            return f"{backend.removeprefix('file://')}/.pulumi/stacks/{project}/{self.stack}.json"
        return f"the backend's copy of {project}/{self.stack}"

    def explain(self, label: str, text: str) -> str | None:
        """One paragraph for the engine errors a user can fix: what is wrong and the fix."""
        where = f"{label} stack '{self.stack}'"
        if "incorrect passphrase" in text:
            return (
                f"{where}: PULUMI_CONFIG_PASSPHRASE is not the passphrase this stack's secrets "
                f"were set with (the encryptionsalt in {self._dir(label)}/Pulumi.{self.stack}"
                ".yaml). Set the right one, or PULUMI_CONFIG_PASSPHRASE_FILE to a file holding "
                "it. Nothing was read from the clusters or applied."
            )
        if any(
            mark in text
            for mark in ("failed to load checkpoint", "snapshot integrity error", "deserializ")
        ) or ("panic:" in text and "snapshot" in text.lower()):
            state = self.state_file(label)
            return (
                f"{where}: its state ({state}) is damaged (truncated or edited by hand) and "
                f"cannot be read. Nothing was applied and the file was left as it is. Restore "
                f"the previous version the backend keeps beside it (`cp {state}.bak {state}`) "
                f"or your own backup, or repair it (`pulumi state repair`; `pulumi stack "
                f"export` / `import` for a fix by hand), then `pulumi refresh` to read the "
                f"clusters again (docs/operations.md)."
            )
        if any(
            mark in text
            for mark in ("connection refused", "no such host", "i/o timeout", "unreachable")
        ):
            return (
                f"{where}: a cluster it applies to does not answer (the first lines below name "
                f"it). Check that the cluster is up and that its kubeconfig context points at "
                f"it (`kubectl --context <context> get --raw /readyz`); nothing more was applied "
                f"and a re-run carries on from where this one stopped."
            )
        return None

    def check_inputs(self) -> None:
        """Before either stack runs: the platform stack's config (the model the program
        validates with: every problem at once, each with its key), then every cluster it
        applies to answering at the address its kubeconfig gives. Nothing runs otherwise."""
        try:
            config = load_platform_config(self.project_dir, self.stack)
        except ConfigError as error:
            raise StacksError(
                f"platform stack '{self.stack}' (Pulumi.{self.stack}.yaml): {error}\n"
                "Nothing was run."
            ) from None
        except FileNotFoundError as error:
            raise StacksError(str(error)) from None
        silent = []
        for cluster in config.clusters:
            if cluster.target.mode != "kubeconfig":
                continue
            server = kubeconfig_server(cluster.target)
            if server is None:
                continue  # the config check has said what is missing, or the provider will
            problem = unanswered(server)
            if problem:
                silent.append(
                    f"cluster '{cluster.name}' (context {cluster.target.context or 'current'}, "
                    f"{server}): {problem}"
                )
        if silent:
            raise StacksError(
                f"platform stack '{self.stack}': a cluster it applies to does not answer:\n  "
                + "\n  ".join(silent)
                + "\nCheck that the cluster is up and that its kubeconfig context points at it "
                "(`kubectl --context <context> get --raw /readyz`). Nothing was run."
            )

    def _dir(self, label: str) -> Path:
        return self.project_dir / CRD_PROJECT_DIR if label == "CRD" else self.project_dir

    def hand_over_crds(self, platform: auto.Stack) -> None:
        """A platform stack applied before the CRD stack existed holds its charts' CRDs in its
        own state; its `up` would now delete them (and with them every object of their
        kinds). The CRD stack has just applied the same CRDs (server-side apply shares them),
        so the platform stack forgets its copies first: they stay in the clusters."""
        exported = self._run("platform", "stack export", platform.export_stack)
        version = getattr(exported, "version", None)
        deployment = dict(getattr(exported, "deployment", None) or {})
        resources = deployment.get("resources") or []
        handed = {r["urn"] for r in resources if r.get("type") == CRD_TYPE}
        if not handed:
            return
        print(
            f"platform stack '{self.stack}': handing {len(handed)} CRDs over to the CRD stack "
            "(they stay in the clusters; the platform stack's state forgets them)",
            file=sys.stderr,
        )
        kept = []
        for resource in resources:
            if resource["urn"] in handed:
                continue
            resource = dict(resource)
            if resource.get("dependencies"):
                resource["dependencies"] = [u for u in resource["dependencies"] if u not in handed]
            if resource.get("propertyDependencies"):
                resource["propertyDependencies"] = {
                    key: [u for u in urns if u not in handed]
                    for key, urns in resource["propertyDependencies"].items()
                }
            if resource.get("deletedWith") in handed:
                resource.pop("deletedWith")
            kept.append(resource)
        deployment["resources"] = kept
        self._run(
            "platform",
            "stack import",
            lambda: platform.import_stack(auto.Deployment(version=version, deployment=deployment)),
        )

    def lock_holders(self, label: str) -> list[dict[str, Any]]:
        """The locks a file backend holds for the stack (`pid`, `username`, `hostname`,
        `timestamp`, and `running`: whether that process is alive, when it is on this host)."""
        backend = self.env.get("PULUMI_BACKEND_URL", "")
        if not backend.startswith("file://"):
            return []  # Pulumi Cloud and buckets: the engine's own refusal says who holds it
        project = "idp-crds" if label == "CRD" else "idp"
        locks = Path(backend.removeprefix("file://")) / ".pulumi" / "locks"
        holders = []
        for path in sorted(locks.glob(f"**/{project}/{self.stack}/*.json")):
            try:
                holder = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            holder["running"] = holder.get("hostname") != socket.gethostname() or _alive(
                int(holder.get("pid") or 0)
            )
            holders.append(holder)
        return holders

    def refuse_if_locked(self, label: str) -> None:
        """Refuse at once a stack another run holds, naming it, or one a killed run left
        locked, with the command that clears the lock."""
        holders = self.lock_holders(label)
        if not holders:
            return
        who = "; ".join(
            f"pid {h.get('pid')} of {h.get('username')}@{h.get('hostname')} since "
            f"{h.get('timestamp')}" + ("" if h["running"] else " (no longer running)")
            for h in holders
        )
        if any(h["running"] for h in holders):
            raise StackLocked(
                f"{label} stack '{self.stack}' is being updated by another run ({who}): wait "
                "for it to end. Two runs of one stack never go at once (docs/operations.md)."
            )
        raise StackLocked(
            f"{label} stack '{self.stack}' is locked by a run that was killed ({who}). Clear "
            f"the lock with `pulumi cancel --yes --stack {self.stack}` in {self._dir(label)}, "
            "then run this again (docs/operations.md)."
        )

    def settle_pending(self, label: str, stack: auto.Stack, clear: bool) -> None:
        """Refuse a stack an interrupted run left with pending operations, or, with `clear`,
        read the clusters again and forget its pending creates (docs/operations.md). A stack
        another run holds is refused first (its running update has operations pending too)."""
        self.refuse_if_locked(label)
        exported = self._run(label, "stack export", stack.export_stack)
        deployment = getattr(exported, "deployment", None) or {}
        pending = deployment.get("pending_operations") or []
        if not pending:
            return
        listed = "\n".join(
            f"  {op.get('type')}: {(op.get('resource') or {}).get('urn')}" for op in pending[:10]
        ) + (f"\n  ... and {len(pending) - 10} more" if len(pending) > 10 else "")
        if not clear:
            raise PendingOperations(
                f"{label} stack '{self.stack}' has {len(pending)} operation(s) left pending by "
                f"a run that was interrupted while they were in flight:\n{listed}\n"
                f"Their objects may or may not be in the clusters. `scripts/up {self.stack} "
                f"--clear-pending` reads the clusters again and forgets the pending creates "
                f"(`pulumi refresh --clear-pending-creates`), then applies: server-side apply "
                f"takes over an object that exists and creates one that does not "
                f"(docs/operations.md)."
            )
        print(
            f"{label} stack '{self.stack}': clearing {len(pending)} pending operation(s) "
            "(refresh --clear-pending-creates)",
            file=sys.stderr,
        )
        self._run(
            label,
            "refresh --clear-pending-creates",
            lambda: stack.refresh(
                on_output=self.on_output, color="never", clear_pending_creates=True
            ),
        )
        # The objects whose create was in flight were applied by the killed run under another
        # field manager name (the provider draws one per resource), so applying them again
        # conflicts on every field the program sets. This stack's next `up` takes those
        # fields over: the program's values, as it declares them.
        stack.workspace.env_vars = {**stack.workspace.env_vars, FORCE_CONFLICTS: "true"}

    def up(
        self, *, crds_only: bool = False, clear_pending: bool = False, force_crds: bool = False
    ) -> str:
        """The CRD stack's up, then the platform's with the packs; the platform's output.
        The CRD stack's up is left out when it last applied exactly what it would apply now
        (same charts, values and options: its `plan` output), unless `force_crds` or
        `crds_only`. A stack with pending operations is refused, or cleared first with
        `clear_pending`."""
        output = ""
        self.check_inputs()
        for label in ("CRD", "platform") if self.crds_apart else ("platform",):
            self.refuse_if_locked(label)
        if self.crds_apart:
            crds = self.crd_stack()
            self.settle_pending("CRD", crds, clear_pending)
            plan: list[PlannedChart] | None = None
            wanted = None
            try:
                plan = plan_charts(self.project_dir, self.stack)
                wanted = plan_fingerprint(plan, load_platform_config(self.project_dir, self.stack))
            except (ConfigError, FileNotFoundError, RuntimeError):
                pass  # the CRD stack's own run below says what is wrong, as `pulumi up` would
            applied = self._outputs(crds).get("plan")
            current = wanted is not None and applied is not None and applied.value == wanted
            if current and not (force_crds or crds_only):
                print(
                    f"CRD stack '{self.stack}': current (it applied these charts, values and "
                    f"options last: plan {wanted}), not run; `scripts/up {self.stack} --crds` "
                    "applies it anyway",
                    file=sys.stderr,
                )
            else:
                self._run("CRD", "up", lambda: crds.up(on_output=self.on_output, color="never"))
            self.require_current_crds(crds, plan)
        if crds_only:
            return output
        platform = self.platform_stack()
        self.settle_pending("platform", platform, clear_pending)
        if self.crds_apart:
            self.hand_over_crds(platform)
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
        self.check_inputs()
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
        self.check_inputs()
        for label in ("platform", "CRD") if self.crds_apart else ("platform",):
            self.refuse_if_locked(label)
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

    def require_current_crds(
        self, crds: auto.Stack, plan: list[PlannedChart] | None = None
    ) -> None:
        """Refuse the platform stack when its CRD stack is missing or older than its charts."""
        applied = self._outputs(crds).get("charts")
        wanted = chart_versions(plan or plan_charts(self.project_dir, self.stack))
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


def kubeconfig_server(target: ClusterTarget) -> str | None:
    """The API server URL of the target's context (its kubeconfig's current one without a
    context), or None when the kubeconfig cannot say."""
    given = target.kubeconfig
    if given and ("\n" in given or given.lstrip().startswith(("apiVersion", "{"))):
        texts = [given]
    else:
        paths = [Path(given).expanduser()] if given else ambient_kubeconfigs()
        texts = [p.read_text(errors="replace") for p in paths if p.is_file()]
    contexts: dict[Any, Any] = {}
    clusters: dict[Any, Any] = {}
    current = None
    for text in texts:
        try:
            document = yaml.safe_load(text) or {}
        except yaml.YAMLError:
            return None
        if not isinstance(document, dict):
            return None
        current = current or document.get("current-context")
        for entry in document.get("contexts") or []:
            contexts.setdefault(entry.get("name"), entry.get("context") or {})
        for entry in document.get("clusters") or []:
            clusters.setdefault(entry.get("name"), entry.get("cluster") or {})
    context = contexts.get(target.context or current) or {}
    server = (clusters.get(context.get("cluster")) or {}).get("server")
    return str(server) if server else None


def unanswered(server: str, timeout: float = 5.0) -> str | None:
    """Why nothing answers at the server's address (a TCP connection), or None."""
    parsed = urllib.parse.urlsplit(server)
    if not parsed.hostname:
        return None
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        with socket.create_connection((parsed.hostname, port), timeout=timeout):
            return None
    except OSError as error:
        return error.strerror or str(error)


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _tail(error: Exception, lines: int = 30) -> str:
    """The engine's diagnostics (the errors, each with its resource) when it printed them,
    else the last lines of its output."""
    text = str(error).strip()
    if "Diagnostics:" in text:
        section = text[text.index("Diagnostics:") :]
        for end in ("\nOutputs:", "\nResources:"):
            if end in section:
                section = section[: section.index(end)]
        return "\n".join(section.strip().splitlines()[: max(lines, 40)])
    return "\n".join(text.splitlines()[-lines:])
