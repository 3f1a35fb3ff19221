"""Decode each resource's properties once per analysis, not once per policy.

pulumi-policy (1.21) converts a resource's properties from protobuf to Python (MessageToDict,
deserialize_properties, then a checking proxy) inside its loops over the pack's policies: in
Analyze once per resource policy (7 and 9 in our packs), in AnalyzeStack once per stack policy
for every resource of the stack. On the real charts, whose CRDs carry multi-MB schemas, that
repeated decoding was most of the packs' CPU. Each step is a pure function of its input, so the
results are remembered by input object for the last few thousand inputs (a stack's resources,
for AnalyzeStack's loops), shared by the threads the analyzer serves calls on.

The policies of one call then share one decoded object: policies read properties, they never
change them (tests/policies/test_analyzer.py keeps this working with the pinned SDK).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import pulumi_policy.policy as sdk

# More than the largest stack's resources (prod: about 1,300), so AnalyzeStack's loops hit.
REMEMBERED = 4096


class _Memo:
    """Results by the identity of their input, holding the input so its id is not reused."""

    def __init__(self) -> None:
        self.entries: OrderedDict[tuple[int, Any], tuple[Any, Any]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, value: Any, extra: Any, compute: Callable[[], Any]) -> Any:
        key = (id(value), extra)
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None and entry[0] is value:
                self.entries.move_to_end(key)
                return entry[1]
        result = compute()
        with self.lock:
            self.entries[key] = (value, result)
            if len(self.entries) > REMEMBERED:
                self.entries.popitem(last=False)
        return result


class _JsonFormat:
    """The SDK's view of google.protobuf.json_format, MessageToDict remembered."""

    def __init__(self, real: Any, memo: _Memo) -> None:
        self._real, self._memo = real, memo

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def MessageToDict(self, message: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N802
        if args or kwargs:
            return self._real.MessageToDict(message, *args, **kwargs)
        return self._memo.get(message, "dict", lambda: self._real.MessageToDict(message))


def decode_once() -> None:
    """Make the SDK's analyzer decode a resource's properties once (idempotent)."""
    if isinstance(sdk.json_format, _JsonFormat):
        return
    memo = _Memo()
    deserialize, proxy = sdk.deserialize_properties, sdk.unknown_checking_proxy

    def deserialize_once(props: dict[str, Any], proxy_secrets: bool = False) -> dict[str, Any]:
        return memo.get(
            props, ("deserialized", proxy_secrets), lambda: deserialize(props, proxy_secrets)
        )

    def proxy_once(props: dict[str, Any]) -> dict[str, Any]:
        return memo.get(props, "proxy", lambda: proxy(props))

    sdk.json_format = _JsonFormat(sdk.json_format, memo)
    sdk.deserialize_properties = deserialize_once
    sdk.unknown_checking_proxy = proxy_once
