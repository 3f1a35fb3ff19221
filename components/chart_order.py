"""Helm post-renderer: a chart's workloads wait for the ServiceAccounts they run as.

The provider registers a chart's objects in dependency order, but only CRDs before their custom
resources and Namespaces before what lives in them (plus `config.kubernetes.io/depends-on`
annotations). A Deployment applied before its ServiceAccount gets its pods refused by the
ServiceAccount admission plugin, and the ReplicaSet controller's back-off can keep them away
for longer than the apply waits. This adds the annotation, so each workload of the chart is
applied after the ServiceAccount it names when the same chart renders that ServiceAccount.

Helm runs it as `python3 components/chart_order.py NAMESPACE` from the project directory
(manifests on stdin, out on stdout); NAMESPACE is the release's, where the provider puts
objects that name none.
"""

from __future__ import annotations

import sys

try:
    import yaml
except ImportError:  # the provider found a python3 outside the project's virtualenv
    sys.exit(
        "components/chart_order.py: python3 on PATH has no PyYAML; run pulumi with the "
        "project's virtualenv active (source .venv/bin/activate)"
    )

DEPENDS_ON = "config.kubernetes.io/depends-on"
POD_TEMPLATES = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
    "ReplicaSet": ("spec", "template"),
}


def pod_spec(obj: dict) -> dict | None:
    node: object = obj
    for key in POD_TEMPLATES.get(obj.get("kind", ""), ()) + ("spec",):
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else None


def order(documents: list[dict], namespace: str) -> list[dict]:
    """`documents` with each workload annotated to depend on its chart's ServiceAccount."""
    accounts = {
        (d["metadata"].get("namespace") or namespace, d["metadata"].get("name"))
        for d in documents
        if d.get("kind") == "ServiceAccount" and isinstance(d.get("metadata"), dict)
    }
    for obj in documents:
        spec = pod_spec(obj)
        if spec is None:
            continue
        meta = obj.setdefault("metadata", {})
        account = spec.get("serviceAccountName") or spec.get("serviceAccount")
        where = meta.get("namespace") or namespace
        if not account or (where, account) not in accounts:
            continue
        annotations = dict(meta.get("annotations") or {})
        reference = f"/namespaces/{where}/ServiceAccount/{account}"
        existing = [r for r in (annotations.get(DEPENDS_ON) or "").split(",") if r]
        if reference not in existing:
            annotations[DEPENDS_ON] = ",".join([*existing, reference])
        meta["annotations"] = annotations
    return documents


def split_documents(text: str) -> list[str]:
    """The YAML documents of Helm's output, as their own text."""
    documents: list[str] = []
    current: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.rstrip() == "---" and current:
            documents.append("".join(current))
            current = []
        current.append(line)
    if current:
        documents.append("".join(current))
    return documents


def parse(text: str) -> dict | None:
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError:
        return None  # not a workload or ServiceAccount we could read: passed on as it is
    return loaded if isinstance(loaded, dict) else None


def main() -> int:
    namespace = sys.argv[1] if len(sys.argv) > 1 else "default"
    texts = split_documents(sys.stdin.read())
    parsed = [parse(text) for text in texts]
    before = [yaml.safe_dump(d, sort_keys=False) if d else "" for d in parsed]
    order([d for d in parsed if d], namespace)
    for text, document, original in zip(texts, parsed, before, strict=False):
        # Only documents this changed are written anew; the rest go out byte for byte.
        if document and yaml.safe_dump(document, sort_keys=False) != original:
            sys.stdout.write("---\n" + yaml.safe_dump(document, sort_keys=False))
        else:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
