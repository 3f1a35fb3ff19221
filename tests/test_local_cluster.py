"""The local clusters stand in for the stack's own: loopback only, nodes sized like the profile,
contexts named as the stack's targets name them (no cluster is started here)."""

from __future__ import annotations

import importlib.util
import ipaddress
import sys
from pathlib import Path

import pytest

from components.profiles import PROFILES
from tests.harness import REPO, reveal, run_program, stack_file_config, strings

_spec = importlib.util.spec_from_file_location("local_cluster", REPO / "scripts" / "local_cluster.py")
local_cluster = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("local_cluster", local_cluster)
_spec.loader.exec_module(local_cluster)

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")


def addresses(value):
    """Every IP address or range written anywhere in `value`."""
    for text in strings(value):
        for word in text.replace(",", " ").split():
            try:
                yield ipaddress.ip_network(word, strict=False)
            except ValueError:
                continue


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_address_a_cluster_uses_is_loopback_and_no_two_clusters_share_a_range(stack):
    clusters = local_cluster.stack_clusters(stack)
    ranges = []
    for cluster in clusters:
        config = local_cluster.kwok_config(cluster, Path("/bin"))
        objects = local_cluster.base_objects(cluster)
        found = list(addresses(config)) + list(addresses(objects))
        assert found and all(net.subnet_of(LOOPBACK) for net in found), found
        assert config[0]["options"]["bindAddress"] == "127.0.0.1"
        ranges += [ipaddress.ip_network(cluster.service_cidr),
                   *(ipaddress.ip_network(cluster.node_pod_cidr(i))
                     for i in range(cluster.nodes.count))]
    assert all(not a.overlaps(b) for i, a in enumerate(ranges) for b in ranges[i + 1:])


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_nodes_are_sized_like_the_profile_and_contexts_match_the_targets(stack):
    profile = PROFILES[stack]
    clusters = local_cluster.stack_clusters(stack)
    for cluster in clusters:
        nodes = [o for o in local_cluster.base_objects(cluster) if o["kind"] == "Node"]
        assert len(nodes) == profile.nodes.count
        assert {n["status"]["allocatable"]["cpu"] for n in nodes} == {profile.nodes.cpu}
        assert {n["status"]["allocatable"]["memory"] for n in nodes} == {profile.nodes.memory}
    contexts = [c.context for c in clusters]
    assert len(set(contexts)) == len(contexts)
    if stack == "prod":
        assert contexts == ["idp-platform-prod", "idp-prod-eu-west-1", "idp-prod-us-east-1",
                            "idp-staging-eu-west-1"]
    else:
        assert contexts == ["idp-dev-platform"]


def test_webhook_admission_is_off_and_everything_else_stays_on():
    cluster = local_cluster.stack_clusters("dev")[0]
    config = local_cluster.kwok_config(cluster, Path("/bin"))
    patches = {p["name"]: {a["key"]: a["value"] for a in p["extraArgs"]}
               for p in config[0]["componentsPatches"]}
    assert patches["kube-apiserver"]["disable-admission-plugins"] == \
        "ValidatingAdmissionWebhook,MutatingAdmissionWebhook"
    assert "enable-admission-plugins" not in patches["kube-apiserver"]
    assert config[0]["options"]["kubeAuthorization"] is True
    assert patches["kube-controller-manager"]["enable-hostpath-provisioner"] == "true"


def test_every_crossplane_kind_the_program_applies_has_a_stand_in_crd():
    """Crossplane creates its CRDs as it runs; the harness registers one per kind prod applies
    (a kind added to the program without one would fail the engine tier's apply)."""
    registry = run_program(stack_file_config("prod"), "prod")
    applied = {
        (r.get("apiVersion"), r.get("kind"))
        for r in registry.all
        if r.type.startswith("kubernetes:")
        and any(group in (r.get("apiVersion") or "") for group in ("crossplane.io", "upbound.io"))
    }
    assert applied, "prod applies Crossplane objects"
    stand_ins = {
        (f"{crd['spec']['group']}/{crd['spec']['versions'][0]['name']}", crd["spec"]["names"]["kind"])
        for crd in local_cluster.runtime_crds()
    }
    assert applied <= stand_ins, applied - stand_ins
    assert all(crd["metadata"]["labels"] == {local_cluster.STAND_IN_LABEL: "true"}
               for crd in local_cluster.runtime_crds())


local_controllers = sys.modules["local_controllers"]
STORE = local_controllers.StoreAccess("127.0.0.1:9000", "kratix-0a1b2c", "generated-secret",
                                      "root-0a1b2c", "generated-root", ("kratix",))


@pytest.mark.parametrize("stack, expected", [
    ("dev", ["platform"]),
    ("prod", ["prod-eu-west-1", "prod-us-east-1", "staging-eu-west-1"]),
])
def test_flux_runs_on_every_cluster_that_syncs_a_bucket_destination(stack, expected):
    assert local_controllers.sync_clusters(REPO / f"Pulumi.{stack}.yaml") == expected


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_stack_reaches_the_local_store_as_an_external_bucket_with_its_keys(stack):
    """The embedded (dev) and IAM (prod) stores both become the local MinIO with access keys:
    the Kratix Secret, the BucketStateStore and every Flux Bucket Secret carry them."""
    config = {f"idp:{k}": v for k, v in stack_file_config(stack).items()}
    secrets = local_controllers.stack_store_config(config, STORE)
    stores = [s["name"] for s in config["idp:stateStores"] if s["kind"] == "bucket"]
    assert set(secrets) == {f"stateStoreCredentials.{name}.{key}" for name in stores
                            for key in ("accessKeyID", "secretAccessKey")}
    values = {k.split(":", 1)[1]: v for k, v in config.items()}
    values["stateStoreCredentials"] = {
        name: {"accessKeyID": STORE.access_key_id, "secretAccessKey": STORE.secret_access_key}
        for name in stores}
    registry = run_program(values, stack, secret_keys=["stateStoreCredentials"])
    bucket_stores = [r for r in registry.all if r.inputs.get("kind") == "BucketStateStore"]
    assert [s.inputs["spec"]["endpoint"] for s in bucket_stores] == [STORE.endpoint] * len(stores)
    assert all(s.inputs["spec"]["authMethod"] == "accessKey" for s in bucket_stores)
    flux_buckets = [r for r in registry.all if r.inputs.get("kind") == "Bucket"]
    assert flux_buckets and all(b.inputs["spec"]["endpoint"] == STORE.endpoint and
                                b.inputs["spec"]["provider"] == "generic"
                                for b in flux_buckets)
    # The one user's keys reach Kratix's Secret and every Flux Secret, under each one's names.
    written = {key for r in registry.all if r.type == "kubernetes:core/v1:Secret"
               for key, value in (reveal(r.inputs.get("stringData")) or {}).items()
               if STORE.secret_access_key in set(strings(value))}
    assert written == {"secretAccessKey", "secretkey"}
    assert not any(r.inputs.get("metadata", {}).get("name") == "minio" for r in registry.all)
