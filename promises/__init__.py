"""Promises as code: one folder per promise (its definition, example requests, pipeline and
Dockerfile), and `all_promises()` for everything that builds on them (the KratixPromise
component, Backstage templates, the catalog).

A new promise plugs in by adding `promises/<name>/api.py` defining `DEFINITION` (a
`PromiseDefinition`, pure Python) and listing the module in `PROMISE_MODULES`.
"""

from __future__ import annotations

import importlib

# Definition modules, in install order.
PROMISE_MODULES = ("promises.postgresql.api", "promises.redis.api", "promises.objectstorage.api")


def all_promises() -> list:
    """Every promise's `PromiseDefinition`, in install order."""
    return [importlib.import_module(module).DEFINITION for module in PROMISE_MODULES]
