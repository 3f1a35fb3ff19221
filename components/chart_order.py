"""Helm post-renderer: a chart's workloads wait for the ServiceAccounts they run as.

The provider registers a chart's objects in dependency order, but only CRDs before their custom
resources and Namespaces before what lives in them (plus `config.kubernetes.io/depends-on`
annotations). A Deployment applied before its ServiceAccount gets its pods refused by the
ServiceAccount admission plugin, and the ReplicaSet controller's back-off can keep them away
for longer than the apply waits. This adds the annotation, so each workload of the chart is
applied after the ServiceAccount it names when the same chart renders that ServiceAccount.

Helm runs it as `python3 components/chart_order.py` (manifests on stdin, out on stdout).
"""

from __future__ import annotations

import sys

import yaml

DEPENDS_ON = "config.kubernetes.io/depends-on"
POD_TEMPLATES = {"Deployment": ("spec", "template"), "StatefulSet": ("spec", "template"),
                 "DaemonSet": ("spec", "template"), "Job": ("spec", "template"),
                 "CronJob": ("spec", "jobTemplate", "spec", "template"),
                 "ReplicaSet": ("spec", "template")}


def pod_spec(obj: dict) -> dict | None:
    node: object = obj
    for key in POD_TEMPLATES.get(obj.get("kind", ""), ()) + ("spec",):
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else None


def order(documents: list[dict]) -> list[dict]:
    """`documents` with each workload annotated to depend on its chart's ServiceAccount."""
    accounts = {(d.get("metadata", {}).get("namespace"), d["metadata"]["name"])
                for d in documents if d.get("kind") == "ServiceAccount" and d.get("metadata")}
    for obj in documents:
        spec = pod_spec(obj)
        if spec is None:
            continue
        meta = obj.setdefault("metadata", {})
        account = spec.get("serviceAccountName") or spec.get("serviceAccount")
        key = (meta.get("namespace"), account)
        if account and key in accounts:
            annotations = meta.setdefault("annotations", None) or {}
            reference = f"/namespaces/{meta.get('namespace')}/ServiceAccount/{account}" \
                if meta.get("namespace") else f"/ServiceAccount/{account}"
            existing = [r for r in (annotations.get(DEPENDS_ON) or "").split(",") if r]
            if reference not in existing:
                annotations[DEPENDS_ON] = ",".join([*existing, reference])
            meta["annotations"] = annotations
    return documents


def main() -> int:
    documents = [d for d in yaml.safe_load_all(sys.stdin) if d]
    sys.stdout.write(yaml.safe_dump_all(order(documents), sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
