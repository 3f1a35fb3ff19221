"""The CRD stack (`crds/`): every CustomResourceDefinition the platform stack's charts install,
applied per cluster before that stack, in a state of its own (docs/stacks.md).

Which charts a cluster gets, with which values, is decided by the layers as they register; this
module does not repeat those rules. It evaluates the platform program under Pulumi's mocks (no
engine, no cluster: `python -m components.crd_stack`, a fresh interpreter), keeps each
`helm.v4.Chart` it registers (cluster, release, namespace, chart, version, values), and the CRD
stack installs each of those charts again with only its CRDs (components/chart_order.py
`--crds=only`), while the platform stack installs them `--crds=without`. Same chart, same
values, same release name and namespace: the same CRDs, whatever a layer decides.

Not a layer: the kernel beside `compose`, imported by `crds/__main__.py` and the commands.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any, Mapping

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components import charts, naming
from components.clusters import render_directory
from components.config import Cluster, StackConfig
from components.configschema import NAMESPACE

CHART_TYPE = "kubernetes:helm.sh/v4:Chart"
CRD_SET_TYPE = "idp:platform:CrdSet"
REVIEW_TITLE = "CRDs"
"""The CRD stack's row in the review's table (review/layers.py), before the layers'."""
# Where the CRD stack's program runs (Helm runs the post-renderer from there).
CRD_PROJECT_DIR = "crds"
POST_RENDERER_FROM_CRD_PROJECT = f"../{charts.ORDER_POST_RENDERER}"
# A secret value in a stack file: `pulumi config set --secret` writes `{secure: <ciphertext>}`.
SECURE_KEY = "secure"
SECRET_STAND_IN = "secret"


@dataclasses.dataclass(frozen=True)
class PlannedChart:
    """One chart the platform stack installs, as the CRD stack installs it again."""

    cluster: str
    release: str
    """The platform's resource name for the chart: its Helm release name too."""
    namespace: str
    chart: str
    version: str | None
    repository: str | None
    values: Mapping[str, Any]

    @property
    def identity(self) -> str:
        return f"{Path(self.chart).name}@{self.version or 'local'}"


# ---------------------------------------------------------------------------------------------
# The platform stack's config, read from its stack file


def platform_stack_file(project_dir: Path, stack: str) -> Path:
    return project_dir / f"Pulumi.{stack}.yaml"


def read_platform_config(project_dir: Path, stack: str) -> tuple[dict[str, Any], frozenset[str]]:
    """The platform stack's `idp:*` values from its stack file and which of them hold secrets.

    The CRD stack reads no secret: each secret value is replaced by a stand-in (the CRDs a chart
    renders do not depend on a password), and its key stays marked secret for validation.
    """
    path = platform_stack_file(project_dir, stack)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} does not exist: the CRD stack '{stack}' installs the CRDs of the platform "
            f"stack of the same name; create it first (`pulumi stack init {stack}` in "
            f"{project_dir}) or run `scripts/up {stack}`"
        )
    data = yaml.safe_load(path.read_text()) or {}
    raw: dict[str, Any] = {}
    secret_keys: set[str] = set()
    prefix = f"{NAMESPACE}:"
    for key, value in (data.get("config") or {}).items():
        if not key.startswith(prefix):
            continue
        stripped, had_secret = _without_secrets(value)
        raw[key[len(prefix) :]] = stripped
        if had_secret:
            secret_keys.add(key)
    return raw, frozenset(secret_keys)


def _without_secrets(value: Any) -> tuple[Any, bool]:
    if isinstance(value, Mapping):
        if set(value) == {SECURE_KEY}:
            return SECRET_STAND_IN, True
        found = False
        cleaned = {}
        for key, item in value.items():
            cleaned[key], secret = _without_secrets(item)
            found = found or secret
        return cleaned, found
    if isinstance(value, list):
        items = [_without_secrets(item) for item in value]
        return [item for item, _ in items], any(secret for _, secret in items)
    return value, False


def load_platform_config(project_dir: Path, stack: str) -> StackConfig:
    """The platform stack's config, validated by the same model (ConfigError when wrong)."""
    from components.topology import config_model  # the composition: every layer's settings

    raw, secret_keys = read_platform_config(project_dir, stack)
    return config_model().parse(raw, secret_keys, project_dir)


# ---------------------------------------------------------------------------------------------
# The plan: the platform program's charts, recorded under mocks


def plan_charts(project_dir: Path, stack: str) -> list[PlannedChart]:
    """Every chart the platform stack registers, each cluster's once per chart and version,
    only those whose files hold a CRD (remote charts are kept: their files are not here)."""
    with tempfile.TemporaryDirectory(prefix="idp-crd-plan-") as scratch:
        output = Path(scratch) / "charts.json"
        request = json.dumps(
            {"project_dir": str(project_dir), "stack": stack, "output": str(output)}
        )
        result = subprocess.run(
            [sys.executable, "-m", "components.crd_stack"],
            input=request,
            capture_output=True,
            text=True,
            cwd=project_dir,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                "evaluating the platform program for its charts failed:\n"
                + (result.stderr or result.stdout)[-4000:]
            )
        planned = [PlannedChart(**entry) for entry in json.loads(output.read_text())]
    kept: dict[tuple[str, str], PlannedChart] = {}
    for chart in planned:
        kept.setdefault((chart.cluster, chart.identity), chart)
    return [chart for chart in kept.values() if chart.repository or _may_hold_crds(chart.chart)]


CRD_MARKER = b"kind: CustomResourceDefinition"


def _may_hold_crds(chart: str) -> bool:
    """Whether a chart may render a CRD: a local chart (a mirror's, resolved to an absolute
    path) by its files; one named in a repository or OCI registry, always."""
    path = Path(chart)
    if not path.is_absolute():
        return True
    if path.is_dir():
        return any(
            CRD_MARKER in file.read_bytes()
            for file in path.rglob("*")
            if file.is_file() and file.suffix in (".yaml", ".yml", ".tpl")
        )
    if path.is_file() and tarfile.is_tarfile(path):
        with tarfile.open(path) as archive:
            for member in archive.getmembers():
                extracted = archive.extractfile(member) if member.isfile() else None
                if extracted is not None and CRD_MARKER in extracted.read():
                    return True
        return False
    return True


def _record_charts(project_dir: Path, stack: str) -> list[dict[str, Any]]:
    """Run the platform program under mocks; every Chart it registers, as plain data."""
    from pulumi.runtime import mocks, rpc, settings
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    from components.topology import compose, config_model

    raw, secret_keys = read_platform_config(project_dir, stack)
    config = config_model().parse(raw, secret_keys, project_dir)
    recorded: list[dict[str, Any]] = []

    class Echo(mocks.Mocks):
        def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str, dict]:
            return f"{args.name}-id", dict(args.inputs)

        def call(self, args: mocks.MockCallArgs) -> tuple[dict, None]:
            return {}, None

    class Recorder(mocks.MockMonitor):
        def RegisterResource(self, request: Any) -> Any:
            if request.type == CHART_TYPE:
                inputs = rpc.deserialize_properties(request.object)
                recorded.append(
                    {
                        "cluster": request.provider.split("::")[-2] if request.provider else "",
                        "release": request.name,
                        "namespace": inputs.get("namespace") or "default",
                        "chart": inputs["chart"],
                        "version": inputs.get("version") or None,
                        "repository": (inputs.get("repositoryOpts") or {}).get("repo"),
                        "values": _plain(inputs.get("values") or {}),
                    }
                )
            return super().RegisterResource(request)

    class Callbacks:
        """The engine's callback server stand-in: transforms are kept, never run."""

        def register_stack_transform(self, _transform: Any) -> None:
            return None

        def register_transform(self, _transform: Any) -> Any:
            from pulumi.runtime.proto import callback_pb2

            return callback_pb2.Callback(token="unused", target="crd-plan")

    pulumi.runtime.set_mocks(Echo(), project=naming.PROJECT, stack=stack, monitor=Recorder(Echo()))
    settings.SETTINGS.callbacks = Callbacks()

    def program() -> None:
        compose(config, stack, project_dir)

    _sync_await(run_pulumi_func(program))
    return recorded


SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d"


def _plain(value: Any) -> Any:
    """Values as JSON: a secret (none should reach a chart's CRDs) becomes an empty string."""
    if isinstance(value, Mapping):
        if SECRET_SIGNATURE in value:
            return ""
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, str) and value == pulumi.runtime.rpc.UNKNOWN:
        return ""
    return value


# ---------------------------------------------------------------------------------------------
# The CRD stack's resources


@dataclasses.dataclass(frozen=True)
class CrdSetArgs:
    stack: str
    cluster: Cluster
    charts: tuple[PlannedChart, ...]
    crd_descriptions: bool
    retain: bool
    """Leave the CRDs in the cluster when the stack deletes them (prod: deleting a CRD deletes
    every object of its kind)."""


class CrdSet(pulumi.ComponentResource):
    """One cluster's CRDs: each planned chart rendered with only its CRDs."""

    def __init__(self, name: str, args: CrdSetArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(CRD_SET_TYPE, name, None, opts)
        provider = crd_provider(args.stack, args.cluster, pulumi.ResourceOptions(parent=self))
        transforms: list = [] if args.crd_descriptions else [charts.crd_without_descriptions]
        if args.retain:
            transforms.append(retained)
        for chart in args.charts:
            k8s.helm.v4.Chart(
                naming.child_name(name, chart.release),
                name=chart.release,
                chart=chart.chart,
                version=chart.version,
                repository_opts=(
                    k8s.helm.v4.RepositoryOptsArgs(repo=chart.repository)
                    if chart.repository
                    else None
                ),
                namespace=chart.namespace,
                values=dict(chart.values),
                post_renderer=charts.post_renderer(
                    chart.namespace, "only", POST_RENDERER_FROM_CRD_PROJECT
                ),
                opts=pulumi.ResourceOptions(parent=self, provider=provider, transforms=transforms),
            )
        self.charts = {chart.release: chart.identity for chart in args.charts}
        self.register_outputs({"charts": self.charts})


def crd_provider(stack: str, cluster: Cluster, opts: pulumi.ResourceOptions) -> k8s.Provider:
    """The cluster's provider as the platform stack has it; render mode writes beside the
    platform's files (`rendered/<stack>/<cluster>/crds`)."""
    target = cluster.target
    if target.mode == "render":
        return k8s.Provider(
            cluster.name,
            render_yaml_to_directory=f"../{render_directory(stack, cluster)}/crds",
            opts=opts,
        )
    return k8s.Provider(
        cluster.name,
        kubeconfig=target.kubeconfig,
        context=target.context,
        enable_server_side_apply=True,
        opts=opts,
    )


def retained(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    if args.type_ != charts.CRD_TYPE:
        return None
    return pulumi.ResourceTransformResult(
        args.props,
        pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(retain_on_delete=True)),
    )


def compose_crds(config: StackConfig, plan: list[PlannedChart], stack: str) -> dict[str, Any]:
    """Register each cluster's CrdSet; the stack outputs (the charts per cluster)."""
    outputs: dict[str, Any] = {}
    for cluster in config.clusters:
        planned = tuple(chart for chart in plan if chart.cluster == cluster.name)
        crd_set = CrdSet(
            cluster.name,
            CrdSetArgs(
                stack=stack,
                cluster=cluster,
                charts=planned,
                crd_descriptions=config.crd_descriptions,
                retain=config.profile == "prod",
            ),
        )
        outputs[cluster.name] = crd_set.charts
    return {"charts": outputs, "plan": plan_fingerprint(plan, config)}


def plan_fingerprint(plan: list[PlannedChart], config: StackConfig) -> str:
    """What the CRD stack applies, as one digest: every planned chart with its values, and the
    options that shape the CRDs. The same digest as the one exported means nothing to apply."""
    document = {
        "charts": sorted(
            (dataclasses.asdict(chart) for chart in plan),
            key=lambda chart: (chart["cluster"], chart["release"]),
        ),
        "crdDescriptions": config.crd_descriptions,
        "retain": config.profile == "prod",
        "targets": {
            cluster.name: dataclasses.asdict(cluster.target) for cluster in config.clusters
        },
    }
    encoded = json.dumps(document, sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()[:16]


def chart_versions(plan: list[PlannedChart]) -> dict[str, dict[str, str]]:
    """What the CRD stack exports for `plan`: per cluster, each release's chart@version."""
    versions: dict[str, dict[str, str]] = {}
    for chart in plan:
        versions.setdefault(chart.cluster, {})[chart.release] = chart.identity
    return versions


def main() -> int:
    """`python -m components.crd_stack` (from plan_charts): {project_dir, stack, output} on
    stdin; the platform program's charts written as JSON to `output`."""
    request = json.loads(sys.stdin.read())
    recorded = _record_charts(Path(request["project_dir"]), request["stack"])
    Path(request["output"]).write_text(json.dumps(recorded))
    return 0


if __name__ == "__main__":
    sys.exit(main())
