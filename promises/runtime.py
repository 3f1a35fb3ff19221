"""The shared runtime of every promise pipeline, on top of Syntasso's `kratix-sdk`.

A pipeline is a function from a validated request to a `PipelineResult`; this module does the
I/O around it the way Kratix expects (`/kratix/input/object.yaml` in; manifests to
`/kratix/output`, `destination-selectors.yaml` and `status.yaml` to `/kratix/metadata`) and
branches on `KRATIX_WORKFLOW_ACTION` (configure or delete).

Everything is computed before the first file is written, so a request that fails validation
exits non-zero with a message naming the field and leaves the output folders untouched.
`IDP_KRATIX_ROOT` moves the three folders under another directory (tests, local runs).
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path
from typing import Any, Callable, Mapping

import kratix_sdk
import yaml

from promises.definition import PromiseDefinition, RequestError

ROOT_ENV = "IDP_KRATIX_ROOT"
ACTION_ENV = "KRATIX_WORKFLOW_ACTION"
ACTIONS = ("configure", "delete")
# Exit codes: a request the promise refuses, and a pipeline run outside Kratix's contract.
REFUSED, MISCONFIGURED = 2, 3


@dataclasses.dataclass(frozen=True)
class Request:
    """A resource request after validation: every option resolved to a value."""

    name: str
    namespace: str
    labels: Mapping[str, str]
    options: Mapping[str, str]


@dataclasses.dataclass
class PipelineResult:
    """What one run writes: manifests (file name -> object), and optional metadata."""

    manifests: dict[str, dict] = dataclasses.field(default_factory=dict)
    destination_selectors: dict[str, str] = dataclasses.field(default_factory=dict)
    status: dict[str, Any] = dataclasses.field(default_factory=dict)


Handler = Callable[[Request], PipelineResult]


class _PlainDumper(yaml.SafeDumper):
    """Writes shared values out in full: no YAML anchors in manifests people read."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def to_yaml(manifest: Mapping[str, Any]) -> str:
    return yaml.dump(dict(manifest), Dumper=_PlainDumper, sort_keys=False)


def redirect_from_environment() -> None:
    """Point the SDK at `$IDP_KRATIX_ROOT/{input,output,metadata}` when that is set."""
    root = os.environ.get(ROOT_ENV)
    if root:
        kratix_sdk.set_input_dir(Path(root) / "input")
        kratix_sdk.set_output_dir(Path(root) / "output")
        kratix_sdk.set_metadata_dir(Path(root) / "metadata")


def read_request(definition: PromiseDefinition, sdk: kratix_sdk.KratixSDK) -> Request:
    resource = sdk.read_resource_input()
    data = resource.data
    expected = definition.request_api_version
    if data.get("apiVersion") != expected or data.get("kind") != definition.kind:
        raise RequestError(
            "",
            f"object.yaml is a {data.get('apiVersion')}/{data.get('kind')}, "
            f"this pipeline serves {expected}/{definition.kind}",
        )
    if not resource.get_name():
        raise RequestError("", "metadata.name is missing")
    return Request(
        name=resource.get_name(),
        namespace=resource.get_namespace() or "default",
        labels=dict(resource.get_labels() or {}),
        options=definition.validate(data.get("spec")),
    )


def write(sdk: kratix_sdk.KratixSDK, result: PipelineResult) -> None:
    for file_name, manifest in result.manifests.items():
        sdk.write_output(file_name, to_yaml(manifest).encode())
    if result.destination_selectors:
        sdk.write_destination_selectors(
            [
                kratix_sdk.DestinationSelector(
                    directory="", match_labels=dict(result.destination_selectors)
                )
            ]
        )
    if result.status:
        sdk.write_status(kratix_sdk.Status(dict(result.status)))


def run(definition: PromiseDefinition, configure: Handler, delete: Handler) -> int:
    """Run one pipeline step; returns the process exit code."""
    redirect_from_environment()
    sdk = kratix_sdk.KratixSDK()
    action = sdk.workflow_action()
    if action not in ACTIONS:
        print(
            f"{definition.name} pipeline: {ACTION_ENV}='{action}' is not one of "
            + ", ".join(ACTIONS),
            file=sys.stderr,
        )
        return MISCONFIGURED
    try:
        request = read_request(definition, sdk)
        result = (configure if action == "configure" else delete)(request)
    except RequestError as error:
        print(f"{definition.name} request refused: {error}", file=sys.stderr)
        return REFUSED
    except (OSError, yaml.YAMLError) as error:
        print(f"{definition.name} pipeline cannot read its input: {error}", file=sys.stderr)
        return MISCONFIGURED
    write(sdk, result)
    print(
        f"{definition.name} {action}: {request.namespace}/{request.name} wrote "
        f"{len(result.manifests)} manifest(s)"
    )
    return 0


def main(definition: PromiseDefinition, configure: Handler, delete: Handler) -> None:
    sys.exit(run(definition, configure, delete))
