"""DeveloperPortal: Backstage, its generated catalog, secrets and cluster access, both stacks."""

from __future__ import annotations

import json

import pytest
import yaml

from components import charts
from components.portal import component as portal
from components.portal.sizes import SIZES as PORTAL_SIZES
from components.portal.catalog import PLATFORM_GROUP, PLATFORM_SYSTEM
from components.portal.component import CATALOG_FILE, GOLDEN_PATHS, READERS_GROUP, SECRETS, SECRETS_MOUNT
from components.promises.settings import offered_promises
from components.topology import platform_namespaces
from tests.node_validators import EntityReport
from tests.harness import (REPO, is_secret, parse_stack_file, reveal, run_program,
                           stack_config, stack_file_config)
from tests.test_config_errors import expect_config_error
from tests.test_stacks import dev_with_a_worker

PORTAL = "idp:platform:DeveloperPortal"
CHART = "kubernetes:helm.sh/v4:Chart"
TEST_SECRETS = ("test-oidc-client-secret", "test-postgres-password")


def values(registry) -> dict:
    return registry.named("portal-backstage", CHART).get("values")


def app_config(registry) -> dict:
    return values(registry)["backstage"]["appConfig"]


def catalog(registry) -> list[dict]:
    data = registry.named("portal-catalog").get("data")
    return [e for e in yaml.safe_load_all(data[CATALOG_FILE]) if e]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_portal_is_one_component_on_the_platform_cluster(stack, request):
    registry = request.getfixturevalue(stack)
    portal = registry.named("portal", PORTAL)
    children = [r for r in registry.all if r.parent == portal.urn]
    assert {r.name for r in children if r.provider_name == "platform"} >= {
        "portal-ns", "portal-catalog", "portal-secrets", "portal-backstage",
        "portal-platform-read", "portal-platform-read-binding"}
    assert all(r.name.startswith("portal-") for r in children)
    chart = registry.named("portal-backstage", CHART)
    assert chart.get("chart").endswith("backstage") or chart.get("chart") == "backstage"
    assert chart.get("namespace") == "backstage"
    # The namespace, catalog and secrets exist before the chart's pods start.
    for child in ("portal-ns", "portal-catalog", "portal-secrets"):
        assert registry.named(child).urn in chart.dependencies
    assert registry.named("portal-ns").get("metadata", "labels",
                                           "pod-security.kubernetes.io/enforce") == "baseline"
    # Kyverno's webhooks leave the portal's namespace alone, as every platform namespace.
    assert "backstage" in platform_namespaces(load_config(stack))


def load_config(stack: str):
    from components.topology import config_model
    raw = stack_file_config(stack)
    return config_model().parse(raw, frozenset({"idp:portalCredentials"}), REPO)


def test_dev_fits_its_budget_on_sqlite_and_prod_runs_two_replicas_on_postgres(dev, prod):
    dev_values, prod_values = values(dev)["backstage"], values(prod)["backstage"]
    assert dev_values["resources"] == PORTAL_SIZES["dev"].portal.resources()
    requests = dev_values["resources"]["requests"]
    assert int(requests["cpu"].rstrip("m")) <= 100 and int(requests["memory"].rstrip("Mi")) <= 384
    assert dev_values["replicas"] == 1 and dev_values["pdb"]["create"] is False
    assert app_config(dev)["backend"]["database"] == {"client": "better-sqlite3",
                                                      "connection": ":memory:"}
    assert prod_values["replicas"] == 2 and prod_values["pdb"]["create"] is True
    assert app_config(prod)["backend"]["database"] == {"client": "pg", "connection": {
        "host": "backstage.cluster-abc123.eu-west-1.rds.amazonaws.com", "port": 5432,
        "user": "backstage", "password": {"$file": f"{SECRETS_MOUNT}/postgres-password"}}}
    # The bundled Bitnami PostgreSQL is never used.
    assert values(dev)["postgresql"] == {"enabled": False} == values(prod)["postgresql"]


def test_the_image_is_configurable_and_pinned(dev, prod):
    assert values(dev)["backstage"]["image"] == {
        "registry": "ghcr.io", "repository": "backstage/backstage",
        "tag": charts.IMAGES["backstage"].rsplit(":", 1)[1], "pullPolicy": "IfNotPresent"}
    assert values(prod)["backstage"]["image"] == {
        "registry": "registry.example.com", "repository": "platform/backstage", "tag": "1.0.0",
        "pullPolicy": "IfNotPresent"}
    config = _portal_config("dev",
                            image="registry.example.com/platform/backstage@sha256:" + "a" * 64)
    image = values(run_program(config, "dev"))["backstage"]["image"]
    assert image["digest"] == "sha256:" + "a" * 64 and image["tag"] == ""


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_secrets_reach_the_pod_only_through_a_secret(stack, request):
    registry = request.getfixturevalue(stack)
    secrets = registry.named("portal-secrets")
    assert secrets.get("metadata", "name") == SECRETS
    # Secret values make the whole stringData secret in the engine's eyes.
    assert is_secret(secrets.inputs["stringData"])
    string_data = secrets.get("stringData")
    expected = {"session-secret"}
    if stack == "prod":  # dev signs in as a guest: no identity provider secret
        expected |= {"postgres-password", "oidc-client-secret"}
        assert reveal(string_data["oidc-client-secret"]) == "test-oidc-client-secret-prod"
    assert set(string_data) == expected
    # Mounted as files (not environment variables), readable by the pod's group only.
    backstage = values(registry)["backstage"]
    assert {"name": "secrets", "secret": {"secretName": SECRETS, "defaultMode": 0o440}} in \
        backstage["extraVolumes"]
    assert {"name": "secrets", "mountPath": SECRETS_MOUNT, "readOnly": True} in \
        backstage["extraVolumeMounts"]
    assert "extraEnvVarsSecrets" not in backstage
    # Nothing secret in the chart values (they become a ConfigMap) or the stack outputs.
    rendered = json.dumps(values(registry)) + json.dumps(registry.outputs)
    assert not any(secret in rendered for secret in TEST_SECRETS)
    if stack == "prod":
        oidc = app_config(registry)["auth"]["providers"]["oidc"]["production"]
        assert oidc["clientSecret"] == {"$file": f"{SECRETS_MOUNT}/oidc-client-secret"}
        assert oidc["metadataUrl"].endswith("/.well-known/openid-configuration")


def test_the_dev_portal_signs_in_guests_and_prod_refuses_them(dev):
    assert app_config(dev)["auth"]["providers"] == {
        "guest": {"dangerouslyAllowOutsideDevelopment": True}}
    message = expect_config_error(_portal_config("prod", signIn="guest"), "prod")
    assert "idp:portal.signIn: guest lets anyone who reaches the portal in" in message


def test_app_config_wires_catalog_templates_techdocs_kubernetes_and_argocd(dev, prod):
    config = app_config(dev)
    base = "https://git.example.com/platform/idp-as-code/blob/main/golden-paths"
    assert config["catalog"]["locations"] == [
        {"type": "file", "target": "/catalog/entities.yaml"}] + [
        {"type": "url", "target": f"{base}/{name}/template.yaml",
         "rules": [{"allow": ["Template"]}]} for name in GOLDEN_PATHS]
    assert config["techdocs"]["builder"] == "local"
    assert config["techdocs"]["generator"] == {"runIn": "local"}
    mounts = values(dev)["backstage"]["extraVolumeMounts"]
    assert {"name": "catalog", "mountPath": "/catalog", "readOnly": True} in mounts
    assert config["proxy"]["endpoints"]["/argocd/api"]["target"] == \
        "https://argocd-server.argocd.svc/api/v1/"
    # No ArgoCD token configured: no auth header referring to a missing variable.
    assert "headers" not in config["proxy"]["endpoints"]["/argocd/api"]
    dev_clusters = config["kubernetes"]["clusterLocatorMethods"][0]["clusters"]
    assert dev_clusters == [{"name": "platform", "url": "https://kubernetes.default.svc",
                             "skipMetricsLookup": True, "authProvider": "serviceAccount"}]
    prod_clusters = {c["name"]: c for c in
                     app_config(prod)["kubernetes"]["clusterLocatorMethods"][0]["clusters"]}
    assert set(prod_clusters) == {"platform", "prod-eu-west-1", "prod-us-east-1",
                                  "staging-eu-west-1"}
    assert prod_clusters["prod-us-east-1"]["url"] == "https://prod-us-east-1.k8s.example.com"
    assert prod_clusters["prod-us-east-1"]["authProvider"] == "aws"
    assert values(prod)["serviceAccount"]["annotations"] == {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/idp-portal-readers"}


def test_argocd_token_and_bearer_token_workers_come_from_secret_config():
    config = dev_with_a_worker()
    config["portalCredentials"] = {**config.get("portalCredentials", {}),
                                   "argocd": {"token": "argocd-api-token"},
                                   "worker-1": {"token": "portal-reader-token"}}
    registry = run_program(config, "dev",
                           secret_keys=["gitopsCredentials", "portalCredentials"])
    proxy = app_config(registry)["proxy"]["endpoints"]["/argocd/api"]
    assert proxy["headers"] == {"Cookie": {"$file": f"{SECRETS_MOUNT}/argocd-cookie"}}
    worker = app_config(registry)["kubernetes"]["clusterLocatorMethods"][0]["clusters"][1]
    assert worker == {"name": "worker-1", "url": "https://worker-1.k8s.example.com",
                      "skipMetricsLookup": True, "authProvider": "serviceAccount",
                      "serviceAccountToken": {
                          "$file": f"{SECRETS_MOUNT}/kubernetes-token-worker-1"}}
    files = registry.named("portal-secrets").get("stringData")
    assert reveal(files["kubernetes-token-worker-1"]) == "portal-reader-token"
    assert reveal(files["argocd-cookie"]) == "argocd.token=argocd-api-token"
    binding = registry.named("portal-worker-1-read-binding")
    assert binding.provider_name == "worker-1"
    assert binding.get("subjects") == [{"kind": "Group", "name": READERS_GROUP,
                                        "apiGroup": "rbac.authorization.k8s.io"}]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_cluster_access_is_read_only(stack, request):
    registry = request.getfixturevalue(stack)
    roles = [r for r in registry.kind("ClusterRole") if r.parent_type == PORTAL]
    assert len(roles) == len(registry.of_type("pulumi:providers:kubernetes"))
    for role in roles:
        for rule in role.get("rules"):
            assert set(rule["verbs"]) <= {"get", "list", "watch"}
            assert "*" not in rule["resources"] and "secrets" not in rule["resources"]
    platform_binding = registry.named("portal-platform-read-binding")
    assert platform_binding.get("subjects") == [
        {"kind": "ServiceAccount", "name": "backstage", "namespace": "backstage"}]


# -- catalog as code ----------------------------------------------------------------------------


def test_catalog_entities_are_generated_from_each_stack(dev, prod):
    dev_names = {(e["kind"], e["metadata"]["name"]) for e in catalog(dev)}
    assert dev_names == {
        ("Group", PLATFORM_GROUP), ("Group", "payments"), ("Group", "search"),
        ("System", PLATFORM_SYSTEM), ("Resource", "cluster-platform"),
        ("Resource", "state-store-default"), ("Resource", "destination-platform"),
        ("Component", "kratix-platform"), ("Component", "state-stores"),
        ("Component", "destination-sync"), ("Component", "gitops"),
        ("Component", "security-baseline"), ("Component", "observability"),
        ("Component", "promises"), ("Component", "cost-allocation"),
        ("Component", "delivery-metrics"), ("Component", "developer-portal"),
        ("API", "postgresql-promise"), ("API", "redis-promise"),
        ("Template", "request-postgresql"), ("Template", "request-redis")}
    prod_names = {(e["kind"], e["metadata"]["name"]) for e in catalog(prod)}
    assert {("Resource", f"cluster-{c}") for c in ("platform", "prod-eu-west-1",
                                                    "prod-us-east-1", "staging-eu-west-1")} \
        <= prod_names
    assert {("Group", t) for t in ("payments", "search", "checkout", "identity", "data")} \
        <= prod_names
    # 6 groups, the system, 4 clusters, 1 state store, 3 destinations, 11 layers (Crossplane
    # too), and an API and a request template per promise (objectstorage too)
    assert len(prod_names) == 32
    assert {("API", "objectstorage-promise"), ("Component", "cloud-resources")} <= prod_names
    assert dev.outputs["portal"]["catalogEntities"] == sorted(
        f"{kind}:{name}" for kind, name in dev_names)
    destination = next(e for e in catalog(prod)
                       if e["metadata"]["name"] == "destination-prod-us-east-1")
    assert destination["spec"]["dependsOn"] == ["resource:cluster-prod-us-east-1",
                                                "resource:state-store-s3-state"]
    assert destination["metadata"]["annotations"]["idp-as-code.io/region"] == "us-east-1"


# Backstage's validators must refuse this: a Component needs an owner (and a name may not
# hold spaces).
BROKEN = {"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
          "metadata": {"name": "no spec owner"}, "spec": {"type": "service"}}


@pytest.fixture(scope="module")
def entity_report(dev, prod) -> EntityReport:
    """Backstage's validators over the dev and prod catalogs and the broken entity, in one run
    (each group's lines start with its name)."""
    return EntityReport({"dev": catalog(dev), "prod": catalog(prod), "broken": [BROKEN]})


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_entity_validates_and_every_reference_resolves(stack, request, entity_report):
    entities = catalog(request.getfixturevalue(stack))
    assert ("API", "postgresql-promise") in {(e["kind"], e["metadata"]["name"])
                                             for e in entities}
    assert entity_report.problems(stack) == [], entity_report.text
    refs = {f"{e['kind'].lower()}:{e['metadata']['name']}" for e in entities}
    for entity in entities:
        spec = entity["spec"]
        for ref in [spec.get("owner"), spec.get("system") and f"system:{spec['system']}",
                    *spec.get("dependsOn", [])]:
            if ref:
                assert ref in refs, f"{entity['metadata']['name']} refers to missing {ref}"


def test_each_promise_is_an_api_with_its_schema_and_a_request_template(dev):
    entities = catalog(dev)
    apis = {e["metadata"]["name"]: e for e in entities if e["kind"] == "API"}
    # dev offers the in-cluster promises only: the cloud-backed one needs the Crossplane layer.
    offered = offered_promises(parse_stack_file("dev"))
    assert {p.name for p in offered} == {"postgresql", "redis"}
    assert set(apis) == {f"{p.name}-promise" for p in offered}
    for promise in offered:
        api = apis[f"{promise.name}-promise"]
        assert api["spec"]["type"] == "openapi"
        assert api["spec"]["owner"] == f"group:{PLATFORM_GROUP}"
        definition = yaml.safe_load(api["spec"]["definition"])
        assert definition["info"]["version"] == promise.version
        assert definition["components"]["schemas"][promise.kind] == promise.openapi_schema()
        # The form the portal offers is the committed template generated from the same API.
        assert promise.backstage_template() in entities


def test_the_validator_rejects_a_broken_entity(entity_report):
    [problem] = entity_report.problems("broken")
    assert entity_report.code == 1 and "Component no spec owner" in problem, entity_report.text


# -- config --------------------------------------------------------------------------------------


def _portal_config(stack: str, **portal) -> dict:
    return stack_config(stack, lambda c: c["portal"].update(portal))


# The dev stack signs in as a guest; these turn its OpenID Connect sign-in on.
DEV_OIDC = {"signIn": "oidc", "oidc": {
    "metadataUrl": "https://login.example.com/.well-known/openid-configuration",
    "clientId": "idp-portal-dev"}}


def test_a_missing_oidc_secret_is_one_clear_error():
    config = _portal_config("dev", **DEV_OIDC)
    message = expect_config_error(config, "dev")
    assert ("idp:portalCredentials.oidc.clientSecret: is required for the portal; set it with "
            "`pulumi config set --secret --path 'portalCredentials.oidc.clientSecret' VALUE`"
            ) in message


def test_plaintext_portal_credentials_are_refused():
    config = _portal_config("dev", **DEV_OIDC)
    config["portalCredentials"] = {"oidc": {"clientSecret": "in-plain-text"}}
    message = expect_config_error(config, "dev", secret_keys=())
    assert "idp:portalCredentials: holds credentials in plaintext" in message


def test_prod_refuses_the_in_memory_database_and_postgres_needs_a_host():
    message = expect_config_error(_portal_config("prod", database="sqlite"), "prod")
    assert "idp:portal.database: sqlite keeps the catalog in memory" in message
    message = expect_config_error(_portal_config("prod", postgres={}), "prod")
    assert "idp:portal.postgres.host: is required for database postgres" in message


def test_required_portal_settings_and_credential_names_are_checked():
    config = _portal_config("dev", baseURL=None, signIn="oidc", oidc={})
    config["portal"] = {k: v for k, v in config["portal"].items() if v is not None}
    config["portalCredentials"] = {"oidc": {"clientSecret": "s", "clientSecrets": "typo"},
                                   "github": {"token": "x"}}
    message = expect_config_error(config, "dev", secret_keys=["portalCredentials"])
    for expected in ("idp:portal.baseURL: is required when the portal is enabled",
                     "idp:portal.oidc.metadataUrl: is required",
                     "idp:portal.oidc.clientId: is required",
                     "idp:portalCredentials.github: is not a portal credential",
                     "idp:portalCredentials.oidc.clientSecrets: is not used by the portal; "
                     "accepted: clientSecret"):
        assert expected in message
