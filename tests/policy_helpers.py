"""Run a CrossGuard policy's validator directly, without the CLI or a policy server."""

from __future__ import annotations

import inspect
from typing import Any, Iterable, Mapping, Sequence

from pulumi_policy import (PolicyProviderResource, PolicyResource, PolicyResourceOptions,
                           ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs,
                           StackValidationPolicy)
from pulumi_policy.policy import PolicyCustomTimeouts, _NotApplicableError
from pulumi_policy.proxy import unknown_checking_proxy


def urn_of(resource_type: str, name: str, parents: Sequence[str] = ()) -> str:
    """A URN shaped like the engine's: the parents' types, then the resource's, joined by $."""
    return f"urn:pulumi:test::idp::{'$'.join([*parents, resource_type])}::{name}"


def _options() -> PolicyResourceOptions:
    return PolicyResourceOptions(protect=False, ignore_changes=[], delete_before_replace=None,
                                 aliases=[], custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
                                 additional_secret_outputs=[])


def kubernetes_provider(name: str = "platform", **props: Any) -> PolicyProviderResource:
    """The provider of one cluster, as the policy server describes it."""
    return PolicyProviderResource("pulumi:providers:kubernetes", unknown_checking_proxy(props),
                                  urn_of("pulumi:providers:kubernetes", name), name)


def provider_of(registration: Any, registrations: Iterable[Any]) -> PolicyProviderResource | None:
    """The explicit provider of a mock registration (tests/harness.py), as the policy server
    describes it; the registration names it as `<urn>::<id>`."""
    urn = registration.provider.rsplit("::", 1)[0] if registration.provider else ""
    for candidate in registrations:
        if candidate.urn == urn:
            return PolicyProviderResource(candidate.type, unknown_checking_proxy(
                dict(candidate.inputs)), urn, candidate.name)
    return None


def resource_args(resource_type: str, props: Mapping[str, Any], name: str = "subject",
                  config: Mapping[str, Any] | None = None, urn: str | None = None,
                  provider: PolicyProviderResource | None = None) -> ResourceValidationArgs:
    # The same proxy the policy server wraps props in, so unknown values raise as in preview.
    return ResourceValidationArgs(resource_type, unknown_checking_proxy(dict(props)),
                                  urn or urn_of(resource_type, name), name, _options(), provider,
                                  dict(config or {}))


def violations(policy: ResourceValidationPolicy, resource_type: str,
               props: Mapping[str, Any], **kwargs: Any) -> list[str]:
    """The messages `policy` reports for one resource."""
    found: list[str] = []
    args = resource_args(resource_type, props, **kwargs)
    validators = policy.validate if isinstance(policy.validate, list) else [policy.validate]
    for validate in validators:
        result = validate(args, lambda message, urn=None: found.append(message))
        assert not inspect.isawaitable(result)
    return found


def policy_resource(resource_type: str, props: Mapping[str, Any], name: str = "subject",
                    urn: str | None = None,
                    provider: PolicyProviderResource | None = None) -> PolicyResource:
    """One resource of a stack, as a stack policy sees it."""
    return PolicyResource(resource_type, unknown_checking_proxy(dict(props)),
                          urn or urn_of(resource_type, name), name, _options(), provider, None,
                          [], {})


def run_stack_policy(policy: StackValidationPolicy, resources: Iterable[PolicyResource],
                     config: Mapping[str, Any] | None = None) -> tuple[list[str], str | None]:
    """The messages a stack policy reports, and its reason if it declares itself not
    applicable to the stack."""
    found: list[str] = []
    args = StackValidationArgs(list(resources), dict(config or {}))
    try:
        result = policy.validate(args, lambda message, urn=None: found.append(message))
    except _NotApplicableError as skipped:
        return found, skipped.reason or "not applicable"
    assert not inspect.isawaitable(result)
    return found, None


def stack_violations(policy: StackValidationPolicy, resources: Iterable[PolicyResource],
                     config: Mapping[str, Any] | None = None) -> list[str]:
    """The messages a stack policy reports for `resources` (none when not applicable)."""
    return run_stack_policy(policy, resources, config)[0]


def deployment(image: str = "registry.example.com/app:v1.2.3", resources: Any = None,
               name: str = "app") -> dict:
    container = {"name": "app", "image": image}
    if resources is not None:
        container["resources"] = resources
    return {"metadata": {"name": name, "namespace": "team-a"},
            "spec": {"template": {"spec": {"containers": [container]}}}}


FULL_RESOURCES = {"requests": {"cpu": "100m", "memory": "128Mi"},
                  "limits": {"cpu": "500m", "memory": "256Mi"}}
