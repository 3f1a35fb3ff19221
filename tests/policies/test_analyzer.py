"""The packs' analyzer decodes a resource's properties once per call (policies/lib/analyzer.py),
with the pinned pulumi-policy: one decoded object for all the policies of a call and for every
pass of AnalyzeStack over a stack of any size, the SDK's own results, nothing kept between
calls."""

from __future__ import annotations

import inspect

import pulumi_policy.policy as sdk
from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2

from policies.lib.analyzer import decode_once

# More resources than the bounded memo this replaced could hold (it thrashed on prod's 1,333).
STACK_SIZE = 3000


def resource(index: int) -> analyzer_pb2.AnalyzerResource:
    message = analyzer_pb2.AnalyzerResource(type="kubernetes:core/v1:ConfigMap",
                                            urn=f"urn:pulumi:dev::idp::cm::cm-{index}",
                                            name=f"cm-{index}")
    message.properties.update({"kind": "ConfigMap", "metadata": {"name": f"cm-{index}"}})
    message.provider.properties.update({"context": "idp-dev-platform"})
    return message


def servicer(policies: list) -> sdk._PolicyAnalyzerServicer:
    decode_once()
    return sdk._PolicyAnalyzerServicer("test", "1.0.0", policies, sdk.EnforcementLevel.ADVISORY)


def stack_recorder(seen: list[dict], name: str) -> sdk.StackValidationPolicy:
    def validate(args, report_violation) -> None:
        seen.append({r.urn: r.props for r in args.resources})

    return sdk.StackValidationPolicy(name=name, description=name, validate=validate)


def test_the_sdk_still_decodes_per_policy_through_the_names_we_replace():
    # If an SDK upgrade moves the decoding, this fails instead of the memo silently not applying.
    for method in (sdk._PolicyAnalyzerServicer.Analyze, sdk._PolicyAnalyzerServicer.AnalyzeStack):
        source = inspect.getsource(inspect.unwrap(method))
        assert "for policy in self.__policies" in source
        assert "deserialize_properties(json_format.MessageToDict(" in source


def test_every_stack_policy_sees_one_decoded_object_per_resource_of_a_large_stack():
    seen: list[dict] = []
    analyzer = servicer([stack_recorder(seen, f"stack-{i}") for i in range(3)])
    request = analyzer_pb2.AnalyzeStackRequest()
    request.resources.extend(resource(i) for i in range(STACK_SIZE))
    analyzer.AnalyzeStack(request, None)
    first, second, third = seen
    assert len(first) == STACK_SIZE
    assert all(second[urn] is props and third[urn] is props for urn, props in first.items())
    # What the policies read is the SDK's own decoding, still behind its checking proxy.
    props = first["urn:pulumi:dev::idp::cm::cm-7"]
    assert props["metadata"]["name"] == "cm-7" and props["kind"] == "ConfigMap"
    assert isinstance(props, type(sdk.unknown_checking_proxy({})))

    # The next call decodes afresh: nothing is kept once a call returns.
    seen.clear()
    analyzer.AnalyzeStack(request, None)
    assert seen[0]["urn:pulumi:dev::idp::cm::cm-7"] is not props


def test_the_resource_policies_of_one_call_share_its_decoded_properties():
    seen: list = []

    def validate(args, report_violation) -> None:
        seen.append(args.props)

    policies = [sdk.ResourceValidationPolicy(name=f"resource-{i}", description="d",
                                             validate=validate) for i in range(2)]
    analyzer = servicer(policies)
    message = resource(1)
    request = analyzer_pb2.AnalyzeRequest(type=message.type, urn=message.urn, name=message.name)
    request.properties.CopyFrom(message.properties)
    analyzer.Analyze(request, None)
    assert len(seen) == 2 and seen[0] is seen[1]
    assert seen[0]["metadata"]["name"] == "cm-1"


def test_decoding_outside_a_call_and_other_json_format_uses_pass_through():
    decode_once()
    decode_once()  # idempotent: the servicer's calls are wrapped once
    assert inspect.unwrap(sdk._PolicyAnalyzerServicer.Analyze).__name__ == "Analyze"
    assert sdk._PolicyAnalyzerServicer.Analyze.__wrapped__.__name__ == "Analyze"
    assert not hasattr(sdk._PolicyAnalyzerServicer.Analyze.__wrapped__, "__wrapped__")
    message = resource(2).properties
    decoded = sdk.deserialize_properties(sdk.json_format.MessageToDict(message))
    assert decoded == {"kind": "ConfigMap", "metadata": {"name": "cm-2"}}
    assert sdk.json_format.ParseDict is json_format.ParseDict
