"""The Helm post-renderer orders a chart's workloads after the ServiceAccounts they run as."""

from __future__ import annotations

import subprocess
import sys

import yaml

from components import charts
from components.chart_order import DEPENDS_ON, order
from tests.harness import REPO, run_program, stack_file_config


def deployment(name: str, account: str | None, namespace: str | None = None) -> dict:
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    spec = {"containers": [{"name": "c", "image": "x:1"}]}
    if account:
        spec["serviceAccountName"] = account
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
            "spec": {"template": {"spec": spec}}}


def account(name: str, namespace: str | None = None) -> dict:
    return {"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": name, **({"namespace": namespace} if namespace else {})}}


def test_a_workload_depends_on_its_charts_service_account_in_the_release_namespace():
    docs = order([account("web"), deployment("web", "web"), deployment("other", "elsewhere"),
                  deployment("plain", None), account("job", "batch"),
                  deployment("job", "job", "batch")], "apps")
    annotations = {d["metadata"]["name"]: d["metadata"].get("annotations", {})
                   for d in docs if d["kind"] == "Deployment"}
    assert annotations["web"] == {DEPENDS_ON: "/namespaces/apps/ServiceAccount/web"}
    assert annotations["job"] == {DEPENDS_ON: "/namespaces/batch/ServiceAccount/job"}
    assert annotations["other"] == {} and annotations["plain"] == {}


def test_helm_runs_it_from_the_project_directory_on_every_chart():
    registry = run_program(stack_file_config("dev"), "dev")
    for chart in registry.of_type("kubernetes:helm.sh/v4:Chart"):
        # The CRDs are the CRD stack's (idp:crdStack, on by default).
        assert chart.get("postRenderer") == {
            "command": "python3",
            "args": [charts.ORDER_POST_RENDERER, chart.get("namespace"), "--crds=without"]}
    manifests = yaml.safe_dump_all([deployment("web", "web"), account("web")])
    result = subprocess.run([sys.executable, charts.ORDER_POST_RENDERER, "apps"], cwd=REPO,
                            input=manifests, capture_output=True, text=True, check=True)
    first = next(yaml.safe_load_all(result.stdout))
    assert first["metadata"]["annotations"][DEPENDS_ON] == "/namespaces/apps/ServiceAccount/web"


def test_documents_it_does_not_change_go_out_byte_for_byte():
    crd = "---\n# Source: crds.yaml\nkind: CustomResourceDefinition\nspec:\n  x:\n  - =\n"
    result = subprocess.run([sys.executable, charts.ORDER_POST_RENDERER, "apps"], cwd=REPO,
                            input=crd, capture_output=True, text=True, check=True)
    assert result.stdout == crd


def cluster_role(name: str, labels: dict, *selectors: dict) -> dict:
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": name, "labels": labels}, "rules": []}
    if selectors:
        role["aggregationRule"] = {"clusterRoleSelectors": [{"matchLabels": s} for s in selectors]}
    return role


def test_roles_an_aggregated_role_selects_are_deleted_before_it():
    # Kyverno's shape: the aggregated role selects by an aggregate-to label and by its own
    # component labels, which it carries itself.
    component = {"app.kubernetes.io/component": "background-controller"}
    docs = order([
        cluster_role("kyverno:background-controller", component,
                     {"rbac.kyverno.io/aggregate-to-background-controller": "true"}, component),
        cluster_role("kyverno:background-controller:core", component),
        cluster_role("kyverno:background-controller:extra",
                     {"rbac.kyverno.io/aggregate-to-background-controller": "true"}),
        cluster_role("unrelated", {"app.kubernetes.io/component": "reports-controller"}),
    ], "security")
    depends = {d["metadata"]["name"]: d["metadata"].get("annotations", {}).get(DEPENDS_ON)
               for d in docs}
    aggregated = "rbac.authorization.k8s.io/ClusterRole/kyverno:background-controller"
    assert depends == {"kyverno:background-controller": None,
                       "kyverno:background-controller:core": aggregated,
                       "kyverno:background-controller:extra": aggregated,
                       "unrelated": None}


def test_roles_that_aggregate_each_other_get_no_dependency_cycle():
    a, b = {"role": "a"}, {"role": "b"}
    docs = order([cluster_role("a", a, b), cluster_role("b", b, a)], "security")
    assert all(DEPENDS_ON not in d["metadata"].get("annotations", {}) for d in docs)


CRD = "---\n# Source: crds/a.yaml\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: as.example.com\n"
NOT_A_CRD = "---\n# Source: templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  kind: CustomResourceDefinition\n"


def post_render(*args: str, manifests: str) -> str:
    return subprocess.run([sys.executable, charts.ORDER_POST_RENDERER, "apps", *args], cwd=REPO,
                          input=manifests, capture_output=True, text=True, check=True).stdout


def test_the_crd_stack_gets_the_crds_alone_and_the_platform_everything_else():
    both = CRD + NOT_A_CRD  # the ConfigMap only mentions the kind, indented: not a CRD
    assert post_render("--crds=only", manifests=both) == CRD
    assert post_render("--crds=without", manifests=both) == NOT_A_CRD
    assert post_render(manifests=both) == both


def test_an_unknown_crd_mode_is_refused():
    result = subprocess.run([sys.executable, charts.ORDER_POST_RENDERER, "apps", "--crds=some"],
                            cwd=REPO, input=CRD, capture_output=True, text=True)
    assert result.returncode != 0 and "--crds must be one of" in result.stderr
