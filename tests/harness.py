"""Run the program (or one component) under Pulumi mocks and record every registration.

The stock MockMonitor keeps only each resource's state; the recording monitor also keeps the
parent, provider and dependencies, so tests can pin down structure, not just values.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import functools
import json
import os
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

import pulumi
import yaml
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as resource_runtime
from pulumi.runtime import rpc, settings
from pulumi.runtime.proto import callback_pb2, source_pb2
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

REPO = Path(__file__).resolve().parent.parent
# The real upstream charts at the pinned versions, unpacked (CI: ../shared/charts beside the
# clone; elsewhere IDP_CHART_MIRROR, e.g. a folder `scripts/mirror-charts` filled).
CHART_MIRROR = Path(os.environ.get("IDP_CHART_MIRROR", REPO.parent / "shared" / "charts"))
STACK_SECRETS = REPO / "tests" / "fixtures" / "stack-secrets.yaml"


@dataclasses.dataclass
class Registration:
    urn: str
    type: str
    name: str
    parent: str
    provider: str
    dependencies: list[str]
    accept_resources: bool
    """Whether the program asked for resource references back (`__main__.py` turns them off)."""
    serialized: Any = dataclasses.field(repr=False)
    """The inputs as the monitor received them (a protobuf Struct)."""
    transforms: list = dataclasses.field(default_factory=list)

    @functools.cached_property
    def inputs(self) -> dict:
        """The inputs, deserialized when a test first reads them (most are never read)."""
        return rpc.deserialize_properties(self.serialized)

    @property
    def parent_type(self) -> str:
        return self.parent.split("::")[2].split("$")[-1] if self.parent else ""

    @property
    def parent_name(self) -> str:
        return self.parent.split("::")[-1] if self.parent else ""

    @property
    def provider_name(self) -> str:
        """Name of the explicit provider (`urn::id` reference), or '' for the default one."""
        return self.provider.split("::")[-2] if self.provider else ""

    def get(self, *path: str) -> Any:
        value: Any = self.inputs
        for key in path:
            value = reveal(value)
            if not isinstance(value, Mapping) or key not in value:
                return None
            value = value[key]
        return reveal(value)


class Mocks(pulumi_mocks.Mocks):
    def new_resource(self, args: pulumi_mocks.MockResourceArgs):
        state = dict(args.inputs)
        if args.typ == "random:index/randomPassword:RandomPassword":
            state["result"] = rpc.wrap_rpc_secret("x" * int(args.inputs.get("length", 16)))
        return f"{args.name}-id", state

    def call(self, args: pulumi_mocks.MockCallArgs):
        return {}


class RecordingCallbacks:
    """Stands in for the SDK's callback server: keeps each resource transform by token so
    tests can run the functions the engine would call for a component's children."""

    def __init__(self) -> None:
        self.transforms: dict[str, Callable] = {}
        self.stack_transforms: list[Callable] = []

    def register_stack_transform(self, transform: Callable) -> None:
        """A transform the engine would apply to every later resource of the stack."""
        self.stack_transforms.append(transform)

    def register_transform(self, transform: Callable) -> callback_pb2.Callback:
        token = f"transform-{len(self.transforms)}"
        self.transforms[token] = transform
        return callback_pb2.Callback(token=token, target="mock-callbacks")


class RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: Mocks):
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        self.callbacks = RecordingCallbacks()

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.registrations.append(Registration(
                urn=response.urn, type=request.type, name=request.name, parent=request.parent,
                provider=request.provider, dependencies=list(request.dependencies),
                accept_resources=request.acceptResources,
                serialized=request.object,
                transforms=[self.callbacks.transforms[c.token] for c in request.transforms]))
        return response


class Registry:
    """The registrations of one program run, with small finders for assertions."""

    def __init__(self, registrations: list[Registration], outputs: Mapping[str, Any],
                 stack_transforms: list[Callable] | None = None):
        self.all = registrations
        self.outputs = outputs
        self.stack_transforms = stack_transforms or []

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.all if r.type == type_]

    def named(self, name: str, type_: str | None = None) -> Registration:
        found = [r for r in self.all if r.name == name and (type_ is None or r.type == type_)]
        assert len(found) == 1, f"expected one resource named {name}, found {len(found)}"
        return found[0]

    def kind(self, kind: str) -> list[Registration]:
        """Kubernetes objects (plain or custom) whose type token ends with `:<kind>`."""
        return [r for r in self.all if r.type.startswith("kubernetes:") and
                r.type.rsplit(":", 1)[-1] == kind]

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.all:
            counts[r.type] = counts.get(r.type, 0) + 1
        return dict(sorted(counts.items()))


def reveal(value: Any) -> Any:
    """The plain value inside a secret marker (or the value itself)."""
    if is_secret(value):
        return value["value"]
    return value


def is_secret(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get(rpc._special_sig_key) == rpc._special_secret_sig


def strings(value: Any) -> Iterator[str]:
    """Every string anywhere in a nested structure of dicts and lists (keys left out)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def stack_file_config(stack: str) -> dict[str, Any]:
    """The `idp:*` values a shipped stack file sets, keyed without the namespace, plus the
    secrets an operator sets for it (test values from tests/fixtures/stack-secrets.yaml)."""
    data = yaml.safe_load((REPO / f"Pulumi.{stack}.yaml").read_text())["config"]
    values = {key.split(":", 1)[1]: value for key, value in data.items()}
    values.update(stack_test_secrets(stack))
    return values


def stack_config(stack: str, edit: Callable[[dict], object] | None = None,
                 **changes: Any) -> dict[str, Any]:
    """The one config builder tests start from: a fresh copy of a shipped stack's config,
    top-level keys replaced by `changes`, then `edit` applied (it may change nested values)."""
    config = copy.deepcopy(stack_file_config(stack))
    config.update(copy.deepcopy(changes))
    if edit is not None:
        edit(config)
    return config


def with_changes(base: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of `base` with top-level keys replaced."""
    config = copy.deepcopy(dict(base))
    config.update(copy.deepcopy(changes))
    return config


def edit(base: Mapping[str, Any], edit_fn: Callable[[dict], object]) -> dict[str, Any]:
    """A copy of `base` changed by `edit_fn` (in place, nested values included)."""
    config = copy.deepcopy(dict(base))
    edit_fn(config)
    return config


def expect_config_error(config: Mapping[str, Any], stack: str = "dev",
                        secret_keys: Iterable[str] = ()) -> str:
    """Run the program; assert it failed with a ConfigError before registering anything (and
    that it prints without a traceback); return the message."""
    from components.configschema import ConfigError

    registry, error = run_program_capturing(config, stack, secret_keys)
    assert isinstance(error, ConfigError), f"expected a ConfigError, got {error!r}"
    assert isinstance(error, pulumi.RunError), "ConfigError must print without a traceback"
    assert registry.all == [], ("resources were registered before the config error: "
                                + ", ".join(r.name for r in registry.all))
    return str(error)


def stack_test_secrets(stack: str) -> dict[str, Any]:
    """The test stand-ins for a shipped stack's secret config, as nested top-level keys."""
    secrets: dict[str, Any] = {}
    for path, value in (yaml.safe_load(STACK_SECRETS.read_text()).get(stack) or {}).items():
        *parents, leaf = path.split(".")
        node = secrets
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return secrets


def parse_test_config(config: Mapping[str, Any], stack: str, secret_keys: Iterable[str] = ()):
    """Validate `config` the way the program does, the shipped stack's test secrets (where
    unchanged) and `secret_keys` marked secret as the engine would."""
    from components.topology import config_model

    return config_model().parse(config, secret_keys=frozenset(
        f"idp:{key}" for key, value in stack_test_secrets(stack).items()
        if config.get(key) == value) | {f"idp:{key}" for key in secret_keys})


def parse_stack_file(stack: str):
    """A shipped stack's validated config."""
    return parse_test_config(stack_file_config(stack), stack)


def as_engine_config(values: Mapping[str, Any]) -> dict[str, str]:
    """Config as the engine hands it to a program: strings, objects and lists as JSON."""
    encoded = {}
    for key, value in values.items():
        if isinstance(value, str):
            encoded[f"idp:{key}"] = value
        elif isinstance(value, bool):
            encoded[f"idp:{key}"] = "true" if value else "false"
        else:
            encoded[f"idp:{key}"] = json.dumps(value)
    return encoded


def run_program(config: Mapping[str, Any], stack: str = "dev", secret_keys: Iterable[str] = (),
                program: Callable[[], Mapping[str, Any] | None] | None = None) -> Registry:
    """Run `program` (default: the project's own composition) with `config` under mocks."""
    registry, error = run_program_capturing(config, stack, secret_keys, program)
    if error is not None:
        raise error
    return registry


def run_program_capturing(config: Mapping[str, Any], stack: str = "dev",
                          secret_keys: Iterable[str] = (),
                          program: Callable[[], Mapping[str, Any] | None] | None = None,
                          ) -> tuple[Registry, BaseException | None]:
    """Like `run_program`, but returns the error (if any) with what was registered before it.

    The program's own composition is deterministic, so a run of the same config, stack and
    secret keys is recorded once per test process and handed back again (tests only read a
    Registry, as they already do with the session-wide dev and prod ones)."""
    secret_keys = tuple(secret_keys)
    if program is None:
        key = (stack, json.dumps(config, sort_keys=True, default=str), tuple(sorted(secret_keys)))
        if key not in _RUNS:
            _RUNS[key] = _run_capturing(config, stack, secret_keys, None)
        return _RUNS[key]
    return _run_capturing(config, stack, secret_keys, program)


_RUNS: dict[tuple[str, str, tuple[str, ...]], tuple[Registry, BaseException | None]] = {}


def _run_capturing(config: Mapping[str, Any], stack: str, secret_keys: Iterable[str],
                   program: Callable[[], Mapping[str, Any] | None] | None,
                   ) -> tuple[Registry, BaseException | None]:
    from components.topology import compose, config_model

    def default_program() -> Mapping[str, Any]:
        return compose(config_model().load(), pulumi.get_stack(), REPO).outputs()

    settings.ROOT.set(None)
    monitor = RecordingMonitor(Mocks())
    pulumi.runtime.set_mocks(Mocks(), project="idp", stack=stack, preview=False, monitor=monitor)
    settings.SETTINGS.callbacks = monitor.callbacks
    # The shipped stacks' secrets stay secret config wherever a test hands them on unchanged.
    secret_keys = set(secret_keys) | {key for key, value in stack_test_secrets(stack).items()
                                      if config.get(key) == value}
    pulumi.runtime.set_all_config(as_engine_config(config),
                                  [f"idp:{k}" for k in secret_keys])
    outputs: dict[str, Any] = {}

    def body() -> None:
        result = (program or default_program)()
        if result:
            outputs.update(result)

    error = None
    try:
        with _without_source_positions():
            _sync_await(run_pulumi_func(body))
    except (Exception, SystemExit) as raised:  # handed back to the test to assert on
        error = raised
    return Registry(monitor.registrations, outputs, monitor.callbacks.stack_transforms), error


@contextlib.contextmanager
def _without_source_positions() -> Iterator[None]:
    """The SDK walks the Python stack at every registration to tell the engine where the
    resource was declared; the mocks never read it, and it is a tenth of a run's time."""
    walk = getattr(resource_runtime, "_get_stack_trace", None)
    if walk is None:  # another SDK: leave it as it is
        yield
        return
    resource_runtime._get_stack_trace = source_pb2.StackTrace
    try:
        yield
    finally:
        resource_runtime._get_stack_trace = walk
