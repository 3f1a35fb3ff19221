"""The GitOps layer: ArgoCD hub and spoke, App of Apps, ApplicationSets, projects, sync policies
and the Kratix destination sync, for both shipped stacks under Pulumi mocks."""

from __future__ import annotations

import json

from components import charts
from components.gitops.sizes import SIZES
from tests.harness import Registry, is_secret, reveal, run_program, stack_config
from tests.node_validators import run_validator

SECRET = "kubernetes:core/v1:Secret"
SECRET_TYPE = "argocd.argoproj.io/secret-type"


def _by_name(registry: Registry, kind: str) -> dict:
    return {r.get("metadata", "name"): r for r in registry.kind(kind)}


def _secrets_of_type(registry: Registry, secret_type: str) -> dict:
    return {r.get("metadata", "name"): r for r in registry.of_type(SECRET)
            if r.get("metadata", "labels", SECRET_TYPE) == secret_type}


# -- installation --------------------------------------------------------------------------------


def test_argocd_chart_is_pinned_with_crds_applied_server_side(dev):
    chart = dev.named("gitops-argocd")
    assert chart.get("chart") == "argo-cd" and chart.get("version") == "10.1.1"
    assert chart.get("repositoryOpts", "repo") == "https://argoproj.github.io/argo-helm"
    assert chart.get("namespace") == "argocd"
    crds = chart.get("values", "crds")
    assert crds["install"] is True
    assert crds["annotations"] == {"argocd.argoproj.io/sync-options": "ServerSideApply=true"}
    assert dev.named("gitops-ns").urn in chart.dependencies


def test_dev_runs_single_replicas_without_redis_ha(dev):
    values = dev.named("gitops-argocd").get("values")
    assert values["redis-ha"] == {"enabled": False} and values["redis"]["enabled"] is True
    for component in ("controller", "server", "repoServer", "applicationSet"):
        assert values[component]["replicas"] == 1, component
        assert values[component]["pdb"] == {"enabled": False}
    assert values["server"]["resources"] == SIZES["dev"].argocd_server.resources()


def test_prod_runs_argocd_highly_available(prod):
    values = prod.named("gitops-argocd").get("values")
    assert values["redis-ha"]["enabled"] is True and values["redis"]["enabled"] is False
    # Every container redis-ha runs is sized (the prod policies demand it of each).
    for part in ("redis", "sentinel", "haproxy", "init", "splitBrainDetection"):
        assert set(values["redis-ha"][part]["resources"]) == {"requests", "limits"}, part
    assert values["redis-ha"]["haproxy"]["init"]["resources"]["limits"]
    for component in ("server", "repoServer", "applicationSet"):
        assert values[component]["replicas"] == 2, component
        assert values[component]["pdb"] == {"enabled": True}
    # More application controllers would shard clusters, not add availability.
    assert values["controller"]["replicas"] == 1


def test_sealed_secrets_is_the_default_secret_manager(dev):
    chart = dev.named("gitops-sealed-secrets")
    assert chart.get("chart") == "sealed-secrets" and chart.get("version") == "2.18.5"
    assert chart.get("namespace") == "kube-system"
    assert chart.get("values", "fullnameOverride") == "sealed-secrets-controller"
    assert not [r for r in dev.all if r.name == "gitops-external-secrets"]


def test_external_secrets_is_selectable():
    config = stack_config("dev", lambda c: c["gitops"].update(secrets="external-secrets"))
    registry = run_program(config, "dev")
    chart = registry.named("gitops-external-secrets")
    assert chart.get("version") == charts.CHARTS["external-secrets"].version
    assert chart.get("namespace") == "external-secrets"
    assert registry.named("gitops-external-secrets-ns").get("metadata", "name") == \
        "external-secrets"
    assert not [r for r in registry.all if r.name == "gitops-sealed-secrets"]


def test_gitops_off_registers_no_argocd():
    registry = run_program(stack_config("dev", gitops={"enabled": False}), "dev")
    assert not [r for r in registry.all if "argoproj" in r.type or "fluxcd" in r.type]


# -- hub and spoke ---------------------------------------------------------------------------------


def test_prod_reaches_every_worker_through_a_labelled_cluster_secret(prod):
    clusters = _secrets_of_type(prod, "cluster")
    assert set(clusters) == {"cluster-prod-eu-west-1", "cluster-prod-us-east-1",
                             "cluster-staging-eu-west-1"}
    secret = clusters["cluster-prod-us-east-1"]
    assert secret.get("metadata", "namespace") == "argocd"
    assert secret.get("metadata", "labels")["environment"] == "prod"
    assert secret.get("metadata", "labels")["region"] == "us-east-1"
    assert secret.get("metadata", "labels")["cluster"] == "prod-us-east-1"
    data = {k: reveal(v) for k, v in reveal(secret.inputs["stringData"]).items()}
    assert data["name"] == "prod-us-east-1"
    assert data["server"] == "https://prod-us-east-1.k8s.example.com"
    assert json.loads(data["config"])["awsAuthConfig"] == {
        "clusterName": "prod-us-east-1",
        "roleARN": "arn:aws:iam::123456789012:role/idp-argocd-spoke-access"}
    assert json.loads(data["config"])["tlsClientConfig"] == {"insecure": False}
    # Every ArgoCD object lives on the platform cluster.
    for r in prod.all:
        if "argoproj" in r.type or r.name.startswith("gitops-"):
            assert r.provider_name == "platform", r.urn


def test_dev_registers_the_platform_as_its_own_in_cluster_destination(dev):
    secret = _secrets_of_type(dev, "cluster")["cluster-platform"]
    data = {k: reveal(v) for k, v in reveal(secret.inputs["stringData"]).items()}
    assert data["server"] == "https://kubernetes.default.svc"
    assert secret.get("metadata", "labels")["tier"] == "platform"


# A cluster CA (PEM, base64) for the prod-eu-west-1 worker.
CA_DATA = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUIKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo="


def test_bearer_tokens_and_repository_credentials_stay_secret():
    def edit(config: dict) -> None:
        config["gitops"]["clusterAuth"] = "bearerToken"
        config["clusters"][1]["caData"] = CA_DATA

    config = stack_config("prod", edit, gitopsCredentials={
        "repository": {"username": "argocd-bot", "password": "repo-token"},
        **{c: {"bearerToken": f"token-{c}"} for c in
           ("prod-eu-west-1", "prod-us-east-1", "staging-eu-west-1")}})
    registry = run_program(config, "prod", secret_keys=["gitopsCredentials"])
    repository = _secrets_of_type(registry, "repository")["idp-gitops-repository"]
    data = reveal(repository.inputs["stringData"])
    assert all(is_secret(v) for v in data.values()) or is_secret(repository.inputs["stringData"])
    assert {k: reveal(v) for k, v in data.items()} == {
        "type": "git", "url": "https://git.example.com/platform/idp-gitops.git",
        "username": "argocd-bot", "password": "repo-token"}
    cluster = _secrets_of_type(registry, "cluster")["cluster-prod-eu-west-1"]
    string_data = cluster.inputs["stringData"]
    config_value = reveal(string_data)["config"]
    assert is_secret(string_data) or is_secret(config_value)
    assert json.loads(reveal(config_value)) == {
        "bearerToken": "token-prod-eu-west-1",
        "tlsClientConfig": {"insecure": False, "caData": CA_DATA}}
    assert "repo-token" not in json.dumps(registry.outputs)


# -- App of Apps -----------------------------------------------------------------------------------


def test_root_application_points_at_the_pinned_gitops_repository(dev, prod):
    for registry, revision in ((dev, "main"), (prod, "v1.0.0")):
        root = _by_name(registry, "Application")["idp-root"]
        assert root.get("metadata", "namespace") == "argocd"
        assert root.get("spec", "project") == "platform"
        assert root.get("spec", "source") == {
            "repoURL": "https://git.example.com/platform/idp-gitops.git",
            "targetRevision": revision, "path": "platform", "directory": {"recurse": True}}
        assert "ServerSideApply=true" in root.get("spec", "syncPolicy", "syncOptions")
        assert registry.named("gitops-argocd").urn in root.dependencies


def test_app_of_apps_waits_for_child_application_health(dev):
    cm = dev.named("gitops-argocd").get("values", "configs", "cm")
    assert "obj.status.health.status" in cm["resource.customizations.health.argoproj.io_Application"]


def test_outputs_name_the_root_and_the_application_sets(dev, prod):
    assert dev.outputs["gitops"] == {"namespace": "argocd", "rootApplication": "idp-root",
                                     "applicationSets": ["teams-dev"]}
    assert prod.outputs["gitops"]["applicationSets"] == ["teams-staging", "teams-prod"]


def test_root_path_is_configurable():
    registry = run_program(stack_config("dev", lambda c: c["gitops"].update(path="clusters/dev")))
    assert _by_name(registry, "Application")["idp-root"].get("spec", "source", "path") == \
        "clusters/dev"


# -- ApplicationSets per environment ------------------------------------------------------------


def test_one_application_set_per_environment(dev, prod):
    assert set(_by_name(dev, "ApplicationSet")) == {"teams-dev"}
    assert set(_by_name(prod, "ApplicationSet")) == {"teams-staging", "teams-prod"}


def test_application_set_crosses_the_environments_clusters_with_the_teams(prod):
    appset = _by_name(prod, "ApplicationSet")["teams-prod"]
    spec = appset.get("spec")
    assert spec["goTemplate"] is True
    clusters, teams = spec["generators"][0]["matrix"]["generators"]
    assert clusters == {"clusters": {"selector": {"matchLabels": {"environment": "prod"}}}}
    assert teams == {"list": {"elements": [{"team": t} for t in
                                           ("payments", "search", "checkout", "identity",
                                            "data")]}}
    template = spec["template"]
    # The cluster and environment are in the name: no two generated Applications collide.
    assert template["metadata"]["name"] == "{{.team}}-prod-{{.name}}"
    assert template["metadata"]["labels"]["environment"] == "prod"
    assert template["spec"]["project"] == "{{.team}}"
    assert template["spec"]["source"]["path"] == "teams/{{.team}}/prod"
    assert template["spec"]["source"]["targetRevision"] == "v1.0.0"
    assert template["spec"]["destination"] == {"name": "{{.name}}",
                                               "namespace": "{{.team}}-prod"}


# -- sync policies ---------------------------------------------------------------------------------


def test_dev_and_staging_sync_automatically_with_prune_and_self_heal(dev, prod):
    for appset in (_by_name(dev, "ApplicationSet")["teams-dev"],
                   _by_name(prod, "ApplicationSet")["teams-staging"]):
        policy = appset.get("spec", "template", "spec", "syncPolicy")
        assert policy["automated"] == {"prune": True, "selfHeal": True}
        assert policy["retry"] == {"limit": 5, "backoff": {"duration": "10s", "factor": 2,
                                                           "maxDuration": "5m"}}


def test_prod_heals_drift_but_never_prunes_by_itself_and_syncs_in_windows(prod):
    template = _by_name(prod, "ApplicationSet")["teams-prod"].get("spec", "template")
    assert template["spec"]["syncPolicy"]["automated"] == {"prune": False, "selfHeal": True}
    assert template["metadata"]["annotations"] == {"idp-as-code.io/sync-window": "true"}
    project = _by_name(prod, "AppProject")["payments"]
    assert project.get("spec", "syncWindows") == [{
        "kind": "allow", "schedule": "0 7 * * 1-5", "duration": "3h", "timeZone": "UTC",
        "clusters": ["prod-eu-west-1", "prod-us-east-1"], "applications": ["*"],
        "manualSync": True}]


def test_every_source_pins_its_revision(dev, prod):
    for registry in (dev, prod):
        for app in registry.kind("Application"):
            assert app.get("spec", "source", "targetRevision") not in (None, "", "HEAD")
        for appset in registry.kind("ApplicationSet"):
            revision = appset.get("spec", "template", "spec", "source", "targetRevision")
            assert revision and revision != "HEAD" and "*" not in revision


# -- AppProjects -----------------------------------------------------------------------------------


def test_each_team_project_is_restricted_to_its_repository_clusters_and_namespaces(prod):
    projects = _by_name(prod, "AppProject")
    assert set(projects) == {"platform", "payments", "search", "checkout", "identity", "data"}
    spec = projects["search"].get("spec")
    assert spec["sourceRepos"] == ["https://git.example.com/platform/idp-gitops.git"]
    assert {(d["name"], d["namespace"]) for d in spec["destinations"]} == {
        (cluster, namespace)
        for cluster in ("prod-eu-west-1", "prod-us-east-1", "staging-eu-west-1")
        for namespace in ("search", "search-*")}
    assert spec["clusterResourceWhitelist"] == [{"group": "", "kind": "Namespace"}]


def test_dev_team_projects_have_no_sync_windows(dev):
    assert dev.kind("AppProject")[0].get("spec", "syncWindows") is None


# -- Kratix destination sync -----------------------------------------------------------------------


def test_dev_syncs_the_embedded_bucket_with_flux_dependencies_first(dev):
    bucket = dev.named("platform-sync-bucket")
    assert bucket.get("spec") == {
        "interval": "1m", "bucketName": "kratix",
        "endpoint": "minio.statestore-default.svc.cluster.local:9000", "insecure": True,
        "prefix": "platform", "provider": "generic",
        "secretRef": {"name": "kratix-platform-bucket"}}
    credentials = dev.named("platform-sync-bucket-credentials")
    # Flux's key names, filled from the same generated Pulumi secrets as Kratix's Secret.
    data = reveal(credentials.inputs["stringData"])
    assert set(data) == {"accesskey", "secretkey"}
    assert all(is_secret(v) for v in data.values()) or is_secret(credentials.inputs["stringData"])
    dependencies = dev.named("platform-sync-dependencies")
    resources = dev.named("platform-sync-resources")
    assert dependencies.get("spec", "path") == "./platform/dependencies"
    assert resources.get("spec", "path") == "./platform/resources"
    assert resources.get("spec", "dependsOn") == [{"name": "kratix-platform-dependencies"}]
    assert dependencies.get("spec", "dependsOn") is None
    assert resources.get("spec", "prune") is True


def test_prod_workers_read_the_iam_bucket_with_their_own_flux(prod):
    bucket = prod.named("prod-eu-west-1-sync-bucket")
    assert bucket.provider_name == "prod-eu-west-1"
    assert bucket.get("spec", "provider") == "aws"
    assert bucket.get("spec", "secretRef") is None
    assert bucket.get("spec", "endpoint") == "s3.eu-west-1.amazonaws.com"
    assert prod.named("prod-eu-west-1-sync-resources").get("spec", "path") == \
        "./kratix/prod/eu-west-1/resources"
    assert prod.named("prod-eu-west-1-sync-resources").parent_type == "idp:platform:Destination"


def _git_store_registry() -> Registry:
    config = stack_config("prod", stateStores=[{
        "name": "s3-state", "kind": "git", "path": "state",
        "git": {"url": "https://git.example.com/platform/kratix-state.git", "branch": "kratix"}}],
        stateStoreCredentials={"s3-state": {"username": "kratix", "password": "pat"}})
    return run_program(config, "prod", secret_keys=["stateStoreCredentials"])


def test_git_store_is_synced_by_argocd_applications_dependencies_first():
    registry = _git_store_registry()
    apps = _by_name(registry, "Application")
    dependencies = apps["kratix-staging-eu-west-1-dependencies"]
    resources = apps["kratix-staging-eu-west-1-resources"]
    assert dependencies.provider_name == "platform"
    waves = [int(a.get("metadata", "annotations")["argocd.argoproj.io/sync-wave"])
             for a in (dependencies, resources)]
    assert waves[0] < waves[1]
    assert dependencies.urn in resources.dependencies
    assert dependencies.get("spec", "source") == {
        "repoURL": "https://git.example.com/platform/kratix-state.git",
        "targetRevision": "kratix", "path": "state/staging/eu-west-1/dependencies",
        "directory": {"recurse": True}}
    assert resources.get("spec", "destination") == {"name": "staging-eu-west-1"}
    assert "ServerSideApply=true" in dependencies.get("spec", "syncPolicy", "syncOptions")
    assert "SkipDryRunOnMissingResource=true" in \
        resources.get("spec", "syncPolicy", "syncOptions")
    # prod destinations follow the prod rule: no automatic prune.
    prod_app = apps["kratix-prod-eu-west-1-resources"]
    assert prod_app.get("spec", "syncPolicy", "automated", "prune") is False
    # Kratix deliveries are not held by the teams' prod sync windows, so they claim none.
    assert prod_app.get("metadata", "annotations") == {"argocd.argoproj.io/sync-wave": "0"}
    repository = _secrets_of_type(registry, "repository")["kratix-staging-eu-west-1-state"]
    assert {k: reveal(v) for k, v in reveal(repository.inputs["stringData"]).items()} == {
        "type": "git", "url": "https://git.example.com/platform/kratix-state.git",
        "username": "kratix", "password": "pat"}
    assert not registry.kind("Bucket")


# -- schema validation -----------------------------------------------------------------------------

ARGOCD_KINDS = ("Application", "ApplicationSet", "AppProject")


def _argocd_documents(registry: Registry) -> list[dict]:
    """The ArgoCD objects a stack registers, as the manifests the provider would apply."""
    documents = []
    for kind in ARGOCD_KINDS:
        for r in registry.kind(kind):
            documents.append({"apiVersion": r.get("apiVersion"), "kind": r.get("kind"),
                              "metadata": r.get("metadata"), "spec": r.get("spec")})
    return documents


def test_generated_argocd_objects_match_argocd_crd_schemas(dev, prod):
    documents = [d for registry in (dev, prod, _git_store_registry())
                 for d in _argocd_documents(registry)]
    assert {d["kind"] for d in documents} == set(ARGOCD_KINDS)
    code, report = run_validator("validate.mjs", "@kubernetes-models/argo-cd", documents)
    assert code == 0, report
    assert f"validated {len(documents)} ArgoCD objects, 0 invalid" in report


def test_the_validator_rejects_an_invalid_object():
    code, report = run_validator("validate.mjs", "@kubernetes-models/argo-cd", [{
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {"name": "broken"},
        "spec": {"project": "p", "destination": {}, "syncPolicy": {"retry": {"limit": "five"}}}}])
    assert code == 1 and "Application broken" in report, report


def test_argocd_policies_find_nothing_in_any_stack(dev, prod):
    from policies.platform import argocd_prod_prune, argocd_target_revision
    from tests.policy_helpers import violations

    for registry in (dev, prod, _git_store_registry()):
        for r in registry.kind("Application") + registry.kind("ApplicationSet"):
            for policy in (argocd_prod_prune.POLICY, argocd_target_revision.POLICY):
                assert violations(policy, r.type, r.inputs, name=r.name) == [], r.urn
