"""Every Golden Path renders with sample answers into a working, compliant starting point.

Each template is rendered the way the scaffolder would (tests/golden_paths.py), then: the
Template entity and the generated catalog entity pass Backstage's validators; the service
manifests land where the GitOps ApplicationSets read them and pass the platform policies and
the security baseline; and the generated code builds and passes its own tests where the
toolchain is installed (go, maven, terraform).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import urllib.error
import urllib.request

import pytest
import yaml

from components import naming
from components.gitops.settings import GitOps
from components.portal.component import GOLDEN_PATHS as REGISTERED_GOLDEN_PATHS
from policies.platform import (container_resources, cost_labels, image_pinned,
                               no_default_namespace, no_privileged)
from tests.node_validators import EntityReport
from tests.golden_paths import GOLDEN_PATHS, TemplateError, load_template, render
from tests.harness import stack_file_config
from tests.policy_helpers import violations

SERVICES = {"go-service": "go", "java-service": "java"}
TEMPLATES = [*SERVICES, "terraform-module"]
ENVIRONMENTS = ("dev", "staging", "prod")
SAMPLE = {"name": "ledger", "description": "Keeps the ledger of payments", "team": "payments",
          "owner": "payments-leads_at_example.com", "department": "commerce",
          "product": "payments", "repoUrl": "github.com?owner=acme&repo=ledger"}
WORKLOAD_POLICIES = (image_pinned.POLICY, container_resources.POLICY, no_privileged.POLICY,
                     no_default_namespace.POLICY, cost_labels.POLICY)


@pytest.fixture(scope="module")
def renders(tmp_path_factory) -> dict:
    """Every template rendered with the sample answers, once."""
    return {name: render(name, SAMPLE, tmp_path_factory.mktemp(name)) for name in TEMPLATES}


@pytest.fixture(params=TEMPLATES)
def rendered(request, renders):
    return request.param, renders[request.param]


def _catalog_entity(result) -> dict:
    return yaml.safe_load((result.workspace / "catalog-info.yaml").read_text())


@pytest.fixture(scope="module")
def entity_report(renders) -> EntityReport:
    """Backstage's validators over each template and the catalog entity it generates, in one
    run (each template's lines start with its name)."""
    return EntityReport({name: [result.template, _catalog_entity(result)]
                         for name, result in renders.items()})


def test_the_portal_registers_every_golden_path_in_the_repository():
    templates = sorted(p.parent.name for p in GOLDEN_PATHS.glob("*/template.yaml"))
    assert templates == sorted(REGISTERED_GOLDEN_PATHS) == sorted(TEMPLATES)


def test_templates_and_generated_catalog_entities_pass_backstages_validators(rendered,
                                                                           entity_report):
    name, result = rendered
    entity = _catalog_entity(result)
    assert entity["metadata"]["name"] == SAMPLE["name"]
    assert entity["spec"]["owner"] == f"group:{SAMPLE['team']}"
    assert entity["metadata"]["annotations"]["backstage.io/techdocs-ref"] == "dir:."
    assert entity_report.problems(name) == [], entity_report.text


def test_every_skeleton_carries_ci_techdocs_and_no_unrendered_syntax(rendered):
    name, result = rendered
    files = {p.relative_to(result.workspace).as_posix() for p in result.workspace.rglob("*")
             if p.is_file()}
    assert {"catalog-info.yaml", "mkdocs.yml", "docs/index.md",
            ".github/workflows/test.yaml"} <= files
    mkdocs = yaml.safe_load((result.workspace / "mkdocs.yml").read_text())
    assert mkdocs["site_name"] == SAMPLE["name"] and "techdocs-core" in mkdocs["plugins"]
    for path in files:
        if not path.startswith(".github/"):
            assert "${{" not in (result.workspace / path).read_text(), path
    if name in SERVICES:
        assert {"Dockerfile", ".github/workflows/image.yaml"} <= files
        workflow = (result.workspace / ".github/workflows/image.yaml").read_text()
        # Built, scanned, pushed and signed, in that order.
        steps = [workflow.index(s) for s in ("build-push-action", "trivy-action", "docker push",
                                             "cosign sign")]
        assert steps == sorted(steps)
        dockerfile = (result.workspace / "Dockerfile").read_text()
        assert "USER 65532" in dockerfile and ":latest" not in dockerfile


def _deployments(result) -> dict[str, list[dict]]:
    """The manifests each environment's folder of the GitOps repository receives."""
    teams_path = GitOps().teams_path
    found = {}
    for environment in ENVIRONMENTS:
        path = (result.workspace / "gitops" / teams_path / SAMPLE["team"] / environment /
                f"{SAMPLE['name']}.yaml")
        assert path.is_file(), f"{path} missing: the ApplicationSet reads <teams>/<team>/<env>"
        found[environment] = [d for d in yaml.safe_load_all(path.read_text()) if d]
    return found


@pytest.mark.parametrize("template", SERVICES)
def test_service_manifests_fit_gitops_and_pass_the_platform_policies(template, tmp_path):
    result = render(template, SAMPLE, tmp_path)
    prod_registries = stack_file_config("prod")["security"]["allowedRegistries"]
    for environment, documents in _deployments(result).items():
        namespace = naming.team_namespace(SAMPLE["team"], environment)
        assert {d["metadata"]["namespace"] for d in documents} == {namespace}
        deployment = next(d for d in documents if d["kind"] == "Deployment")
        for policy in WORKLOAD_POLICIES:
            assert violations(policy, "kubernetes:apps/v1:Deployment", deployment,
                              name=deployment["metadata"]["name"]) == [], policy.name
        pod = deployment["spec"]["template"]
        assert {k: pod["metadata"]["labels"][k] for k in naming.COST_LABELS} == {
            "team": "payments", "owner": SAMPLE["owner"], "department": "commerce",
            "product": "payments", "env": environment}
        assert pod["metadata"]["annotations"] == naming.instrumentation_annotation(
            SERVICES[template])
        assert_restricted(pod["spec"])
        image = pod["spec"]["containers"][0]["image"]
        assert image.startswith(tuple(f"{r}/" for r in prod_registries)), image
        assert deployment["spec"]["replicas"] == (2 if environment == "prod" else 1)


def assert_restricted(pod: dict) -> None:
    """Pod Security `restricted`, as the team namespaces enforce it."""
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod.get("automountServiceAccountToken") is False
    for volume in pod.get("volumes", []):
        assert set(volume) - {"name"} <= {"emptyDir", "configMap", "secret", "projected",
                                          "persistentVolumeClaim"}, volume
    for container in pod["containers"]:
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"]["drop"] == ["ALL"]
        assert context["readOnlyRootFilesystem"] is True
        assert set(container["resources"]) == {"requests", "limits"}


def _go_env() -> dict:
    # Only the standard library: nothing to download, and the user's build cache is reused.
    return {**os.environ, "GOTOOLCHAIN": "local"}


@pytest.mark.build  # compiling belongs to the slower tier (scripts/test --engine), like Maven's
def test_the_go_service_builds_and_its_own_tests_pass(tmp_path):
    go = shutil.which("go")
    if go is None:
        pytest.skip("go is not installed")
    result = render("go-service", SAMPLE, tmp_path / "out")
    env = _go_env()
    for command in (["vet", "./..."], ["build", "./..."], ["test", "./..."]):
        run = subprocess.run([go, *command], cwd=result.workspace, env=env,
                             capture_output=True, text=True, timeout=600, check=False)
        assert run.returncode == 0, f"go {' '.join(command)}:\n{run.stdout}\n{run.stderr}"
    assert "ok  \tledger/internal/domain" in run.stdout
    assert "ok  \tledger/internal/adapters/httpapi" in run.stdout


MAVEN_CENTRAL = "https://repo.maven.apache.org/maven2/"
SPRING_BOOT_METADATA = "org/springframework/boot/spring-boot/maven-metadata.xml"


def _maven_central_reachable() -> bool:
    """Whether Maven can fetch Spring Boot here (machines without Maven Central skip the build,
    like machines without Maven)."""
    try:
        with urllib.request.urlopen(MAVEN_CENTRAL + SPRING_BOOT_METADATA, timeout=15):
            return True
    except urllib.error.HTTPError:
        return True  # the repository answered
    except OSError:
        return False


@pytest.mark.maven
def test_the_java_service_builds_and_its_own_tests_pass(tmp_path):
    mvn = shutil.which("mvn")
    if mvn is None or os.environ.get("IDP_SKIP_MAVEN"):
        pytest.skip("Maven is not installed (or IDP_SKIP_MAVEN is set)")
    if not _maven_central_reachable():
        pytest.skip(f"{MAVEN_CENTRAL} is unreachable: the generated service's dependencies "
                    "cannot be fetched on this machine")
    result = render("java-service", SAMPLE, tmp_path / "out")
    run = subprocess.run([mvn, "-B", "-q", "test"], cwd=result.workspace, capture_output=True,
                         text=True, timeout=900, check=False)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    reports = list((result.workspace / "target" / "surefire-reports").glob("TEST-*.xml"))
    assert {r.name for r in reports} == {
        "TEST-com.example.service.domain.NoteTest.xml",
        "TEST-com.example.service.adapter.web.NoteControllerTest.xml"}


def test_the_terraform_module_is_formatted_and_documented(tmp_path):
    result = render("terraform-module", SAMPLE, tmp_path)
    text = (result.workspace / "variables.tf").read_text()
    blocks = text.count('variable "')
    assert blocks and text.count("description =") == blocks and text.count("type  ") == blocks
    main = (result.workspace / "main.tf").read_text()
    for label in naming.COST_LABELS:
        assert f"\n    {label} " in main, label
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("terraform is not installed")
    # The providers cannot be fetched here, so `terraform validate` is CI's job (test.yaml).
    run = subprocess.run([terraform, "fmt", "-check", "-recursive", "-diff"],
                         cwd=result.workspace, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


# -- the renderer refuses what it does not implement ----------------------------------------


def test_the_renderer_refuses_unknown_values_nunjucks_tags_and_bad_answers(tmp_path):
    from tests.golden_paths import render_text

    with pytest.raises(TemplateError, match="values.missing is not passed"):
        render_text("${{ values.missing }}", {}, "file")
    with pytest.raises(TemplateError, match="nunjucks tag"):
        render_text("{% if values.x %}", {"x": 1}, "file")
    with pytest.raises(TemplateError, match="unsupported expression"):
        render_text("${{ values.name | upper }}", {"name": "a"}, "file")
    with pytest.raises(TemplateError, match="does not match"):
        render("go-service", {**SAMPLE, "name": "Not A DNS Name"}, tmp_path)
    with pytest.raises(TemplateError, match="required parameter team"):
        render("go-service", {k: v for k, v in SAMPLE.items() if k != "team"}, tmp_path)


def test_templates_read_only_parameters_and_earlier_steps():
    for name in TEMPLATES:
        template = load_template(name)
        ids = [step["id"] for step in template["spec"]["steps"]]
        assert len(ids) == len(set(ids)), name
        assert template["spec"]["owner"] == "group:platform-team"
