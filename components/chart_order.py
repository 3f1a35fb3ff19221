"""Helm post-renderer: a chart's workloads wait for the ServiceAccounts they run as, and its
aggregated ClusterRoles outlive the roles they aggregate.

The provider registers a chart's objects in dependency order, but only CRDs before their custom
resources and Namespaces before what lives in them (plus `config.kubernetes.io/depends-on`
annotations). A Deployment applied before its ServiceAccount gets its pods refused by the
ServiceAccount admission plugin, and the ReplicaSet controller's back-off can keep them away
for longer than the apply waits. This adds the annotation, so each workload of the chart is
applied after the ServiceAccount it names when the same chart renders that ServiceAccount.

Kubernetes' ClusterRole aggregation controller writes an aggregated role's rules by server-side
apply whenever a role it selects changes. Deleted together, a role it selects can be seen going
away while its informer still holds the aggregated role, and the apply re-creates the aggregated
role after the destroy has removed it (seen on a prod worker: `kyverno:background-controller`
left behind). So each role an aggregated role of the same chart selects is annotated to depend on
it: applied after it, deleted before it.

Helm runs it as `python3 components/chart_order.py NAMESPACE [--crds=without|only]` from the
project directory (manifests on stdin, out on stdout); NAMESPACE is the release's, where the
provider puts objects that name none. With `--crds=without` the chart's CustomResourceDefinitions
are left out (the CRD stack applies them, docs/stacks.md); with `--crds=only` nothing else is
passed on (that stack's own charts). Helm hands a post-renderer the CRDs of `crds/` too.
"""

from __future__ import annotations

import re
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
    """`documents` with each workload annotated to depend on its chart's ServiceAccount, and each
    ClusterRole an aggregated ClusterRole selects on that aggregated role."""
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
        if account and (where, account) in accounts:
            add_dependency(obj, f"/namespaces/{where}/ServiceAccount/{account}")
    edges = aggregation_edges(documents)
    for obj in documents:
        if obj.get("kind") != "ClusterRole":
            continue
        for selected, aggregated in sorted(edges):
            if obj["metadata"].get("name") == selected:
                add_dependency(obj, CLUSTER_ROLE_REFERENCE.format(aggregated))
    return documents


CLUSTER_ROLE_REFERENCE = "rbac.authorization.k8s.io/ClusterRole/{}"


def selects(selector: dict, labels: dict) -> bool:
    """Whether a ClusterRole selector (matchLabels; charts use no matchExpressions) takes `labels`."""
    wanted = selector.get("matchLabels") or {}
    return (
        bool(wanted)
        and not selector.get("matchExpressions")
        and all(labels.get(key) == value for key, value in wanted.items())
    )


def aggregation_edges(documents: list[dict]) -> set[tuple[str, str]]:
    """(selected role, aggregated role) for the chart's ClusterRoles, without mutual pairs."""
    roles = [
        d
        for d in documents
        if d.get("kind") == "ClusterRole" and isinstance(d.get("metadata"), dict)
    ]
    edges = set()
    for aggregated in roles:
        selectors = (aggregated.get("aggregationRule") or {}).get("clusterRoleSelectors") or []
        for role in roles:
            if role is aggregated:
                continue
            labels = role["metadata"].get("labels") or {}
            if any(selects(selector, labels) for selector in selectors):
                edges.add((role["metadata"]["name"], aggregated["metadata"]["name"]))
    return {(a, b) for a, b in edges if (b, a) not in edges}


def add_dependency(obj: dict, reference: str) -> None:
    meta = obj.setdefault("metadata", {})
    annotations = dict(meta.get("annotations") or {})
    existing = [r for r in (annotations.get(DEPENDS_ON) or "").split(",") if r]
    if reference not in existing:
        annotations[DEPENDS_ON] = ",".join([*existing, reference])
    meta["annotations"] = annotations


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


# Only these documents are read: the rest (CRDs of megabytes among them) go out untouched.
RELEVANT_KIND = re.compile(
    r"^kind:\s*(ServiceAccount|ClusterRole|" + "|".join(POD_TEMPLATES) + r")\s*$", re.MULTILINE
)
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def parse(text: str) -> dict | None:
    if not RELEVANT_KIND.search(text):
        return None
    try:
        loaded = yaml.load(text, Loader=Loader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError:
        return None  # not a workload or ServiceAccount we could read: passed on as it is
    return loaded if isinstance(loaded, dict) else None


# A document's own kind is the unindented `kind:` line; nested ones are indented.
CRD_KIND = re.compile(r"^kind:\s*CustomResourceDefinition\s*$", re.MULTILINE)
CRD_MODES = ("without", "only")


def is_crd(text: str) -> bool:
    return bool(CRD_KIND.search(text))


def crd_mode(arguments: list[str]) -> str | None:
    """`--crds=without|only` from the arguments, or None (every document passes)."""
    for argument in arguments:
        if argument.startswith("--crds="):
            mode = argument.removeprefix("--crds=")
            if mode not in CRD_MODES:
                sys.exit(f"components/chart_order.py: --crds must be one of {CRD_MODES}")
            return mode
    return None


def dump(document: dict) -> str:
    return yaml.dump(document, Dumper=Dumper, sort_keys=False)


def main() -> int:
    positional = [a for a in sys.argv[1:] if not a.startswith("--")]
    namespace = positional[0] if positional else "default"
    mode = crd_mode(sys.argv[1:])
    texts = split_documents(sys.stdin.read())
    if mode == "only":
        for text in texts:
            if is_crd(text):
                sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return 0
    if mode == "without":
        texts = [text for text in texts if not is_crd(text)]
    parsed = [parse(text) for text in texts]
    before = [dump(d) if d else "" for d in parsed]
    order([d for d in parsed if d], namespace)
    for text, document, original in zip(texts, parsed, before, strict=True):
        # Only documents this changed are written anew; the rest go out byte for byte.
        if document and dump(document) != original:
            sys.stdout.write("---\n" + dump(document))
        else:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
