"""The one place for Helm chart sources, pinned chart versions and pinned images.

`idp:chartMirror` redirects every chart for air-gapped installs:
- `oci://registry.example.com/charts`: charts are pulled as `<mirror>/<chart>`;
- `https://charts.example.com`: an HTTP Helm repository holding every chart;
- a local directory: holds `<chart>-<version>.tgz` packages or unpacked `<chart>/` folders.
`idp:charts.<key>` overrides one chart's version or repository, and `idp:charts.<key>.values`
lays a map over the values the layer gives that chart (nested maps merged key by key, anything
else replaced, `null` removing a key), as Helm's own `-f` would.
"""

from __future__ import annotations

import dataclasses
import tarfile
from pathlib import Path
from typing import Any, Mapping

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components import naming


@dataclasses.dataclass(frozen=True)
class ChartSource:
    """Where a chart comes from upstream, and the version this project pins."""

    repository: str
    chart: str
    version: str
    note: str = ""


CHARTS: Mapping[str, ChartSource] = {
    "cert-manager": ChartSource(
        repository="https://charts.jetstack.io",
        chart="cert-manager",
        version="v1.19.1",
        note="Kratix's webhooks and serving certificates need cert-manager's Issuer and "
        "Certificate.",
    ),
    "kratix": ChartSource(
        repository="https://syntasso.github.io/helm-charts",
        chart="kratix",
        version="v0.0.1",
        note="The chart version never moves (re-published on every release): the controller "
        "image below is what pins Kratix.",
    ),
    "argo-cd": ChartSource(
        repository="https://argoproj.github.io/argo-helm",
        chart="argo-cd",
        version="10.1.1",
        note="Argo CD v3.4; its ApplicationSet CRD is too large for client-side apply.",
    ),
    "sealed-secrets": ChartSource(
        repository="https://bitnami-labs.github.io/sealed-secrets",
        chart="sealed-secrets",
        version="2.18.5",
        note="The default secret manager: encrypted secrets live in git.",
    ),
    "external-secrets": ChartSource(
        repository="https://charts.external-secrets.io",
        chart="external-secrets",
        version="2.9.0",
        note="Selectable instead: secrets synced from an external store "
        "(serves only external-secrets.io/v1).",
    ),
    "flux2": ChartSource(
        repository="https://fluxcd-community.github.io/helm-charts",
        chart="flux2",
        version="2.16.2",
        note="Flux's source and kustomize controllers, on clusters that sync "
        "a bucket state store (ArgoCD cannot read S3).",
    ),
    "kyverno": ChartSource(
        repository="https://kyverno.github.io/kyverno/",
        chart="kyverno",
        version="3.9.0",
        note="Kyverno v1.19.0: CEL ValidatingPolicy and ImageValidatingPolicy "
        "(policies.kyverno.io).",
    ),
    "kubecost": ChartSource(
        repository="https://kubecost.github.io/kubecost",
        chart="kubecost",
        version="3.2.1",
        note="Kubecost 3.x (renamed from cost-analyzer): per-team cost allocation; "
        "global.clusterId per cluster, workers report through a federated bucket.",
    ),
    "prometheus-pushgateway": ChartSource(
        repository="https://prometheus-community.github.io/helm-charts",
        chart="prometheus-pushgateway",
        version="3.2.0",
        note="Pushgateway v1.11.1: receives ArgoCD's deployment notifications for the DORA "
        "lead time and time-to-first-deploy series.",
    ),
    # Observability (issue 5). Grafana, Loki and Tempo moved to grafana-community in 2026.
    "prometheus-operator-crds": ChartSource(
        repository="https://prometheus-community.github.io/helm-charts",
        chart="prometheus-operator-crds",
        version="31.0.1",
        note="Prometheus Operator v0.93.1 CRDs, applied server-side before anything uses them.",
    ),
    "kube-prometheus-stack": ChartSource(
        repository="https://prometheus-community.github.io/helm-charts",
        chart="kube-prometheus-stack",
        version="88.5.3",
        note="Prometheus, Alertmanager, the operator, kube-state-metrics (node-exporter off) and "
        "its Grafana subchart (from grafana-community); CRDs come from the chart above.",
    ),
    "loki": ChartSource(
        repository="https://grafana-community.github.io/helm-charts",
        chart="loki",
        version="18.11.0",
        note="Loki 3.7 in monolithic mode on the filesystem.",
    ),
    "tempo": ChartSource(
        repository="https://grafana-community.github.io/helm-charts",
        chart="tempo",
        version="2.2.4",
        note="Tempo 2.10 single binary (tempo-distributed 3.x needs Kafka).",
    ),
    "opentelemetry-operator": ChartSource(
        repository="https://open-telemetry.github.io/opentelemetry-helm-charts",
        chart="opentelemetry-operator",
        version="0.122.0",
        note="Auto-instrumentation injection; its webhook certificate comes from cert-manager.",
    ),
    "opentelemetry-collector": ChartSource(
        repository="https://open-telemetry.github.io/opentelemetry-helm-charts",
        chart="opentelemetry-collector",
        version="0.170.0",
        note="Installed per role (node agent, gateway, cluster collector); image.repository "
        "must be set explicitly.",
    ),
    "backstage": ChartSource(
        repository="https://backstage.github.io/charts",
        chart="backstage",
        version="2.8.2",
        note="The developer portal. Plugins are compiled into the image, so the image is the "
        "organisation's own build (idp:portal.image).",
    ),
    "crossplane": ChartSource(
        repository="https://charts.crossplane.io/stable",
        chart="crossplane",
        version="2.3.1",
        note="Crossplane v2 (namespaced composite resources, no claims), for the optional "
        "cloud layer (idp:crossplane).",
    ),
}

# Crossplane packages the cloud layer installs (Provider and Function objects Crossplane pulls
# itself, so no fixture chart): one pinned OCI reference each.
CROSSPLANE_PACKAGES: Mapping[str, str] = {
    # AWS S3 resources; Crossplane pulls the provider-family-aws it depends on.
    "aws": "xpkg.upbound.io/upbound/provider-aws-s3:v2.6.1",
    "kubernetes": "xpkg.crossplane.io/crossplane-contrib/provider-kubernetes:v1.3.0",
    "function-patch-and-transform": "xpkg.crossplane.io/crossplane-contrib/function-patch-and-transform:v0.10.7",
}

# Operators that promises deliver to their destinations as Flux HelmReleases (never installed by
# this program, so no fixture chart): versions seen pinned in public GitOps repositories.
OPERATOR_CHARTS: Mapping[str, ChartSource] = {
    "cloudnative-pg": ChartSource(
        repository="https://cloudnative-pg.github.io/charts",
        chart="cloudnative-pg",
        version="0.27.1",
        note="CloudNativePG operator, for the postgresql promise.",
    ),
    "redis-operator": ChartSource(
        repository="https://ot-container-kit.github.io/helm-charts/",
        chart="redis-operator",
        version="0.22.1",
        note="OT-Container-Kit redis-operator (standalone, replication with "
        "sentinel, cluster), for the redis promise.",
    ),
}

IMAGES: Mapping[str, str] = {
    # Kratix publishes no versioned tags, so the controller is pinned by digest: the digest
    # the pinned chart runs its controller and pipeline adapter at (the chart pulls it through
    # Syntasso's registry mirror; the program from Docker Hub, where it is the same image).
    "kratix-controller": "docker.io/syntasso/kratix-platform@sha256:"
    "0924f2c94380f89dfe7563715cb79fc5375233296701a0bb62e549a936b54793",
    "minio": "quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z",
    "minio-client": "quay.io/minio/mc:RELEASE.2025-08-13T08-35-41Z",
    # The contrib distribution: tail sampling, the spanmetrics and forward connectors,
    # filelog, kubeletstats, k8s_cluster and Prometheus remote write are all in it.
    "otel-collector": "ghcr.io/open-telemetry/opentelemetry-collector-releases/"
    "opentelemetry-collector-contrib:0.158.0",
    # Backstage's demo image: a starting point only; real portals build their own with the
    # Kubernetes, Argo CD and TechDocs plugins (idp:portal.image).
    "backstage": "ghcr.io/backstage/backstage:1.45.0",
}


@dataclasses.dataclass(frozen=True)
class ResolvedChart:
    """A chart reference ready for `helm.v4.Chart`: upstream, a mirror, or a local path."""

    key: str
    chart: str
    version: str | None
    repository: str | None
    values: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    """`idp:charts.<key>.values`: laid over the layer's own values by `install_chart`."""
    crd_descriptions: bool = False
    """`idp:crdDescriptions`: keep the field descriptions of the chart's CRDs."""
    crds: str | None = None
    """`without`: the chart's CRDs are left to the CRD stack (`idp:crdStack`); `only`: that
    stack's install of the chart; None: all of it (components/chart_order.py)."""

    def chart_args(self) -> dict:
        args: dict = {"chart": self.chart}
        if self.version:
            args["version"] = self.version
        if self.repository:
            args["repository_opts"] = k8s.helm.v4.RepositoryOptsArgs(repo=self.repository)
        return args


def platform_namespace(
    resource_name: str,
    namespace: str,
    *,
    component: str,
    owner: str,
    opts: pulumi.ResourceOptions,
    pod_security: str = naming.PLATFORM_POD_SECURITY,
) -> k8s.core.v1.Namespace:
    """A namespace a platform component owns, with the standard and Pod Security labels."""
    return k8s.core.v1.Namespace(
        resource_name,
        metadata={
            "name": namespace,
            "labels": naming.platform_namespace_labels(component, owner, pod_security),
        },
        opts=opts,
    )


# Relative to the project directory, where the provider runs Helm.
ORDER_POST_RENDERER = "components/chart_order.py"


def install_chart(
    resource_name: str,
    chart: ResolvedChart,
    values: dict,
    *,
    namespace: str,
    component: str,
    owner: str,
    opts: pulumi.ResourceOptions,
    namespace_resource_name: str | None = None,
    depends_on: list[pulumi.Resource] | None = None,
    transforms: list | None = None,
) -> k8s.helm.v4.Chart:
    """A pinned chart installed into its platform namespace.

    With `namespace_resource_name` the Namespace (platform Pod Security labels) is created first;
    without, the chart or the cluster owns it. `opts` carries the component parent and provider.
    """
    waits_for = list(depends_on or [])
    if namespace_resource_name:
        waits_for.append(
            platform_namespace(
                namespace_resource_name, namespace, component=component, owner=owner, opts=opts
            )
        )
    if chart.values:
        values = merged_values(values, chart.values)
    transforms = list(transforms or [])
    if not chart.crd_descriptions:
        transforms.append(crd_without_descriptions)
    return k8s.helm.v4.Chart(
        resource_name,
        namespace=namespace,
        values=values,
        # Workloads after the ServiceAccounts they run as (components/chart_order.py).
        post_renderer=post_renderer(namespace, chart.crds),
        **chart.chart_args(),
        opts=pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(depends_on=waits_for, transforms=transforms)
        ),
    )


def post_renderer(
    namespace: str, crds: str | None, script: str = ORDER_POST_RENDERER
) -> k8s.helm.v4.PostRendererArgs:
    """components/chart_order.py for a release in `namespace`, with the chart's CRDs kept,
    left out (`without`) or alone (`only`)."""
    args = [script, namespace] + ([f"--crds={crds}"] if crds else [])
    return k8s.helm.v4.PostRendererArgs(command="python3", args=args)


CRD_TYPE = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"
# Where a JSON schema nests further schemas: one, a list, or a map of them.
SCHEMA_ONE = ("items", "not", "additionalProperties", "additionalItems")
SCHEMA_LIST = ("allOf", "anyOf", "oneOf")
SCHEMA_MAP = ("properties", "patternProperties", "definitions", "dependencies")


def schema_without_descriptions(schema: Any) -> Any:
    """An OpenAPI v3 schema without its `description`s; a property that is *named*
    `description` stays (only the schemas' own key goes)."""
    if isinstance(schema, list):  # `items` may be a list of schemas
        return [schema_without_descriptions(s) for s in schema]
    if not isinstance(schema, Mapping):
        return schema  # `additionalProperties: true`, a dependency's list of names
    stripped = {}
    for key, value in schema.items():
        if key == "description":
            continue
        if key in SCHEMA_ONE or key in SCHEMA_LIST:
            value = schema_without_descriptions(value)
        elif key in SCHEMA_MAP and isinstance(value, Mapping):
            value = {name: schema_without_descriptions(v) for name, v in value.items()}
        stripped[key] = value
    return stripped


def crd_without_descriptions(
    args: pulumi.ResourceTransformArgs,
) -> pulumi.ResourceTransformResult | None:
    """A chart's CustomResourceDefinition without the field descriptions of its schemas.

    They are about three quarters of the real charts' CRD bytes, and the CRDs most of a
    stack's state, which a file or bucket backend rewrites after every step of an update
    (docs/performance.md). Validation is unchanged; `kubectl explain` lists the fields and
    types without their prose. `idp:crdDescriptions: true` keeps them.
    """
    if args.type_ != CRD_TYPE:
        return None
    props: dict = dict(args.props)
    spec = props.get("spec")
    if not isinstance(spec, Mapping) or not isinstance(spec.get("versions"), list):
        return None
    versions = []
    for version in spec["versions"]:
        schema = version.get("schema") if isinstance(version, Mapping) else None
        if isinstance(schema, Mapping) and "openAPIV3Schema" in schema:
            openapi = schema_without_descriptions(schema["openAPIV3Schema"])
            version = {**version, "schema": {**schema, "openAPIV3Schema": openapi}}
        versions.append(version)
    props["spec"] = {**spec, "versions": versions}
    return pulumi.ResourceTransformResult(props, args.opts)


def merged_values(base: Mapping, extra: Mapping) -> dict:
    """`base` with `extra` laid over it: nested maps merged key by key, anything else replaced,
    a `None` (YAML `null`) removing the key."""
    merged = dict(base)
    for key, value in extra.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merged_values(merged[key], value)
        else:
            merged[key] = value
    return merged


def operator_chart(key: str, mirror: str) -> ChartSource:
    """An operator chart as a destination fetches it: from a remote mirror when one is set (a
    local mirror directory exists only where Pulumi runs, so destinations use upstream)."""
    source = OPERATOR_CHARTS[key]
    if is_remote_mirror(mirror):
        return dataclasses.replace(source, repository=mirror.rstrip("/"))
    return source


def is_remote_mirror(mirror: str) -> bool:
    return mirror.startswith(("oci://", "http://", "https://"))


def resolve_chart(
    key: str,
    mirror: str,
    version: str | None = None,
    repository: str | None = None,
    base_dir: Path | None = None,
    values: Mapping[str, Any] | None = None,
) -> ResolvedChart:
    """Where to fetch chart `key` (and the stack's values over ours); raises ValueError naming
    the fix when a local mirror lacks it."""
    return dataclasses.replace(
        _locate_chart(key, mirror, version, repository, base_dir), values=dict(values or {})
    )


def _locate_chart(
    key: str, mirror: str, version: str | None, repository: str | None, base_dir: Path | None
) -> ResolvedChart:
    source = CHARTS[key]
    version = version or source.version
    if not mirror:
        return ResolvedChart(key, source.chart, version, repository or source.repository)
    if mirror.startswith("oci://"):
        return ResolvedChart(key, f"{mirror.rstrip('/')}/{source.chart}", version, None)
    if is_remote_mirror(mirror):
        return ResolvedChart(key, source.chart, version, mirror)
    return ResolvedChart(
        key, str(_local_chart(Path(mirror), source.chart, version, base_dir)), None, None
    )


def _local_chart(mirror: Path, chart: str, version: str, base_dir: Path | None) -> Path:
    if not mirror.is_absolute():
        mirror = (base_dir or Path.cwd()) / mirror
    if not mirror.is_dir():
        raise ValueError(f"directory '{mirror}' does not exist; point it at a folder of charts")
    packaged = mirror / f"{chart}-{version}.tgz"
    if packaged.is_file():
        found = _packaged_version(packaged)
        if found != version:
            raise ValueError(f"'{packaged}' holds version {found}, expected {version}")
        return packaged.resolve()
    unpacked = mirror / chart
    if (unpacked / "Chart.yaml").is_file():
        found = str(yaml.safe_load((unpacked / "Chart.yaml").read_text()).get("version"))
        if found != version:
            raise ValueError(
                f"'{unpacked}' holds {chart} {found}, but {version} is pinned; "
                "mirror the pinned version or override idp:charts."
                f"{chart}.version"
            )
        return unpacked.resolve()
    raise ValueError(
        f"'{mirror}' has neither {chart}-{version}.tgz nor {chart}/Chart.yaml; "
        f"add the chart with `helm pull {chart} --version {version}`"
    )


def _packaged_version(package: Path) -> str:
    with tarfile.open(package) as archive:
        for member in archive.getmembers():
            extracted = archive.extractfile(member)
            if (
                extracted is not None
                and member.name.count("/") == 1
                and member.name.endswith("/Chart.yaml")
            ):
                return str(yaml.safe_load(extracted.read()).get("version"))
    return "unknown"
