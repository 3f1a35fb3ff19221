"""The real engine accepts what the program registers: preview, up, idempotence, policies.

Each shipped stack runs on a throw-away local backend, with the fixture chart mirror and every
cluster in render mode, so no cluster or chart repository is needed.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from components import charts
from components.profiles import PROFILES
from tests.engine.conftest import engine_workspace, rendered_documents
from tests.harness import REPO

pytestmark = pytest.mark.engine

# Objects every stack must show in preview: one per layer, charts' children included.
EXPECTED_IN_PREVIEW = {
    "dev": ["idp:platform:KratixPlatform", "idp:platform:StateStore", "idp:platform:Destination",
            "kratix-platform-controller-manager", "cert-manager-webhook",
            "BucketStateStore", "Destination", "bucket-setup",
            "idp:platform:ArgoCDAppOfApps", "argocd-server", "gitops-teams-dev",
            "platform-sync-resources", "idp:platform:ObservabilityStack", "kps-prometheus",
            "otel-gateway", "otel-agent-agent", "idp-auto-instrumentation", "dashboard-idp-red",
            "idp:platform:KratixPromise",
            "promise-postgresql-promise", "promise-redis-promise",
            "idp:platform:CostAllocation", "kubecost-aggregator",
            "idp:platform:DeliveryMetrics", "idp-dora-pushgateway",
            "argocd-notifications-controller", "idp:platform:DeveloperPortal", "portal-catalog"],
    "prod": ["idp:platform:KratixPlatform", "idp:platform:StateStore", "idp:platform:Destination",
             "kratix-platform-controller-manager", "cert-manager-webhook",
             "BucketStateStore", "prod-us-east-1-destination", "staging-eu-west-1-destination",
             "idp:platform:ArgoCDAppOfApps", "argocd-redis-ha-server", "gitops-teams-prod",
             "prod-us-east-1-sync-resources", "idp:platform:ObservabilityStack",
             "observability-prod-eu-west-1-agent", "otel-cluster",
             "observability-staging-eu-west-1-cert-manager",
             "idp:platform:KratixPromise",
             "promise-postgresql-promise", "promise-redis-promise",
             "finops-prod-us-east-1",
             "kubecost-finops-agent", "idp:platform:DeliveryMetrics",
             "idp:platform:DeveloperPortal", "portal-prod-us-east-1-read-binding",
             "idp:platform:CloudResources", "crossplane-prod-eu-west-1-objectbuckets-aws"],
}


def test_preview_with_policy_packs_shows_every_layer(workspace):
    result = workspace.pulumi("preview", "--diff", *workspace.policy_args())
    for expected in EXPECTED_IN_PREVIEW[workspace.stack]:
        assert expected in result.stdout, f"{expected} missing from the {workspace.stack} preview"
    # Advisory findings (such as adoption fit in dev) may show; nothing mandatory may.
    assert "[mandatory]" not in result.stdout, result.stdout[-4000:]
    assert re.search(r"\+ \d+ to create", result.stdout)


def test_up_renders_and_a_second_preview_has_no_changes(workspace):
    up = workspace.pulumi("up", "--yes", "--skip-preview", *workspace.policy_args())
    rendered = workspace.root / "rendered" / workspace.stack
    files = list(rendered.rglob("*.yaml"))
    assert files, f"nothing rendered under {rendered}:\n{up.stdout[-3000:]}"
    documents = rendered_documents(rendered)
    kinds = {d.get("kind") for d in documents}
    assert {"Deployment", "BucketStateStore", "Destination", "Namespace", "Promise"} <= kinds
    # The chart's children carry our values: pinned image, profile footprint, HA transform.
    profile = PROFILES[workspace.stack]
    controller = next(d for d in documents if d["kind"] == "Deployment" and
                      d["metadata"]["name"] == "kratix-platform-controller-manager")
    assert controller["spec"]["replicas"] == profile.kratix_controller.replicas
    container = controller["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == charts.IMAGES["kratix-controller"]
    assert container["resources"] == profile.kratix_controller.resources()
    if workspace.stack == "dev":
        assert_generated_credentials_agree(documents)
    else:  # the Crossplane layer renders on its clusters with the prod footprint
        crossplane = [d for d in documents if d["kind"] == "Deployment" and
                      d["metadata"]["name"] == "crossplane"]
        assert len(crossplane) == 2
        assert {d["spec"]["replicas"] for d in crossplane} == {profile.crossplane.replicas}
    again = workspace.pulumi("preview", "--expect-no-changes", *workspace.policy_args())
    assert again.returncode == 0


def assert_generated_credentials_agree(documents: list[dict]) -> None:
    """The random provider generated every credential, and Kratix got the user MinIO set up."""
    secrets = {d["metadata"]["name"]: {k: base64.b64decode(v).decode()
                                       for k, v in d.get("data", {}).items()}
               for d in documents if d["kind"] == "Secret"}
    minio = secrets["minio-credentials"]
    kratix = secrets["default-statestore-credentials"]
    assert [len(minio[k]) for k in ("MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD")] == [20, 40]
    assert kratix == {"accessKeyID": minio["KRATIX_ACCESS_KEY_ID"],
                      "secretAccessKey": minio["KRATIX_SECRET_ACCESS_KEY"]}
    assert kratix["accessKeyID"] != minio["MINIO_ROOT_USER"]


def _validators_bin() -> Path:
    venv = Path(os.environ.get("IDP_VALIDATE_VENV", REPO / ".venv-validate"))
    if not (venv / "bin" / "checkov").exists():
        pytest.fail(f"validators are not installed in {venv}; run `scripts/test --engine`")
    return venv / "bin"


def test_rendered_manifests_pass_schema_validation_and_the_security_scan(workspace):
    rendered = workspace.root / "rendered" / workspace.stack
    if not rendered.exists():
        workspace.pulumi("up", "--yes", "--skip-preview", *workspace.policy_args())
    files = sorted(str(p) for p in rendered.rglob("*.yaml"))
    validate = subprocess.run(
        [str(_validators_bin() / "kubernetes-validate"), "--strict", "--quiet", *files],
        capture_output=True, text=True, check=False)
    errors = [line for line in validate.stdout.splitlines() if not line.startswith("WARN")]
    assert validate.returncode == 0 and not errors, validate.stdout[-4000:]
    # Only custom resources lack a built-in schema; anything else would be a typo'd kind.
    for line in validate.stdout.splitlines():
        if line.startswith("WARN"):
            assert re.search(r"api version (platform\.kratix\.io|cert-manager\.io|argoproj\.io|"
                             r"(source|kustomize)\.toolkit\.fluxcd\.io|policies\.kyverno\.io|"
                             r"monitoring\.coreos\.com|opentelemetry\.io|"
                             r"(pkg|apiextensions|kubernetes\.m)\.crossplane\.io|"
                             r"aws\.m\.upbound\.io)/",
                             line), line

    skips = yaml.safe_load((REPO / "tests" / "engine" / "checkov-skips.yaml").read_text())
    everywhere = [check for check, skip in skips.items() if "resources" not in skip]
    scan = subprocess.run(
        [str(_validators_bin() / "checkov"), "-d", str(rendered), "--framework", "kubernetes",
         "--quiet", "--compact", "-o", "json", "--skip-check", ",".join(everywhere)],
        capture_output=True, text=True, check=False)
    report = json.loads(scan.stdout)
    report = report[0] if isinstance(report, list) else report
    failed = [f"{f['check_id']} {f['resource']}: {f['check_name']}"
              for f in report["results"]["failed_checks"]
              if f["resource"] not in skips.get(f["check_id"], {}).get("resources", [])]
    assert failed == [], "\n".join(failed)
    assert report["summary"]["passed"] > 100


def test_policy_packs_block_a_program_with_violations(engine_bin, tmp_path):
    root = tmp_path / "violations"
    shutil.copytree(REPO / "tests" / "engine" / "violations", root)
    for package in ("policies", "components"):  # the packs import the label vocabulary
        shutil.copytree(REPO / package, root / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    env = engine_workspace.engine_env(engine_bin, tmp_path / "state", tmp_path / "home")
    workspace = engine_workspace.Workspace(root, "ci", env)
    engine_workspace.install_plugins(engine_bin, env)
    workspace.init_stack()
    result = workspace.pulumi("preview", *workspace.policy_args(config_stack="prod"),
                              check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    for policy in ("platform-image-pinned", "platform-container-resources",
                   "kratix-state-store-versioned"):
        assert policy in output, f"{policy} not reported:\n{output[-3000:]}"
    assert "mandatory" in output


def test_a_config_mistake_is_one_clear_error_through_the_engine(engine_bin, tmp_path):
    workspace = engine_workspace.offline_workspace(tmp_path, engine_bin, "prod")
    workspace.pulumi("config", "set", "--path", "destinations[1].stateStore", "git-state")
    result = workspace.pulumi("preview", check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert ("idp:destinations[1].stateStore: names no state store 'git-state'; "
            "accepted: s3-state") in output
    assert "Traceback" not in output and "unhandled" not in output, output[-3000:]
    assert "1 errored" in output and "to create" not in output.split("Resources:")[-1] \
        .replace("+ 1 to create", ""), "only the stack itself may appear"
