"""KratixPromise: one promise (API, pipelines, operator dependency) installed on the platform
cluster, after the Kratix controller that serves the Promise CRD."""

from __future__ import annotations

import dataclasses
from typing import ClassVar, Mapping, Sequence

import pulumi
import pulumi_kubernetes as k8s

from components import naming
from components.charts import ChartSource
from components.naming import KRATIX_API
from components.profiles import Footprint
from promises.definition import PromiseDefinition


@dataclasses.dataclass(frozen=True)
class KratixPromiseArgs:
    definition: PromiseDefinition
    """The promise: API, version, pipeline module and operator."""
    provider: k8s.Provider
    """Provider of the platform cluster."""
    image_registry: str
    """Where the pipeline images live (`<registry>/<promise>-pipeline:<version>`)."""
    destination_selectors: Mapping[str, str]
    """Destination labels the promise's operator and resources are scheduled to."""
    operator_chart: ChartSource | None
    """The pinned operator chart, as destinations fetch it (mirror applied)."""
    operator_footprint: Footprint
    """Resources of the operator on each destination."""
    team_labels: Mapping[str, Mapping[str, str]] = dataclasses.field(default_factory=dict)
    """Each team's owner, department and product labels, for the pipeline's cost labels."""
    depends_on: Sequence[pulumi.Resource] = ()
    """The Kratix controller (its chart installs the Promise CRD)."""


def operator_dependencies(args: KratixPromiseArgs) -> list[dict]:
    """The promise's `spec.dependencies`: its operator, installed on each destination by Flux."""
    operator, chart = args.definition.operator, args.operator_chart
    if operator is None or chart is None:
        return []
    release = f"{args.definition.name}-operator"
    return operator.dependencies(
        release,
        chart.repository,
        chart.chart,
        chart.version,
        naming.platform_namespace_labels(release, args.definition.name),
        args.operator_footprint.resources(),
    )


class KratixPromise(pulumi.ComponentResource):
    """A Kratix Promise on the platform cluster, labelled with its version."""

    TYPE: ClassVar[str] = "idp:platform:KratixPromise"

    name: str
    """The Promise's name."""
    version: str
    """Its `kratix.io/promise-version`."""
    image: str
    """The pipeline image both workflows run."""
    document: dict
    """The Promise object as registered."""
    resource: k8s.apiextensions.CustomResource

    def __init__(
        self, name: str, args: KratixPromiseArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__(self.TYPE, name, {}, opts)
        definition = args.definition
        self.name, self.version = definition.name, definition.version
        self.image = definition.pipeline_image(args.image_registry)
        self.document = definition.promise(
            args.image_registry,
            args.destination_selectors,
            operator_dependencies(args),
            labels=naming.standard_labels("promise", name),
            team_labels=args.team_labels,
        )
        self.resource = k8s.apiextensions.CustomResource(
            naming.child_name(name, "promise"),
            api_version=KRATIX_API,
            kind="Promise",
            metadata=self.document["metadata"],
            spec=self.document["spec"],
            opts=pulumi.ResourceOptions(
                parent=self, provider=args.provider, depends_on=list(args.depends_on)
            ),
        )
        self.register_outputs(
            {
                "name": self.name,
                "version": self.version,
                "image": self.image,
                "api": definition.crd_name,
            }
        )
