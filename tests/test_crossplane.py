"""The Crossplane cloud layer under Pulumi mocks: what is installed where in both stacks, how
providers authenticate, and the composite API the objectstorage promise emits into."""

from __future__ import annotations

import json

import pytest

from components import charts, naming
from components.crossplane.sizes import SIZES as CROSSPLANE_SIZES
from components.crossplane.component import AWS_CREDENTIALS_SECRET, IRSA_ANNOTATION, PACKAGE_CONTAINER, PATCH_FUNCTION, PROVIDERS, aws_credentials_file
from components.naming import CROSSPLANE_NAMESPACE
from components.topology import platform_namespaces
from promises.cloud import cloud_promises, composite_apis
from promises.definition import BACKEND_LABEL
from promises.objectstorage import composite_api
from promises.objectstorage.api import DEFINITION as OBJECTSTORAGE
from tests.harness import (is_secret, parse_stack_file, reveal, run_program, stack_config,
                           stack_file_config)

CLOUD = "idp:platform:CloudResources"
PROD_CROSSPLANE_CLUSTERS = {"prod-eu-west-1", "staging-eu-west-1"}
CROSSPLANE_GROUPS = ("pkg.crossplane.io", "apiextensions.crossplane.io", "aws.m.upbound.io",
                     "kubernetes.m.crossplane.io")


def crossplane_objects(registry):
    return [r for r in registry.all
            if any(r.type.startswith(f"kubernetes:{group}/") for group in CROSSPLANE_GROUPS)]


def by_cluster(registry, kind: str) -> dict[str, list]:
    found: dict[str, list] = {}
    for r in registry.kind(kind):
        found.setdefault(r.provider_name, []).append(r)
    return found


def facts(registry) -> dict:
    configmap = next(r for r in registry.kind("ConfigMap")
                     if r.get("metadata", "name") == naming.FACTS_CONFIGMAP)
    return configmap.get("data")


def with_secret_credentials(access_key="AKIAEXAMPLE", secret_key="s3cr3t"):
    def edit(config: dict) -> None:
        config["crossplane"]["credentials"] = "secret"
        del config["crossplane"]["awsRoleArn"]

    return stack_config("prod", edit, crossplaneCredentials={
        "aws": {"accessKeyID": access_key, "secretAccessKey": secret_key}})


# -- dev: the layer stays off --------------------------------------------------------------------


def test_dev_installs_no_crossplane_and_offers_no_cloud_backed_promise(dev):
    assert dev.of_type(CLOUD) == []
    assert crossplane_objects(dev) == []
    assert not [c for c in dev.of_type("kubernetes:helm.sh/v4:Chart")
                if c.get("chart") == "crossplane"]
    promises = {r.get("metadata", "name") for r in dev.kind("Promise")}
    assert promises == {"postgresql", "redis"}
    assert facts(dev)["crossplane"] == "false"
    assert json.loads(facts(dev)["promises"]) == ["postgresql", "redis"]
    assert "crossplane" not in dev.outputs


# -- prod: on the clusters of the selected destinations -------------------------------------------


def test_prod_runs_crossplane_on_the_clusters_of_the_selected_destinations(prod):
    layers = {r.name: r for r in prod.of_type(CLOUD)}
    assert set(layers) == {f"crossplane-{c}" for c in PROD_CROSSPLANE_CLUSTERS}
    clusters = {r.provider_name for r in crossplane_objects(prod)}
    assert clusters == PROD_CROSSPLANE_CLUSTERS, "nothing on the platform or prod-us-east-1"
    assert facts(prod)["crossplane"] == "true"
    assert set(prod.outputs["crossplane"]) == PROD_CROSSPLANE_CLUSTERS
    for layer in prod.outputs["crossplane"].values():
        assert layer == {"namespace": CROSSPLANE_NAMESPACE,
                         "providers": ["provider-aws-s3", "provider-kubernetes"],
                         "compositeApis": [composite_api.XRD_NAME]}


def test_prod_chart_is_pinned_and_sized_by_the_profile(prod):
    profile = CROSSPLANE_SIZES["prod"]
    for cluster in PROD_CROSSPLANE_CLUSTERS:
        chart = prod.named(f"crossplane-{cluster}-crossplane")
        assert (chart.get("chart"), chart.get("version")) == ("crossplane", "2.3.1")
        assert chart.get("version") == charts.CHARTS["crossplane"].version
        assert chart.get("namespace") == CROSSPLANE_NAMESPACE
        values = chart.get("values")
        assert values["replicas"] == profile.crossplane.replicas == 2
        assert values["resourcesCrossplane"] == profile.crossplane.resources()
        assert values["rbacManager"]["replicas"] == profile.crossplane_rbac_manager.replicas
        assert values["resourcesRBACManager"] == profile.crossplane_rbac_manager.resources()
        namespace = prod.named(f"crossplane-{cluster}-ns")
        assert namespace.urn in chart.dependencies
        assert namespace.get("metadata", "labels")["pod-security.kubernetes.io/enforce"] == \
            naming.PLATFORM_POD_SECURITY


def test_every_package_is_pinned_and_sized_through_its_runtime_config(prod):
    footprint = CROSSPLANE_SIZES["prod"].crossplane_package
    for cluster, packages in by_cluster(prod, "Provider").items():
        functions = by_cluster(prod, "Function")[cluster]
        installed = {p.get("metadata", "name"): p for p in [*packages, *functions]}
        assert installed.keys() == {"provider-aws-s3", "provider-kubernetes", PATCH_FUNCTION}
        assert installed["provider-aws-s3"].get("spec", "package") == \
            charts.CROSSPLANE_PACKAGES["aws"]
        assert installed["provider-kubernetes"].get("spec", "package") == \
            charts.CROSSPLANE_PACKAGES["kubernetes"]
        assert installed[PATCH_FUNCTION].get("spec", "package") == \
            charts.CROSSPLANE_PACKAGES[PATCH_FUNCTION]
        runtimes = {r.get("metadata", "name"): r
                    for r in by_cluster(prod, "DeploymentRuntimeConfig")[cluster]}
        for name, package in installed.items():
            assert ":v" in package.get("spec", "package") and "latest" not in \
                package.get("spec", "package")
            assert package.get("spec", "runtimeConfigRef") == {"name": name}
            runtime = runtimes[name]
            assert runtime.urn in package.dependencies
            container = runtime.get("spec", "deploymentTemplate", "spec", "template", "spec",
                                    "containers")[0]
            assert container == {"name": PACKAGE_CONTAINER, "resources": footprint.resources()}
            assert runtime.get("spec", "serviceAccountTemplate", "metadata", "name") == name


def test_prod_aws_provider_assumes_its_iam_role_and_holds_no_static_keys(prod):
    role = stack_file_config("prod")["crossplane"]["awsRoleArn"]
    for cluster, runtimes in by_cluster(prod, "DeploymentRuntimeConfig").items():
        named = {r.get("metadata", "name"): r for r in runtimes}
        annotations = named["provider-aws-s3"].get("spec", "serviceAccountTemplate",
                                                    "metadata", "annotations")
        assert annotations == {IRSA_ANNOTATION: role}
        assert named["provider-kubernetes"].get("spec", "serviceAccountTemplate", "metadata",
                                                "annotations") is None
    configs = [r for r in prod.kind("ClusterProviderConfig")
               if r.type.startswith("kubernetes:aws.m.upbound.io/")]
    assert len(configs) == 2
    for config in configs:
        assert config.get("metadata", "name") == composite_api.PROVIDER_CONFIG["name"]
        assert config.get("spec", "credentials") == {"source": "IRSA"}
    assert not [s for s in prod.kind("Secret")
                if s.get("metadata", "namespace") == CROSSPLANE_NAMESPACE]


def test_kubernetes_provider_uses_its_own_service_account_with_namespace_admin(prod):
    for cluster in PROD_CROSSPLANE_CLUSTERS:
        config = prod.named(f"crossplane-{cluster}-provider-kubernetes-config")
        assert config.type == "kubernetes:kubernetes.m.crossplane.io/v1alpha1:ClusterProviderConfig"
        assert config.get("spec", "credentials") == {"source": "InjectedIdentity"}
        binding = prod.named(f"crossplane-{cluster}-provider-kubernetes-admin")
        assert binding.get("roleRef", "name") == "admin"
        assert binding.get("subjects") == [{"kind": "ServiceAccount",
                                            "name": "provider-kubernetes",
                                            "namespace": CROSSPLANE_NAMESPACE}]
        assert binding.urn in config.dependencies


def test_static_cloud_keys_become_a_secret_from_secret_config():
    registry = run_program(with_secret_credentials(), "prod",
                           secret_keys=["crossplaneCredentials"])
    secrets = [s for s in registry.kind("Secret")
               if s.get("metadata", "name") == AWS_CREDENTIALS_SECRET]
    assert {s.provider_name for s in secrets} == PROD_CROSSPLANE_CLUSTERS
    for secret in secrets:
        assert secret.get("metadata", "namespace") == CROSSPLANE_NAMESPACE
        data = secret.inputs["stringData"]
        assert is_secret(data), "the credentials file must stay a Pulumi secret"
        value = reveal(data)["credentials"]
        assert value == aws_credentials_file("AKIAEXAMPLE", "s3cr3t")
        assert value == ("[default]\naws_access_key_id = AKIAEXAMPLE\n"
                                 "aws_secret_access_key = s3cr3t\n")
        config = registry.named(f"crossplane-{secret.provider_name}-provider-aws-s3-config")
        assert config.get("spec", "credentials") == {
            "source": "Secret", "secretRef": {"namespace": CROSSPLANE_NAMESPACE,
                                              "name": AWS_CREDENTIALS_SECRET,
                                              "key": "credentials"}}
        assert secret.urn in config.dependencies
    runtimes = [r for r in registry.kind("DeploymentRuntimeConfig")
                if r.get("metadata", "name") == "provider-aws-s3"]
    assert all(r.get("spec", "serviceAccountTemplate", "metadata", "annotations") is None
               for r in runtimes)


def test_composite_apis_are_installed_in_order_on_every_crossplane_cluster(prod):
    for cluster in PROD_CROSSPLANE_CLUSTERS:
        chart = prod.named(f"crossplane-{cluster}-crossplane")
        xrd = prod.named(f"crossplane-{cluster}-{composite_api.XRD_NAME}")
        composition = prod.named(f"crossplane-{cluster}-{composite_api.COMPOSITION_NAME}")
        function = prod.named(f"crossplane-{cluster}-{PATCH_FUNCTION}")
        assert chart.urn in xrd.dependencies
        assert {xrd.urn, function.urn} <= set(composition.dependencies)
        assert xrd.get("spec") == composite_api.xrd()["spec"]
        assert composition.get("spec") == composite_api.composition()["spec"]
        assert xrd.parent_name == composition.parent_name == f"crossplane-{cluster}"


def test_the_cloud_backed_promise_schedules_where_crossplane_runs_after_it(prod):
    promise = prod.named("promise-objectstorage-promise")
    assert promise.get("metadata", "labels")[BACKEND_LABEL] == "crossplane"
    selectors = stack_file_config("prod")["crossplane"]["destinationSelectors"]
    assert promise.get("spec", "destinationSelectors") == [{"matchLabels": selectors}]
    assert promise.get("spec", "dependencies") == [], "no operator: Crossplane is the backend"
    # Depending on the layers means waiting for all their children, the composite APIs too.
    apis = {r.urn for kind in ("CompositeResourceDefinition", "Composition")
            for r in prod.kind(kind)}
    assert len(apis) == 4 and apis <= set(promise.dependencies)
    # The in-cluster promises keep the promises' own selectors.
    redis = prod.named("promise-redis-promise")
    assert redis.get("metadata", "labels")[BACKEND_LABEL] == "kubernetes"
    assert redis.get("spec", "destinationSelectors") == [{"matchLabels": {"promises": "enabled"}}]


def test_where_platform_puts_crossplane_on_the_platform_cluster_only():
    config = stack_config("dev", crossplane={
        "enabled": True, "where": "platform", "credentials": "workloadIdentity",
        "awsRoleArn": "arn:aws:iam::123456789012:role/x"})
    registry = run_program(config, "dev")
    assert [r.name for r in registry.of_type(CLOUD)] == ["crossplane-platform"]
    assert {r.provider_name for r in crossplane_objects(registry)} == {"platform"}
    assert "objectstorage" in {r.get("metadata", "name") for r in registry.kind("Promise")}
    # Dev's profile, should someone turn the layer on there: one small replica.
    values = registry.named("crossplane-platform-crossplane").get("values")
    assert values["replicas"] == 1
    assert values["resourcesCrossplane"] == CROSSPLANE_SIZES["dev"].crossplane.resources()


# -- the composite API: XRD and Composition agree ------------------------------------------------


def schema_at(schema: dict, path: str) -> dict | None:
    """The schema of the field at dotted `path` (None when the schema does not declare it)."""
    for part in path.split("."):
        properties = schema.get("properties") or {}
        if part not in properties:
            return None
        schema = properties[part]
    return schema


def xrd_schema() -> dict:
    return composite_api.xrd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


def patches():
    for resource in composite_api.composition()["spec"]["pipeline"][0]["input"]["resources"]:
        for patch in resource.get("patches", []):
            yield resource["name"], patch


def test_every_patched_composite_field_exists_in_the_xrd_schema():
    seen = {"FromCompositeFieldPath": 0, "ToCompositeFieldPath": 0}
    for resource, patch in patches():
        seen[patch["type"]] += 1
        composite_path = (patch["fromFieldPath"] if patch["type"] == "FromCompositeFieldPath"
                          else patch["toFieldPath"])
        assert schema_at(xrd_schema(), composite_path) is not None, \
            f"{resource}: {composite_path} is not in the XRD schema"
    assert seen["FromCompositeFieldPath"] >= 4 and seen["ToCompositeFieldPath"] == 2


def test_schema_lookup_rejects_a_field_the_xrd_lacks():
    assert schema_at(xrd_schema(), "spec.region") is not None
    assert schema_at(xrd_schema(), "spec.size") is None
    assert schema_at(xrd_schema(), "status.endpoint") is None


def test_composition_type_reference_and_function_match_the_xrd_and_the_layer():
    xrd, composition = composite_api.xrd(), composite_api.composition()
    assert xrd["apiVersion"] == "apiextensions.crossplane.io/v2"
    assert xrd["spec"]["scope"] == "Namespaced" and "claimNames" not in xrd["spec"]
    assert xrd["metadata"]["name"] == f"{xrd['spec']['names']['plural']}.{xrd['spec']['group']}"
    version = xrd["spec"]["versions"][0]
    assert version["served"] and version["referenceable"]
    assert composition["spec"]["compositeTypeRef"] == {
        "apiVersion": f"{xrd['spec']['group']}/{version['name']}",
        "kind": xrd["spec"]["names"]["kind"]}
    assert xrd["spec"]["defaultCompositionRef"] == {"name": composition["metadata"]["name"]}
    assert composition["spec"]["mode"] == "Pipeline"
    steps = composition["spec"]["pipeline"]
    assert [s["functionRef"]["name"] for s in steps] == [PATCH_FUNCTION]
    assert PATCH_FUNCTION in charts.CROSSPLANE_PACKAGES
    # Both documents are what the layer installs.
    assert composite_apis() == [xrd, composition]


def test_composed_resources_use_the_provider_config_the_layer_creates():
    aws_group = PROVIDERS["aws"].config_api.split("/")[0]
    for resource in composite_api.composition()["spec"]["pipeline"][0]["input"]["resources"]:
        base = resource["base"]
        assert base["apiVersion"].split("/")[0].endswith(aws_group.split(".", 1)[1])
        assert base["spec"]["providerConfigRef"] == {"kind": "ClusterProviderConfig",
                                                     "name": "default"}
        region_patches = [p for p in resource["patches"]
                          if p.get("toFieldPath") == "spec.forProvider.region"]
        assert region_patches, f"{resource['name']} is not placed in the composite's region"


def test_versioning_and_public_access_are_composed_for_the_same_bucket():
    resources = {r["name"]: r for r in
                 composite_api.composition()["spec"]["pipeline"][0]["input"]["resources"]}
    assert set(resources) == {"bucket", "versioning", "public-access-block"}
    for name in ("versioning", "public-access-block"):
        assert resources[name]["base"]["spec"]["forProvider"]["bucketSelector"] == {
            "matchControllerRef": True}
    block = resources["public-access-block"]["base"]["spec"]["forProvider"]
    assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy",
                                          "ignorePublicAcls", "restrictPublicBuckets"))


def test_the_promise_api_and_the_composite_api_offer_the_same_choices():
    spec = xrd_schema()["properties"]["spec"]["properties"]
    options = {o.name: o for o in OBJECTSTORAGE.options}
    assert tuple(spec["region"]["enum"]) == options["region"].enum
    assert tuple(spec["versioning"]["enum"]) == options["versioning"].enum
    assert spec["versioning"]["default"] == options["versioning"].default
    assert [d.name for d in cloud_promises()] == ["objectstorage"]


def test_the_xrd_declares_a_composite_type_kubernetes_would_accept():
    xrd = composite_api.xrd()
    assert xrd["spec"]["names"]["plural"] == xrd["spec"]["names"]["plural"].lower()
    spec = xrd_schema()["properties"]["spec"]
    assert set(spec["required"]) <= set(spec["properties"])


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_crossplane_namespace_is_a_platform_namespace_only_where_the_layer_is_on(stack):
    config = parse_stack_file(stack)
    assert (CROSSPLANE_NAMESPACE in platform_namespaces(config)) == (stack == "prod")
