"""Components built alone, from the smallest args that make them (no stack file, no compose)."""

from __future__ import annotations

import pulumi_kubernetes as k8s

from components import charts
from components.placement import Destination, EmbeddedBucket, GitStore, StateStore
from components.destinations.component import Destination as DestinationComponent
from components.destinations.component import DestinationArgs
from components.profiles import PROFILES
from components.state_stores.component import StateStore as StateStoreComponent
from components.state_stores.component import StateStoreArgs
from components.sync import StoreAccess
from tests.harness import Registry, run_program

GIT = StateStore("git-state", "kratix", "kratix-platform-system",
                 GitStore(url="https://git.example.com/platform/state.git"))
DESTINATION = Destination(
    name="worker-1", cluster="worker-1", state_store="git-state", path="workers/one",
    environment="staging", region=None, labels={"tier": "apps"}, strict_match_labels=False,
    filepath_mode="nestedByMetadata", cleanup="none")


def build(program) -> Registry:
    """Run `program` alone under mocks: only what it registers is recorded."""
    return run_program({}, "dev", program=program)


def test_a_git_state_store_alone():
    def program():
        provider = k8s.Provider("platform", render_yaml_to_directory="rendered/test")
        StateStoreComponent("git-state", StateStoreArgs(
            spec=GIT, provider=provider, profile=PROFILES["dev"],
            credentials={"username": "bot", "password": "token"}))

    registry = build(program)
    store = registry.named("git-state-store")
    assert store.type == "kubernetes:platform.kratix.io/v1alpha1:GitStateStore"
    assert store.get("spec", "url") == GIT.backend.url
    assert store.get("spec", "path") == "kratix"
    assert {r.parent_name for r in registry.all if r.type.startswith("kubernetes:")} == {
        "git-state"}


def test_an_embedded_store_is_minio_in_its_own_namespace():
    spec = StateStore("default", "", "kratix-platform-system", EmbeddedBucket("kratix"))

    def program():
        provider = k8s.Provider("platform", render_yaml_to_directory="rendered/test")
        StateStoreComponent("default", StateStoreArgs(spec=spec, provider=provider,
                                                     profile=PROFILES["dev"],
                                                     images=charts.IMAGES))

    registry = build(program)
    assert "statestore-default" in {r.get("metadata", "name") for r in registry.kind("Namespace")}
    assert registry.kind("BucketStateStore")[0].get("spec", "bucketName") == "kratix"


def test_a_destination_without_a_sync_creates_only_its_kratix_object():
    def program():
        platform = k8s.Provider("platform", render_yaml_to_directory="rendered/test")
        worker = k8s.Provider("worker-1", render_yaml_to_directory="rendered/test-worker")
        DestinationComponent("worker-1", DestinationArgs(
            spec=DESTINATION, store=GIT, store_access=StoreAccess(GIT.backend.url, {}),
            platform_provider=platform, worker_provider=worker))

    registry = build(program)
    [destination] = registry.kind("Destination")
    assert destination.get("metadata", "labels") == {
        "environment": "staging", "cluster": "worker-1", "tier": "apps"}
    assert destination.get("spec", "path") == "workers/one"  # inside the store's own path
    assert destination.provider_name == "platform"
    assert [r.type for r in registry.all if r.provider_name == "worker-1"] == []
