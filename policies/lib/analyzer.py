"""Decode each resource's properties once per analysis, not once per policy.

pulumi-policy (1.21) converts a resource's properties from protobuf to Python (MessageToDict,
deserialize_properties, then a checking proxy) inside its loops over the pack's policies: in
Analyze once per resource policy (7 and 9 in our packs), in AnalyzeStack once per stack policy
for every resource of the stack (and each resource's provider too). On the real charts, whose
CRDs carry multi-MB schemas, that repeated decoding was most of the packs' CPU. Each step is a
pure function of its input, so within one call (one Analyze or AnalyzeStack request, served on
one thread) results are remembered by input object and forgotten when the call returns: a
stack of any size is decoded once per call, and nothing outlives the request.

The policies of one call then share one decoded object: policies read properties, they never
change them (tests/policies/test_analyzer.py keeps this working with the pinned SDK).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

import pulumi_policy.policy as sdk

# The memo of the call the current thread serves (the analyzer serves each call on one thread).
_calls = threading.local()


class _Memo:
    """Results by the identity of their input, holding the input so its id is not reused."""

    def __init__(self) -> None:
        self.entries: dict[tuple[int, Any], tuple[Any, Any]] = {}

    def get(self, value: Any, extra: Any, compute: Callable[[], Any]) -> Any:
        key = (id(value), extra)
        entry = self.entries.get(key)
        if entry is not None and entry[0] is value:
            return entry[1]
        result = compute()
        self.entries[key] = (value, result)
        return result


def _remembered(value: Any, extra: Any, compute: Callable[[], Any]) -> Any:
    memo = getattr(_calls, "memo", None)
    return compute() if memo is None else memo.get(value, extra, compute)


def _one_memo_per_call(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: Any, request: Any, context: Any) -> Any:
        _calls.memo = _Memo()
        try:
            return method(self, request, context)
        finally:
            _calls.memo = None

    return call


class _JsonFormat:
    """The SDK's view of google.protobuf.json_format, MessageToDict remembered."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def MessageToDict(self, message: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N802
        if args or kwargs:
            return self._real.MessageToDict(message, *args, **kwargs)
        return _remembered(message, "dict", lambda: self._real.MessageToDict(message))


def decode_once() -> None:
    """Make the SDK's analyzer decode a resource's properties once per call (idempotent)."""
    if isinstance(sdk.json_format, _JsonFormat):
        return
    deserialize, proxy = sdk.deserialize_properties, sdk.unknown_checking_proxy

    def deserialize_once(props: dict[str, Any], proxy_secrets: bool = False) -> dict[str, Any]:
        return _remembered(
            props, ("deserialized", proxy_secrets), lambda: deserialize(props, proxy_secrets)
        )

    def proxy_once(props: dict[str, Any]) -> dict[str, Any]:
        return _remembered(props, "proxy", lambda: proxy(props))

    sdk.json_format = _JsonFormat(sdk.json_format)
    sdk.deserialize_properties = deserialize_once
    sdk.unknown_checking_proxy = proxy_once
    servicer = sdk._PolicyAnalyzerServicer
    for name in ("Analyze", "AnalyzeStack"):
        setattr(servicer, name, _one_memo_per_call(getattr(servicer, name)))
