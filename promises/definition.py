"""What a Promise is in this repository: its API (a handful of typed options), its pipeline and
the operator it depends on, described once and turned into the Promise object, the request CRD,
the pipeline's validation and the Backstage request template.

Pure Python (no Pulumi): pipeline images import this module too (with the vocabulary,
components/naming.py, which imports nothing).
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any, Mapping

from components.naming import KRATIX_API
from components.naming import PROMISE_BACKEND_LABEL as BACKEND_LABEL
from components.naming import PROMISE_VERSION_LABEL as VERSION_LABEL

# What a promise's output needs where it lands (BACKEND_LABEL): plain Kubernetes (and its
# operator), or the Crossplane cloud layer reconciling a composite resource.
BACKENDS = ("kubernetes", "crossplane")
# Pipeline environment variable: JSON of team name -> {owner, department, product} labels.
TEAM_LABELS_ENV = "IDP_TEAM_LABELS"
_SEMVER = re.compile(r"^v\d+\.\d+\.\d+$")
# A Kubernetes name, or empty for "derive it" (a CRD default must match its own pattern).
DNS_LABEL_OR_EMPTY = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$"


class RequestError(ValueError):
    """A resource request the promise refuses: names the field and what is accepted."""

    def __init__(self, field: str, message: str):
        super().__init__(f"spec.{field}: {message}" if field else message)
        self.field = field


@dataclasses.dataclass(frozen=True)
class Option:
    """One top-level field of a promise's API (`spec.<name>` of a request)."""

    name: str
    title: str
    description: str
    default: str = ""
    enum: tuple[str, ...] = ()
    pattern: str | None = None
    """Regular expression a free-text value must match (ignored for enums)."""

    def schema(self) -> dict:
        schema: dict[str, Any] = {"type": "string", "description": self.description,
                                  "default": self.default}
        if self.enum:
            schema["enum"] = list(self.enum)
        elif self.pattern:
            schema["pattern"] = self.pattern
        return schema

    def check(self, value: Any) -> str:
        """`value` as the pipeline uses it (the default when absent); RequestError if wrong."""
        if value is None:
            return self.default
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise RequestError(self.name, f"must be a string, got {type(value).__name__}")
        text = str(value)
        if self.enum and text not in self.enum:
            raise RequestError(self.name, f"'{text}' is not accepted; choose one of "
                               + ", ".join(self.enum))
        if not self.enum and self.pattern and text and not re.fullmatch(self.pattern, text):
            raise RequestError(self.name, f"'{text}' does not match {self.pattern}")
        return text


@dataclasses.dataclass(frozen=True)
class Operator:
    """The operator a promise's resources need on every destination it schedules to."""

    chart: str
    """Key of its pinned chart in `components.charts.OPERATOR_CHARTS`."""
    namespace: str
    values: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    """Chart values beyond the footprint (which comes from the stack's profile)."""

    def dependencies(self, release: str, repository: str, chart: str, version: str,
                     namespace_labels: Mapping[str, str], resources: Mapping[str, Any]
                     ) -> list[dict]:
        """The operator delivered the GitOps way: Kratix writes these to each destination's
        dependencies folder, Flux's helm-controller there installs the pinned chart."""
        source = {"interval": "1h", "url": repository}
        if repository.startswith("oci://"):
            source["type"] = "oci"
        remediation = {"retries": 3}
        return [
            {"apiVersion": "v1", "kind": "Namespace",
             "metadata": {"name": self.namespace, "labels": dict(namespace_labels)}},
            {"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "HelmRepository",
             "metadata": {"name": release, "namespace": self.namespace}, "spec": source},
            {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
             "metadata": {"name": release, "namespace": self.namespace},
             "spec": {
                 "interval": "10m",
                 "releaseName": release,
                 "chart": {"spec": {"chart": chart, "version": version,
                                    "sourceRef": {"kind": "HelmRepository", "name": release}}},
                 # Operators ship their CRDs in the chart; upgrades must update them too.
                 "install": {"crds": "CreateReplace", "remediation": remediation},
                 "upgrade": {"crds": "CreateReplace", "remediation": remediation},
                 "values": {**self.values, "resources": dict(resources)},
             }},
        ]


@dataclasses.dataclass(frozen=True)
class PromiseDefinition:
    """One promise: API, pipeline and dependency, enough to build every artefact from."""

    name: str
    """Promise name, also the pipeline image name (`<registry>/<name>-pipeline`)."""
    version: str
    """Semantic version (vX.Y.Z) of the promise: its label and its pipeline image tag."""
    description: str
    group: str
    kind: str
    plural: str
    options: tuple[Option, ...]
    api_version: str = "v1"
    pipeline_module: str = ""
    """Python module run as the pipeline (`python -m <module>`)."""
    operator: Operator | None = None
    example_requests: tuple[str, ...] = ()
    """Example request files, relative to the promise's folder."""
    backend: str = "kubernetes"
    """"crossplane": the pipeline emits composite resources of the cloud layer's API."""

    def __post_init__(self) -> None:
        assert _SEMVER.match(self.version), f"{self.name}: version {self.version} is not vX.Y.Z"
        assert self.backend in BACKENDS, f"{self.name}: backend {self.backend} is not known"

    @property
    def cloud_backed(self) -> bool:
        return self.backend == "crossplane"

    @property
    def crd_name(self) -> str:
        return f"{self.plural}.{self.group}"

    @property
    def request_api_version(self) -> str:
        return f"{self.group}/{self.api_version}"

    @property
    def singular(self) -> str:
        return self.kind.lower()

    def spec_schema(self) -> dict:
        """The openAPIV3 schema of a request's `spec`: every option with its default."""
        return {"type": "object", "default": {},
                "properties": {o.name: o.schema() for o in self.options}}

    def openapi_schema(self) -> dict:
        return {"type": "object", "properties": {"spec": self.spec_schema()}}

    def crd(self) -> dict:
        """The CustomResourceDefinition developers request the promise through."""
        return {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": self.crd_name},
            "spec": {
                "group": self.group,
                "names": {"kind": self.kind, "singular": self.singular, "plural": self.plural},
                "scope": "Namespaced",
                "versions": [{"name": self.api_version, "served": True, "storage": True,
                              "schema": {"openAPIV3Schema": self.openapi_schema()}}],
            },
        }

    def validate(self, spec: Mapping[str, Any] | None) -> dict[str, str]:
        """Every option's value for a request `spec`; RequestError naming the first bad field."""
        spec = spec or {}
        if not isinstance(spec, Mapping):
            raise RequestError("", f"spec must be an object, got {type(spec).__name__}")
        known = {o.name for o in self.options}
        for field in spec:
            if field not in known:
                raise RequestError(str(field), "is not an option of this promise; accepted: "
                                   + ", ".join(sorted(known)))
        return {o.name: o.check(spec.get(o.name)) for o in self.options}

    def pipeline_image(self, registry: str) -> str:
        return f"{registry.rstrip('/')}/{self.name}-pipeline:{self.version}"

    def promise(self, registry: str, destination_selectors: Mapping[str, str],
                dependencies: list[dict], labels: Mapping[str, str] | None = None,
                team_labels: Mapping[str, Mapping[str, str]] | None = None) -> dict:
        """The Promise object: API, dependencies, selectors and configure/delete workflows.

        `team_labels` (team name -> its owner, department and product labels) reaches the
        pipeline as TEAM_LABELS_ENV, so what a request creates carries every cost label."""
        return {
            "apiVersion": KRATIX_API,
            "kind": "Promise",
            "metadata": {"name": self.name,
                         "labels": {**(labels or {}), VERSION_LABEL: self.version,
                                    BACKEND_LABEL: self.backend}},
            "spec": {
                "api": self.crd(),
                "dependencies": dependencies,
                "destinationSelectors": ([{"matchLabels": dict(destination_selectors)}]
                                         if destination_selectors else []),
                "workflows": {"resource": {
                    action: [self.pipeline(action, registry, team_labels)]
                    for action in ("configure", "delete")}},
            },
        }

    def pipeline(self, action: str, registry: str,
                 team_labels: Mapping[str, Mapping[str, str]] | None = None) -> dict:
        """One workflow pipeline; the same image serves both actions (KRATIX_WORKFLOW_ACTION)."""
        container: dict = {"name": "generate", "image": self.pipeline_image(registry)}
        if team_labels:
            container["env"] = [{"name": TEAM_LABELS_ENV,
                                 "value": json.dumps(team_labels, sort_keys=True)}]
        return {
            "apiVersion": KRATIX_API,
            "kind": "Pipeline",
            "metadata": {"name": f"{action}-{self.name}"},
            "spec": {"containers": [container]},
        }

    def backstage_template(self, owner: str = "group:platform-team") -> dict:
        """A Backstage Software Template whose form is this API: the same options, enums and
        defaults, plus the request's name, namespace and team."""
        form = {o.name: {"title": o.title, "description": o.description, "type": "string",
                         "default": o.default, **({"enum": list(o.enum)} if o.enum else {})}
                for o in self.options}
        for option in self.options:
            if option.pattern and not option.enum:
                form[option.name]["pattern"] = option.pattern
        request = {
            "apiVersion": self.request_api_version,
            "kind": self.kind,
            "metadata": {"name": "${{ parameters.name }}",
                         "namespace": "${{ parameters.namespace }}"},
            "spec": {o.name: f"${{{{ parameters.{o.name} }}}}" for o in self.options},
        }
        return {
            "apiVersion": "scaffolder.backstage.io/v1beta3",
            "kind": "Template",
            "metadata": {
                "name": f"request-{self.name}",
                "title": f"Request {self.kind}",
                "description": self.description,
                "tags": ["kratix", "promise", self.name],
                "labels": {VERSION_LABEL: self.version},
            },
            "spec": {
                "owner": owner,
                "type": "resource",
                "parameters": [
                    {"title": "Where", "required": ["name", "namespace"], "properties": {
                        "name": {"title": "Name", "type": "string",
                                 "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
                                 "description": f"name of the {self.kind} (a DNS-1123 label)"},
                        "namespace": {"title": "Namespace", "type": "string",
                                      "description": "your team's namespace on the platform"}}},
                    {"title": f"{self.kind} settings", "properties": form},
                ],
                "steps": [{"id": "request", "name": f"Request {self.kind} from Kratix",
                           "action": "kubernetes:apply",
                           "input": {"namespaced": True, "manifest": request}}],
                "output": {"text": [{"title": "Requested",
                                     "content": f"{self.kind} ${{{{ parameters.name }}}} "
                                                "was requested; Kratix provisions it."}]},
            },
        }

