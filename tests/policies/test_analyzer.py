"""The packs' analyzer decodes a resource's properties once per call (policies/lib/analyzer.py),
with the pinned pulumi-policy: same results as the SDK's own decoding, one decode for all the
policies of a call and for AnalyzeStack's loops, distinct messages never confused."""

from __future__ import annotations

import inspect

import pulumi_policy.policy as sdk
from google.protobuf import json_format, struct_pb2

from policies.lib.analyzer import decode_once


def struct(value: dict) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(value)
    return message


def test_the_sdk_still_decodes_per_policy_through_the_names_we_replace():
    # If an SDK upgrade moves the decoding, this fails instead of the memo silently not applying.
    source = inspect.getsource(sdk._PolicyAnalyzerServicer.Analyze)
    assert "for policy in self.__policies" in source
    assert "deserialize_properties(json_format.MessageToDict(request.properties))" in source


def test_one_decode_per_message_with_the_sdks_results():
    decode_once()
    decode_once()  # idempotent: wrapping twice would still work, but does not happen
    crd = struct({"kind": "CustomResourceDefinition", "spec": {"names": {"kind": "Widget"}},
                  "count": 3})
    first = sdk.deserialize_properties(sdk.json_format.MessageToDict(crd))
    again = sdk.deserialize_properties(sdk.json_format.MessageToDict(crd))
    assert again is first
    assert first == {"kind": "CustomResourceDefinition", "spec": {"names": {"kind": "Widget"}},
                     "count": 3}
    other = sdk.deserialize_properties(sdk.json_format.MessageToDict(struct({"kind": "Pod"})))
    assert other == {"kind": "Pod"} and other is not first
    # Other uses of json_format pass through untouched.
    assert sdk.json_format.ParseDict is json_format.ParseDict


def test_a_stacks_resources_each_decode_once_across_its_stack_policies():
    decode_once()
    resources = [struct({"kind": "ConfigMap", "metadata": {"name": f"cm-{i}"}}) for i in range(50)]
    first = [sdk.deserialize_properties(sdk.json_format.MessageToDict(r)) for r in resources]
    again = [sdk.deserialize_properties(sdk.json_format.MessageToDict(r)) for r in resources]
    assert all(a is b for a, b in zip(first, again))
    assert [d["metadata"]["name"] for d in first] == [f"cm-{i}" for i in range(50)]
    # The checking proxy the policies see is shared too, and still checks.
    assert sdk.unknown_checking_proxy(first[0]) is sdk.unknown_checking_proxy(first[0])
    assert sdk.unknown_checking_proxy(first[0])["metadata"]["name"] == "cm-0"
