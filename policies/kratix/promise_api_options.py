"""Too many API options, or options without a sensible default, confuse developers (seed
anti-pattern "API에 옵션 과다 노출": reasonable defaults and a minimal set of options)."""

from __future__ import annotations

from collections.abc import Mapping

from pulumi_policy import PolicyConfigSchema, ReportViolation, ResourceValidationArgs, Severity

from policies.lib import kube, promises
from policies.lib.metadata import resource_policy, setting

CONFIG = PolicyConfigSchema(
    properties={
        "maxOptions": {
            "type": "integer",
            "minimum": 1,
            "default": 7,
            "description": "most top-level spec properties a Promise API may expose",
        }
    }
)


def options_without_default(spec_schema: Mapping) -> list[str]:
    """Top-level options that are optional yet have neither a default nor an enum."""
    required = kube.known_list(spec_schema, "required")
    if required is kube.UNKNOWN:
        return []  # cannot tell which options are optional yet
    required = set(required or ())
    options = kube.dig(spec_schema, "properties")
    missing = []
    for option in options if isinstance(options, Mapping) else ():
        if option in required:
            continue  # the developer must give it; a default would defeat that
        schema = kube.lookup(options, option)
        if schema is kube.UNKNOWN:
            continue
        if all(kube.lookup(schema, key) is None for key in ("default", "enum")):
            missing.append(option)
    return missing


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != promises.PROMISE:
        return
    max_options = int(setting(args, CONFIG, "maxOptions"))
    promise = kube.name_of(args.props, args.name)
    for version, spec_schema in promises.api_versions(args.props):
        options = kube.dig(spec_schema, "properties")
        if isinstance(options, Mapping) and len(options) > max_options:
            report_violation(
                f"Promise '{promise}' API {version} exposes {len(options)} options "
                f"(at most {max_options}): {', '.join(sorted(options))}"
            )
        missing = options_without_default(spec_schema)
        if missing:
            report_violation(
                f"Promise '{promise}' API {version} options without a default or "
                f"enum: {', '.join(missing)}"
            )


POLICY = resource_policy(
    "kratix-promise-api-options",
    "A Promise API exposes at most maxOptions (default 7) top-level spec options, and every "
    "option has a default or an enum; options the schema lists as required are exempt from the "
    "default/enum rule. Nested objects are judged by their top-level option only.",
    severity=Severity.LOW,
    remediation="Keep the API to the few choices developers really make; give every optional "
    "field a sensible default or a short enum (size: small|medium|large) and derive "
    "the rest in the pipeline.",
    validate=validate,
    config_schema=CONFIG,
)
