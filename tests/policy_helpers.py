"""Run a CrossGuard policy's validator directly, without the CLI or a policy server."""

from __future__ import annotations

import inspect
from typing import Any, Mapping

from pulumi_policy import (PolicyResourceOptions, ResourceValidationArgs,
                           ResourceValidationPolicy)
from pulumi_policy.policy import PolicyCustomTimeouts
from pulumi_policy.proxy import unknown_checking_proxy


def resource_args(resource_type: str, props: Mapping[str, Any], name: str = "subject",
                  config: Mapping[str, Any] | None = None) -> ResourceValidationArgs:
    opts = PolicyResourceOptions(protect=False, ignore_changes=[], delete_before_replace=None,
                                 aliases=[], custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
                                 additional_secret_outputs=[])
    # The same proxy the policy server wraps props in, so unknown values raise as in preview.
    return ResourceValidationArgs(resource_type, unknown_checking_proxy(dict(props)),
                                  f"urn:pulumi:test::idp::{resource_type}::{name}", name, opts,
                                  None, dict(config or {}))


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


def deployment(image: str = "registry.example.com/app:v1.2.3", resources: Any = None,
               name: str = "app") -> dict:
    container = {"name": "app", "image": image}
    if resources is not None:
        container["resources"] = resources
    return {"metadata": {"name": name, "namespace": "team-a"},
            "spec": {"template": {"spec": {"containers": [container]}}}}


FULL_RESOURCES = {"requests": {"cpu": "100m", "memory": "128Mi"},
                  "limits": {"cpu": "500m", "memory": "256Mi"}}
