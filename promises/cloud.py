"""The composite APIs the cloud-backed promises emit: installed by the CloudResources layer
wherever Crossplane runs, so a composite a pipeline writes always finds its XRD and
Composition on its destination."""

from __future__ import annotations

import importlib

from promises import all_promises

# Composite API modules (each with `xrd()` and `composition()`), one per cloud-backed promise.
COMPOSITE_API_MODULES = ("promises.objectstorage.composite_api",)


def cloud_promises() -> list:
    """Definitions of the promises whose pipelines need the Crossplane layer."""
    return [d for d in all_promises() if d.cloud_backed]


def composite_apis() -> list[dict]:
    """Every XRD, then every Composition (a Composition needs its XRD's type)."""
    modules = [importlib.import_module(name) for name in COMPOSITE_API_MODULES]
    return [m.xrd() for m in modules] + [m.composition() for m in modules]
