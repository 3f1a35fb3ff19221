"""What each shipped stack registers, component by component, under Pulumi mocks."""

from __future__ import annotations

import json
import runpy

import pulumi_kubernetes as k8s
import pytest

from components import charts
from components.gitops.sizes import FLUX_SIZES
from components.kratix.sizes import SIZES as KRATIX_SIZES
from components.state_stores.sizes import SIZES as STATE_STORES_SIZES
from components.charts import crd_without_descriptions
from components.crossplane.settings import crossplane_clusters
from components.promises.settings import offered_promises
from components.profiles import PROFILES
from components.gitops.layer import clusters_syncing_buckets
from components.security.component import environments_by_cluster
from components.state_stores.component import StateStore as StateStoreComponent
from components.state_stores.component import StateStoreArgs
from tests.harness import (REPO, Registry, is_secret, parse_stack_file, parse_test_config,
                           reveal, run_program, run_program_capturing, stack_config,
                           stack_file_config)

CHART = "kubernetes:helm.sh/v4:Chart"
NAMESPACE = "kubernetes:core/v1:Namespace"
SECRET = "kubernetes:core/v1:Secret"
PROVIDER = "pulumi:providers:kubernetes"
KRATIX_PLATFORM = "idp:platform:KratixPlatform"
STATE_STORE = "idp:platform:StateStore"
DESTINATION = "idp:platform:Destination"
GITOPS = "idp:platform:ArgoCDAppOfApps"
FLUX = "idp:platform:FluxBucketAgent"
SECURITY = "idp:platform:SecurityBaseline"
OBSERVABILITY = "idp:platform:ObservabilityStack"
PROMISE = "idp:platform:KratixPromise"
COST = "idp:platform:CostAllocation"
DELIVERY = "idp:platform:DeliveryMetrics"
PORTAL = "idp:platform:DeveloperPortal"
CLUSTER_ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
CLOUD = "idp:platform:CloudResources"


# -- structure shared by both stacks -----------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_resource_is_parented_to_a_component_or_the_stack(stack):
    registry = run_program(stack_file_config(stack), stack)
    components = {KRATIX_PLATFORM, STATE_STORE, DESTINATION, GITOPS, FLUX, SECURITY,
                  OBSERVABILITY, PROMISE, COST, DELIVERY, PORTAL, CLOUD}
    for r in registry.all:
        if r.type in components or r.type == PROVIDER:
            assert r.parent_type == "pulumi:pulumi:Stack", r.urn
        else:
            assert r.parent_type in components, f"{r.urn} is parented to {r.parent_type}"
            assert r.name.startswith(r.parent_name + "-"), \
                f"{r.name} is not named from its component {r.parent_name}"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_kubernetes_objects_use_an_explicit_cluster_provider(stack):
    registry = run_program(stack_file_config(stack), stack)
    for r in registry.all:
        if r.type.startswith("kubernetes:"):
            assert r.provider_name, f"{r.urn} would use the ambient default provider"


# -- dev: single cluster, embedded state store -------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_each_stack_registers_what_its_config_declares(stack, request):
    """Invariants instead of a hand-kept count table: each layer's components and objects
    follow from the config (clusters, stores, destinations, teams, switches)."""
    registry: Registry = request.getfixturevalue(stack)
    config = parse_stack_file(stack)

    def count(type_: str) -> int:
        return len(registry.of_type(type_))

    clusters = len(config.clusters)
    assert count(PROVIDER) == clusters
    assert count(KRATIX_PLATFORM) == 1
    assert count(STATE_STORE) == len(config.state_stores)
    assert count(DESTINATION) == len(config.destinations) == \
        count("kubernetes:platform.kratix.io/v1alpha1:Destination")
    assert count(GITOPS) == int(config.switched_on("gitops"))
    assert count(FLUX) == (len(clusters_syncing_buckets(config)) if config.switched_on("gitops") else 0)
    assert count(SECURITY) == (clusters if config.switched_on("security") else 0)
    assert count(OBSERVABILITY) == int(config.switched_on("observability"))
    assert count(PROMISE) == len(offered_promises(config)) == \
        count("kubernetes:platform.kratix.io/v1alpha1:Promise")
    assert count(COST) == (clusters if config.switched_on("finops") else 0)
    assert count(DELIVERY) == int(config.switched_on("finops") and config.switched_on("gitops"))
    assert count(PORTAL) == int(config.switched_on("portal"))
    assert count(CLOUD) == len(crossplane_clusters(config))
    # Every team namespace gets its quota, default limits, role binding and four policies.
    team_namespaces = sum(len(cluster["teamNamespaces"])
                          for cluster in registry.outputs.get("security", {}).values())
    assert team_namespaces == sum(len(config.teams) * len(environments)
                                  for environments in environments_by_cluster(config).values())
    for kind in ("ResourceQuota", "LimitRange"):
        assert count(f"kubernetes:core/v1:{kind}") == team_namespaces, kind
    assert count("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding") == team_namespaces
    assert count("kubernetes:networking.k8s.io/v1:NetworkPolicy") == 4 * team_namespaces
    # Every chart installed comes from the one table; every namespace is created once per
    # cluster.
    assert {c.get("chart") for c in registry.of_type(CHART)} <= \
        {source.chart for source in charts.CHARTS.values()}
    namespaces = [(r.provider_name, r.get("metadata", "name")) for r in registry.of_type(NAMESPACE)]
    assert len(namespaces) == len(set(namespaces))


def test_dev_applies_to_its_context_and_render_mode_writes_a_directory_per_cluster(dev):
    provider = dev.named("platform", PROVIDER)
    assert provider.get("context") == "idp-dev-platform"
    assert provider.get("renderYamlToDirectory") is None
    config = stack_file_config("dev")
    config["clusters"][0]["target"] = {"mode": "render"}
    rendered = run_program(config, "dev").named("platform", PROVIDER)
    assert rendered.get("renderYamlToDirectory") == "rendered/dev/platform"
    assert rendered.get("context") is None and rendered.get("kubeconfig") is None


def test_dev_installs_cert_manager_before_kratix(dev):
    cert_manager = dev.named("kratix-cert-manager")
    kratix = dev.named("kratix-controller")
    assert cert_manager.urn in kratix.dependencies
    assert cert_manager.get("namespace") == "cert-manager"
    assert cert_manager.get("chart") == "cert-manager"
    assert cert_manager.get("version") == charts.CHARTS["cert-manager"].version
    assert cert_manager.get("repositoryOpts", "repo") == "https://charts.jetstack.io"
    assert cert_manager.get("values", "crds", "enabled") is True


def test_dev_kratix_chart_values(dev):
    kratix = dev.named("kratix-controller")
    assert kratix.get("namespace") == "kratix-platform-system"
    assert kratix.get("version") == "v0.0.1"
    values = kratix.get("values")
    # The chart's default store would carry the wrong secret key names.
    assert values["stateStores"] == [] and values["destinations"] == []
    assert values["image"] == charts.IMAGES["kratix-controller"]
    assert "@sha256:" in values["image"]
    assert values["resources"] == KRATIX_SIZES["dev"].kratix_controller.resources()
    assert "serviceAccount" not in values


def test_dev_embedded_store_is_versioned_minio_with_generated_secret_credentials(dev):
    store = dev.kind("BucketStateStore")[0]
    assert store.get("metadata", "name") == "default"
    spec = store.get("spec")
    assert spec["endpoint"] == "minio.statestore-default.svc.cluster.local:9000"
    assert spec["bucketName"] == "kratix" and spec["insecure"] is True
    assert spec["authMethod"] == "accessKey"
    assert spec["secretRef"] == {"name": "default-statestore-credentials",
                                 "namespace": "kratix-platform-system"}

    kratix_secret = dev.named("default-credentials")
    assert kratix_secret.get("metadata", "name") == "default-statestore-credentials"
    string_data = kratix_secret.inputs["stringData"]
    assert is_secret(string_data), "generated credentials must stay Pulumi secrets"
    assert set(reveal(string_data)) == {"accessKeyID", "secretAccessKey"}

    job = dev.named("default-bucket-setup")
    script = job.get("spec", "template", "spec", "containers")[0]["command"][-1]
    assert "mc version enable local/kratix" in script
    assert job.urn in store.dependencies

    minio = dev.named("default-minio")
    container = minio.get("spec", "template", "spec", "containers")[0]
    assert container["image"] == charts.IMAGES["minio"]
    assert container["resources"] == STATE_STORES_SIZES["dev"].minio.resources()
    assert dev.named("default-minio-data").get("spec", "resources", "requests", "storage") \
        == STATE_STORES_SIZES["dev"].minio_storage
    for r in dev.of_type("random:index/randomPassword:RandomPassword"):
        assert r.get("special") is False and r.get("length") >= 20


def test_dev_state_store_waits_for_the_kratix_platform(dev):
    # Depending on the component means waiting for everything in it, the chart included.
    store = dev.kind("BucketStateStore")[0]
    for child in ("kratix-controller", "kratix-cert-manager", "kratix-cert-manager-ns"):
        assert dev.named(child).urn in store.dependencies, child


def test_dev_destination_is_the_platform_cluster_itself(dev):
    destination = dev.kind("Destination")[0]
    assert destination.get("metadata", "name") == "platform"
    assert destination.get("metadata", "labels") == {
        "environment": "dev", "cluster": "platform", "region": "local", "tier": "platform"}
    assert destination.get("spec") == {
        "path": "platform",
        "stateStoreRef": {"kind": "BucketStateStore", "name": "default"},
        "strictMatchLabels": False,
        "filepath": {"mode": "nestedByMetadata"},
        "cleanup": "none",
    }
    assert dev.named("default-store").urn in destination.dependencies
    assert destination.provider_name == "platform"


def test_platform_facts_are_published_for_policies_and_the_portal(dev, prod):
    facts = dev.named("kratix-facts")
    assert facts.get("metadata") == {
        "name": "idp-platform-facts", "namespace": "kratix-platform-system",
        "labels": facts.get("metadata", "labels")}
    data = facts.get("data")
    assert json.loads(data["teams"]) == ["payments", "search"]
    assert json.loads(data["environments"]) == ["dev"]
    prod_data = prod.named("kratix-facts").get("data")
    assert json.loads(prod_data["environments"]) == ["prod", "staging"]
    assert json.loads(prod_data["destinations"]) == ["prod-eu-west-1", "prod-us-east-1",
                                                     "staging-eu-west-1"]
    assert prod_data["topology"] == "multi-cluster" and prod_data["portal"] == "true"
    assert dev.named("kratix-controller").urn in facts.dependencies


def test_dev_outputs(dev):
    outputs = dev.outputs
    assert outputs["clusters"] == {"platform": {
        "role": "platform", "target": {"mode": "kubeconfig", "context": "idp-dev-platform"}}}
    assert outputs["destinations"]["platform"]["dependenciesPath"] == "platform/dependencies"
    assert outputs["destinations"]["platform"]["resourcesPath"] == "platform/resources"
    assert outputs["stateStores"]["default"] == {
        "kind": "BucketStateStore",
        "endpoint": "minio.statestore-default.svc.cluster.local:9000/kratix"}
    assert outputs["namespaces"] == ["cert-manager", "kratix-platform-system",
                                     "statestore-default"]


# -- prod: platform plus workers, external versioned bucket ------------------------------------


def test_prod_has_one_kubeconfig_provider_per_cluster(prod):
    providers = {r.name: r for r in prod.of_type(PROVIDER)}
    assert set(providers) == {"platform", "prod-eu-west-1", "prod-us-east-1",
                              "staging-eu-west-1"}
    contexts = {name: provider.get("context") for name, provider in providers.items()}
    assert contexts == {"platform": "idp-platform-prod",
                        "prod-eu-west-1": "idp-prod-eu-west-1",
                        "prod-us-east-1": "idp-prod-us-east-1",
                        "staging-eu-west-1": "idp-staging-eu-west-1"}
    for provider in providers.values():
        assert provider.get("renderYamlToDirectory") is None
        # Provider inputs reach the engine as strings.
        assert provider.get("enableServerSideApply") == "true"


def test_prod_destinations_live_on_the_platform_with_unique_labelled_paths(prod):
    destinations = {d.get("metadata", "name"): d for d in prod.kind("Destination")}
    assert set(destinations) == {"prod-eu-west-1", "prod-us-east-1", "staging-eu-west-1"}
    paths = [d.get("spec", "path") for d in destinations.values()]
    assert sorted(paths) == ["prod/eu-west-1", "prod/us-east-1", "staging/eu-west-1"]
    for name, destination in destinations.items():
        assert destination.provider_name == "platform", "Destination objects live on the platform"
        labels = destination.get("metadata", "labels")
        environment, region = name.split("-", 1)
        # `promises: enabled` is what the promises' destination selectors match on.
        assert labels == {"environment": environment, "region": region, "cluster": name,
                          "promises": "enabled"}
        assert destination.get("spec", "stateStoreRef") == {"kind": "BucketStateStore",
                                                            "name": "s3-state"}
    assert destinations["prod-eu-west-1"].get("spec", "strictMatchLabels") is True
    assert destinations["staging-eu-west-1"].get("spec", "strictMatchLabels") is False


def test_prod_state_store_uses_iam_and_no_static_secret(prod):
    store = prod.kind("BucketStateStore")[0]
    assert store.get("spec") == {
        "bucketName": "acme-idp-kratix-state",
        "endpoint": "s3.eu-west-1.amazonaws.com",
        "path": "kratix",
        "insecure": False,
        "authMethod": "IAM",
    }
    # Besides Grafana's generated admin password and the portal's own Secret (its OIDC client
    # and database passwords), the only Secrets are ArgoCD's repository and cluster Secrets
    # (IAM, no tokens).
    assert {r.get("metadata", "labels", "argocd.argoproj.io/secret-type")
            for r in prod.of_type(SECRET)
            if r.parent_type != PORTAL and r.name != "observability-grafana-admin"} == {
        "repository", "cluster"}
    kratix = prod.named("kratix-controller")
    assert kratix.get("values", "serviceAccount", "annotations") == {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/idp-kratix-state-store"}


def test_prod_footprint_is_highly_available(prod):
    values = prod.named("kratix-cert-manager").get("values")
    assert values["replicaCount"] == 2
    assert values["webhook"]["replicaCount"] == 3
    assert values["podDisruptionBudget"] == {"enabled": True}
    kratix = prod.named("kratix-controller")
    assert kratix.get("values", "resources") == KRATIX_SIZES["prod"].kratix_controller.resources()


def test_prod_outputs_give_each_destination_its_sync_paths(prod):
    destinations = prod.outputs["destinations"]
    assert destinations["prod-us-east-1"] == {
        "cluster": "prod-us-east-1", "stateStore": "s3-state",
        "labels": {"environment": "prod", "cluster": "prod-us-east-1", "region": "us-east-1",
                   "promises": "enabled"},
        "path": "kratix/prod/us-east-1",
        "dependenciesPath": "kratix/prod/us-east-1/dependencies",
        "resourcesPath": "kratix/prod/us-east-1/resources"}
    assert prod.outputs["clusters"]["prod-us-east-1"] == {
        "role": "worker", "target": {"mode": "kubeconfig", "context": "idp-prod-us-east-1"}}


# -- topology switch ---------------------------------------------------------------------------


def _signature(registry: Registry) -> dict[str, tuple]:
    return {r.urn: (r.inputs, r.provider_name, tuple(sorted(r.dependencies)))
            for r in registry.all}


def dev_with_a_worker() -> dict:
    """The dev stack switched to multi-cluster with one worker, `worker-1`, that ArgoCD reaches
    with a bearer token."""
    config = stack_config("dev", topology="multi-cluster")
    config["clusters"].append({"name": "worker-1", "role": "worker", "environment": "dev",
                               "region": "local", "target": {"mode": "render"},
                               "server": "https://worker-1.k8s.example.com"})
    # The embedded MinIO is reachable only inside the platform cluster: the worker reads its own
    # external bucket.
    config["stateStores"].append({"name": "worker-state", "kind": "bucket", "bucket": {
        "endpoint": "s3.example.com", "authMethod": "IAM"}})
    config["destinations"].append({"name": "worker-1", "cluster": "worker-1",
                                   "stateStore": "worker-state"})
    config["gitopsCredentials"] = {"worker-1": {"bearerToken": "token"}}
    config["observability"]["gatewayEndpoint"] = "otlp.platform.example.com:4317"
    # Its Kubecost agent reports through a bucket (tested in test_finops.py).
    config["finops"] = {**config["finops"], "federatedStorageSecret": "kubecost-store"}
    return config


def test_switching_to_multi_cluster_adds_only_the_worker_and_its_destination(dev):
    multi = run_program(dev_with_a_worker(), "dev", secret_keys=["gitopsCredentials"])

    before, after = _signature(dev), _signature(multi)
    # The worker gets a security baseline, telemetry collection and a Kubecost agent of its own
    # (tested in test_security.py, test_observability.py and test_finops.py), and Kubecost
    # everywhere now reports through the bucket.
    worker_layers = {urn for urn in after
                     if "security-worker-1" in urn or "observability-worker-1" in urn
                     or "finops-worker-1" in urn}
    assert multi.named("security-worker-1").urn in worker_layers
    assert multi.named("observability-worker-1-agent").urn in worker_layers
    for urn in worker_layers:
        del after[urn]
    kubecost_urn = dev.named("finops-platform-kubecost").urn
    del before[kubecost_urn], after[kubecost_urn]
    added = set(after) - set(before)
    assert set(before) <= set(after), "switching topology must not remove anything"
    # The published facts describe the topology, so they change with it, and only there.
    facts_urn = dev.named("kratix-facts").urn
    changed = {key for key, value in after[facts_urn][0]["data"].items()
               if before[facts_urn][0]["data"][key] != value}
    assert changed == {"topology", "clusters", "destinations"}
    del before[facts_urn], after[facts_urn]
    assert {urn.rsplit("::", 1)[-1] for urn in added} == {
        "worker-1", "worker-1-destination", "worker-state", "worker-state-store",
        "gitops-cluster-worker-1", "worker-1-sync-bucket", "worker-1-sync-dependencies",
        "worker-1-sync-resources", "flux-worker-1", "flux-worker-1-ns",
        "flux-worker-1-controllers"}
    assert sorted(urn.split("::")[2].rsplit("$", 1)[-1] for urn in added) == sorted([
        PROVIDER, DESTINATION, "kubernetes:platform.kratix.io/v1alpha1:Destination",
        STATE_STORE, "kubernetes:platform.kratix.io/v1alpha1:BucketStateStore", SECRET,
        FLUX, NAMESPACE, CHART,
        "kubernetes:source.toolkit.fluxcd.io/v1:Bucket",
        "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization",
        "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization"])
    # The new cluster joins the dev ApplicationSet through its labels, the AppProjects through
    # their destinations: both change, nothing else does.
    # The portal's catalog lists the new cluster, state store and destination.
    for changed_name in ("gitops-project-payments", "gitops-project-search",
                         "gitops-project-platform", "portal-catalog"):
        urn = dev.named(changed_name).urn
        del before[urn], after[urn]
    for urn in before:
        assert before[urn] == after[urn], f"{urn} changed when only a worker was added"
    worker_destination = multi.named("worker-1-destination")
    assert worker_destination.provider_name == "platform"
    # The worker reads a bucket, so it gets its own Flux, and its sync objects wait for it.
    assert multi.named("flux-worker-1-controllers").provider_name == "worker-1"
    assert multi.named("flux-worker-1-controllers").urn in \
        multi.named("worker-1-sync-bucket").dependencies
    assert worker_destination.get("spec", "path") == "worker-1"
    assert multi.named("worker-1", PROVIDER).get("renderYamlToDirectory") == "rendered/dev/worker-1"


# -- other state store kinds -------------------------------------------------------------------


def _with_store(store: dict, credentials: dict | None) -> Registry:
    """The state store component alone, from `store` and its `credentials` as the prod stack
    validates them (the rest of the stack is no part of a store)."""
    config = parse_test_config(stack_config("prod", stateStores=[store], **(
        {"stateStoreCredentials": {store["name"]: credentials}} if credentials else {})),
        "prod", secret_keys=["stateStoreCredentials"])
    [spec] = config.state_stores

    def program() -> None:
        provider = k8s.Provider("platform", render_yaml_to_directory="rendered/test")
        StateStoreComponent(spec.name, StateStoreArgs(
            spec=spec, provider=provider, profile=PROFILES["prod"], images=charts.IMAGES,
            credentials=config.state_store_credentials.get(spec.name, {})))

    return run_program({}, "prod", program=program)


def test_git_store_with_basic_auth():
    registry = _with_store(
        {"name": "s3-state", "kind": "git", "path": "clusters",
         "git": {"url": "https://git.example.com/platform/state.git", "branch": "kratix",
                 "authorEmail": "kratix@example.com"}},
        {"username": "kratix-bot", "password": "token"})
    store = registry.kind("GitStateStore")[0]
    assert store.get("spec") == {
        "url": "https://git.example.com/platform/state.git", "branch": "kratix",
        "path": "clusters", "authMethod": "basicAuth",
        "secretRef": {"name": "s3-state-statestore-credentials",
                      "namespace": "kratix-platform-system"},
        "gitAuthor": {"name": "kratix", "email": "kratix@example.com"}}
    secret = registry.named("s3-state-credentials")
    data = secret.inputs["stringData"]
    assert is_secret(data), "credentials from secret config must stay Pulumi secrets"
    assert reveal(data) == {"username": "kratix-bot", "password": "token"}
    assert secret.urn in store.dependencies


def test_git_store_with_ssh_needs_key_and_known_hosts():
    registry = _with_store(
        {"name": "s3-state", "kind": "git",
         "git": {"url": "git@git.example.com:platform/state.git", "authMethod": "ssh"}},
        {"sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----\n",
         "knownHosts": "git.example.com ssh-ed25519 A"})
    secret = registry.named("s3-state-credentials")
    assert set(reveal(secret.inputs["stringData"])) == {"sshPrivateKey", "knownHosts"}
    assert registry.kind("GitStateStore")[0].get("spec", "authMethod") == "ssh"


def test_external_bucket_with_access_keys_gets_kratix_key_names():
    registry = _with_store(
        {"name": "s3-state", "kind": "bucket", "secretNamespace": "idp-secrets",
         "bucket": {"endpoint": "minio.example.com:9000", "insecure": True,
                    "versioning": True}},
        {"accessKeyID": "AKIA", "secretAccessKey": "s3cr3t"})
    store = registry.kind("BucketStateStore")[0]
    assert store.get("spec", "secretRef") == {"name": "s3-state-statestore-credentials",
                                              "namespace": "idp-secrets"}
    secret = registry.named("s3-state-credentials")
    assert secret.get("metadata", "namespace") == "idp-secrets"
    assert set(reveal(secret.inputs["stringData"])) == {"accessKeyID", "secretAccessKey"}


# -- chart mirror ------------------------------------------------------------------------------


@pytest.mark.parametrize("mirror,chart,version,repo", [
    ("oci://registry.internal/charts", "oci://registry.internal/charts/kratix", "v0.0.1", None),
    ("https://charts.internal/idp", "kratix", "v0.0.1", "https://charts.internal/idp"),
])
def test_remote_chart_mirror_redirects_every_chart(mirror, chart, version, repo):
    config = stack_config("dev", chartMirror=mirror)
    registry = run_program(config, "dev")
    kratix = registry.named("kratix-controller")
    assert kratix.get("chart") == chart
    assert kratix.get("version") == version
    assert kratix.get("repositoryOpts", "repo") == repo
    cert_manager = registry.named("kratix-cert-manager")
    assert "cert-manager" in cert_manager.get("chart")
    assert cert_manager.get("repositoryOpts", "repo") == repo


def test_local_chart_mirror_takes_unpacked_and_packaged_charts(tmp_path):
    """A mirror folder of `helm pull --untar` output or of packages, relative to the project."""
    import shutil
    import tarfile

    from components import charts

    mirror = tmp_path / "mirror"
    for source in charts.CHARTS.values():
        chart_dir = mirror / source.chart
        chart_dir.mkdir(parents=True)
        (chart_dir / "Chart.yaml").write_text(
            f"apiVersion: v2\nname: {source.chart}\nversion: {source.version}\n")
    packaged = mirror / f"cert-manager-{charts.CHARTS['cert-manager'].version}.tgz"
    with tarfile.open(packaged, "w:gz") as archive:
        archive.add(mirror / "cert-manager", arcname="cert-manager")
    shutil.rmtree(mirror / "cert-manager")
    config = stack_config("dev", chartMirror=str(mirror))
    registry = run_program(config, "dev")
    assert registry.named("kratix-controller").get("chart") == str(mirror / "kratix")
    assert registry.named("kratix-cert-manager").get("chart") == str(packaged)
    assert registry.named("kratix-controller").get("version") is None


def test_chart_version_override():
    config = stack_config("dev", charts={"cert-manager": {"version": "v1.18.2"}})
    registry = run_program(config, "dev")
    assert registry.named("kratix-cert-manager").get("version") == "v1.18.2"


# -- kubeconfig target -------------------------------------------------------------------------


def test_kubeconfig_target_applies_with_server_side_apply(tmp_path):
    kubeconfig = tmp_path / "dev"
    kubeconfig.write_text("contexts: [{name: kind-idp, context: {cluster: c, user: u}}]\n")
    config = stack_config("dev", lambda c: c["clusters"][0].update(target={
        "mode": "kubeconfig", "kubeconfig": str(kubeconfig), "context": "kind-idp"}))
    registry = run_program(config, "dev")
    provider = registry.named("platform", PROVIDER)
    assert provider.get("kubeconfig") == str(kubeconfig)
    assert provider.get("context") == "kind-idp"
    assert provider.get("renderYamlToDirectory") is None
    assert registry.outputs["clusters"]["platform"]["target"] == {"mode": "kubeconfig",
                                                                  "context": "kind-idp"}


# -- HA controller replicas (a transform on the chart's children) ------------------------------


def _controller(kind: str = "Deployment", name: str = "kratix-platform-controller-manager"):
    import pulumi

    return pulumi.ResourceTransformArgs(
        custom=True, type_=f"kubernetes:apps/v1:{kind}", name=name,
        props={"metadata": {"name": name}, "spec": {"replicas": 1, "selector": {}}},
        opts=pulumi.ResourceOptions())


def _own_transforms(chart) -> list:
    """A chart's transforms beyond the one every chart has (its CRDs without descriptions)."""
    assert crd_without_descriptions in chart.transforms
    return [t for t in chart.transforms if t is not crd_without_descriptions]


def test_prod_runs_two_kratix_controllers_through_a_chart_transform(prod):
    transforms = _own_transforms(prod.named("kratix-controller"))
    assert len(transforms) == 1
    result = transforms[0](_controller())
    assert result.props["spec"] == {"replicas": 2, "selector": {}}
    assert transforms[0](_controller(name="other")) is None
    assert transforms[0](_controller(kind="StatefulSet")) is None


def test_dev_keeps_the_chart_single_replica(dev):
    assert _own_transforms(dev.named("kratix-controller")) == []


def test_flux_runs_only_the_controllers_a_bucket_sync_needs(dev, prod):
    from components.gitops.flux import UNUSED_CONTROLLERS

    chart = dev.named("flux-platform-controllers")
    assert chart.get("chart") == "flux2" and chart.get("version") == charts.CHARTS["flux2"].version
    assert chart.get("namespace") == "flux-system"
    values = chart.get("values")
    footprint = FLUX_SIZES["dev"].flux_controller.resources()
    # helm-controller installs the promises' operators (Flux HelmReleases); the rest stay off.
    assert values["helmController"] == {"create": True, "resources": footprint}
    assert all(values[c] == {"create": False} for c in UNUSED_CONTROLLERS
               if c != "helmController")
    assert values["sourceController"] == {"create": True, "resources": footprint}
    assert values["kustomizeController"] == {"create": True, "resources": footprint}
    # prod: one Flux per worker, on that worker's cluster; none on the platform cluster.
    agents = {r.name: r.provider_name for r in prod.of_type("idp:platform:FluxBucketAgent")}
    assert set(agents) == {"flux-prod-eu-west-1", "flux-prod-us-east-1",
                           "flux-staging-eu-west-1"}
    for name in agents:
        assert prod.named(f"{name}-controllers").provider_name == name.removeprefix("flux-")


def test_services_skip_the_endpoint_await_only_where_the_stack_says_pods_get_no_address():
    import pulumi

    assert run_program(stack_file_config("dev"), "dev").stack_transforms == []
    registry = run_program(stack_config("dev", awaitServiceEndpoints=False), "dev")
    [transform] = registry.stack_transforms

    def applied(type_: str, props: dict):
        args = pulumi.ResourceTransformArgs(True, type_, "x", props, pulumi.ResourceOptions())
        return transform(args)

    service = applied("kubernetes:core/v1:Service",
                      {"metadata": {"name": "web", "annotations": {"keep": "me"}}})
    assert service.props["metadata"]["annotations"] == {"keep": "me",
                                                        "pulumi.com/skipAwait": "true"}
    assert applied("kubernetes:apps/v1:Deployment", {"metadata": {"name": "web"}}) is None


def test_the_program_takes_urns_back_not_resource_references(monkeypatch):
    """`__main__.py` turns resource references off before it registers anything: with them the
    SDK rebuilds every child of every chart as an object, one `getResource` call (its whole
    state) each (docs/performance.md)."""
    monkeypatch.setenv("PULUMI_DISABLE_RESOURCE_REFERENCES", "")
    monkeypatch.delenv("PULUMI_DISABLE_RESOURCE_REFERENCES")  # undone to unset after the test

    def main_module() -> None:
        runpy.run_path(str(REPO / "__main__.py"), run_name="__main__")

    registry, error = run_program_capturing(stack_file_config("dev"), "dev", program=main_module)
    assert error is None
    assert registry.of_type("kubernetes:helm.sh/v4:Chart")
    assert [r.name for r in registry.all if r.accept_resources] == []
