"""The platform acted on for real: each stack applied to its local clusters with the controllers
running beside them as local processes (scripts/local_controllers.py): a MinIO server as the
bucket state store, Flux's source-controller and kustomize-controller on every cluster that
syncs a destination, and the Kratix manager when IDP_KRATIX_BIN names one.

Kratix cannot be built here (the Go module proxy refuses every version of
github.com/syntasso/kratix), so the tests that need it skip without IDP_KRATIX_BIN; the rest
prove the store-to-cluster leg on every run: Flux, configured by the objects the stack applies
(Bucket, its Secret, two Kustomizations), reads each destination's folder of the real object
store and applies it to that destination's cluster and no other.

Only the layers the loop runs through are applied (Kratix, state stores, GitOps, destinations,
promises); observability, security, FinOps, the portal and Crossplane are off, which makes
each `up` a fraction of the whole stack's (test_engine.py applies those).
"""

from __future__ import annotations

import io
import json
import posixpath
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.engine.conftest import APPLY_STACKS, engine_workspace, local_cluster
from tests.harness import REPO, stack_file_config

pytestmark = pytest.mark.engine
local_controllers = sys.modules["local_controllers"]  # loaded with local_cluster

LOOP_OFF = ("observability", "security", "finops", "portal", "crossplane")
KRATIX = "platform.kratix.io"
FLUX_NAMESPACE = "flux-system"
PROBE = "idp-sync-probe"
REPO_PROMISES = REPO / "promises"
CNPG_CHART = REPO.parent / "shared" / "charts" / "cloudnative-pg"


def loop_config(stack: str) -> dict:
    """The stack's own settings with the layers outside the loop switched off; in a stack of
    several environments, promises meant for prod alone (the case that must not reach
    staging)."""
    own = stack_file_config(stack)
    config: dict = {key: {"enabled": False} for key in LOOP_OFF if key in own}
    environments = {c.get("environment") for c in own["clusters"] if c["role"] == "worker"}
    if {"prod", "staging"} <= environments:
        config["promises"] = {**own["promises"], "destinationSelectors": {"environment": "prod"}}
    return config


class Live:
    """A stack applied with the controllers running, and what the tests ask of it."""

    def __init__(self, workspace, clusters, controllers, store, kratix: bool):
        self.workspace = workspace
        self.clusters = clusters
        self.controllers = controllers
        self.store = store
        self.kratix = kratix
        self.by_name = {c.cluster: c for c in clusters.clusters}
        self.platform = clusters.clusters[0]
        self._destinations: dict | None = None

    @property
    def stack_file(self) -> Path:
        return self.workspace.root / f"Pulumi.{self.workspace.stack}.yaml"

    def config(self) -> dict:
        return yaml.safe_load(self.stack_file.read_text())["config"]

    def up(self) -> None:
        """`scripts/up STACK`: the CRD stack (nothing to change after the first), then the
        platform with both packs."""
        self.workspace.environment(on_output=None).up()
        self._destinations = None

    def kubectl(self, cluster, *args: str, **kwargs):
        return self.clusters.kubectl(cluster, *args, **kwargs)

    def items(self, cluster, kind: str, *scope: str) -> list[dict]:
        listed = self.kubectl(cluster, "get", kind, *(scope or ("-A",)), "-o", "json",
                              check=False)
        return json.loads(listed.stdout)["items"] if listed.returncode == 0 else []

    def destinations(self) -> dict[str, dict]:
        """The stack's destinations as its outputs state them (cluster, labels, paths), as of
        the last `up`."""
        if self._destinations is None:
            outputs = json.loads(self.workspace.pulumi("stack", "output", "--json").stdout)
            self._destinations = outputs["destinations"]
        return self._destinations

    def sync_now(self, cluster) -> None:
        """What `flux reconcile` does: ask every Bucket and Kustomization to run now."""
        stamp = str(time.time())
        for kind in ("buckets.source.toolkit.fluxcd.io",
                     "kustomizations.kustomize.toolkit.fluxcd.io"):
            self.kubectl(cluster, "annotate", kind, "--all", "-n", FLUX_NAMESPACE, "--overwrite",
                         f"reconcile.fluxcd.io/requestedAt={stamp}", check=False)

    def put(self, key: str, documents: list[dict]) -> None:
        """Write `documents` to the stack's bucket at `key`, as Kratix's writer does."""
        self.put_to(self.store.buckets[0], key, documents)

    def put_to(self, bucket: str, key: str, documents: list[dict]) -> None:
        from local_controllers import store_client

        body = yaml.safe_dump_all(documents).encode()
        store_client(self.store).put_object(bucket, key, io.BytesIO(body), len(body),
                                            content_type="application/yaml")

    def keys(self, prefix: str) -> list[str]:
        bucket = f"{self.store.buckets[0]}/"
        return [k.removeprefix(bucket) for k in self.controllers.objects(prefix)]

    def documents(self, prefix: str) -> list[dict]:
        from local_controllers import store_client

        client = store_client(self.store)
        found = []
        for key in self.keys(prefix):
            if key.endswith((".yaml", ".yml")):
                body = client.get_object(self.store.buckets[0], key).read()
                found += [d for d in yaml.safe_load_all(body) if d]
        return found


def wait_for(what: str, probe, timeout: float = 240, every: float = 3, nudge=None):
    """Poll `probe` until it returns something truthy; fail naming `what` and its last value."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        if nudge is not None:
            nudge()
        time.sleep(every)
    raise AssertionError(f"{what}: not within {timeout:.0f}s (last: {last!r})")


def ready(item: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (item.get("status") or {}).get("conditions") or [])


@pytest.fixture(scope="session")
def controllers_bin() -> Path:
    return local_cluster.controllers_bootstrap()


@pytest.fixture(scope="module", params=APPLY_STACKS)
def live(request, engine_bin, cluster_bin, controllers_bin, tmp_path_factory):
    stack = request.param
    tmp = tmp_path_factory.mktemp(f"reconcile-{stack}")
    clusters = local_cluster.Clusters(stack, tmp / "clusters", bin_dir=cluster_bin)
    controllers = local_cluster.Controllers(clusters, controllers_bin)
    kratix = local_cluster.kratix_binary()
    try:
        kubeconfig = clusters.up()
        store = controllers.up(kratix)
        workspace = engine_workspace.offline_workspace(
            tmp, engine_bin, stack, kubeconfig, store=store, config=loop_config(stack))
        state = Live(workspace, clusters, controllers, store, kratix is not None)
        state.up()
        controllers.wait_healthy()
        yield state
    finally:
        clusters.down()


def test_every_controller_is_healthy(live):
    assert live.controllers.status() and \
        {state for _, state in live.controllers.status()} == {"healthy"}, \
        live.controllers.status()


def test_down_stops_every_cluster_and_controller_process(cluster_bin, controllers_bin,
                                                          tmp_path):
    clusters = local_cluster.Clusters("dev", tmp_path / "clusters", bin_dir=cluster_bin)
    controllers = local_cluster.Controllers(clusters, controllers_bin)
    try:
        clusters.up()
        controllers.up()
        assert len(controllers.processes()) == 3  # MinIO, and Flux's two on the one cluster
    finally:
        clusters.down()
    assert local_controllers.processes_under(str(tmp_path / "clusters")) == []
    assert controllers.status() == []


def test_flux_reads_the_store_with_what_the_stack_applies(live):
    """Every Bucket the GitOps layer applies authenticates to the real store with the Secret
    the stack wrote and fetches the destination's folder (Ready with an artifact)."""
    for name, destination in live.destinations().items():
        cluster = live.by_name[destination["cluster"]]

        def bucket_ready():
            found = [b for b in live.items(cluster, "buckets.source.toolkit.fluxcd.io",
                                           "-n", FLUX_NAMESPACE)
                     if b["spec"].get("prefix") == destination["path"]]
            return found and all(ready(b) and b["status"].get("artifact") for b in found)

        wait_for(f"{name}: Flux Bucket ready", bucket_ready, nudge=lambda: live.sync_now(cluster))


def test_a_destinations_folder_lands_on_its_cluster_and_on_no_other(live):
    """Documents written where the destination reads (as Kratix writes them) become live objects
    on that destination's cluster alone: each cluster gets the probe naming its own
    destination, and only that one."""
    destinations = live.destinations()
    for name, destination in destinations.items():
        live.put(posixpath.join(destination["dependenciesPath"], "probe", f"{PROBE}.yaml"), [{
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": f"{PROBE}-{name}", "namespace": "default"},
            "data": {"destination": name},
        }])
    for name, destination in destinations.items():
        cluster = live.by_name[destination["cluster"]]

        def probes():
            return sorted(c["metadata"]["name"] for c in live.items(cluster, "configmaps",
                                                                  "-n", "default")
                          if c["metadata"]["name"].startswith(PROBE))

        wait_for(f"{name}: its probe on {cluster.context}", lambda: f"{PROBE}-{name}" in probes(),
                 nudge=lambda: live.sync_now(cluster))
        others = {f"{PROBE}-{n}" for n, d in destinations.items()
                  if d["cluster"] != destination["cluster"]}
        assert not (set(probes()) & others), (cluster.context, probes())


# -- with the Kratix manager (IDP_KRATIX_BIN) ---------------------------------------------------

needs_kratix = pytest.mark.skipif(
    local_cluster.kratix_binary() is None,
    reason="no Kratix manager: the Go module proxy refuses github.com/syntasso/kratix, so none "
    "is built here; set IDP_KRATIX_BIN to a manager binary to run these")


def matches(destination: dict, selectors: list[dict]) -> bool:
    """Kratix's documented scheduling for a promise's dependencies: every label of a selector
    on the destination; a promise without selectors goes to every destination that is not
    strict."""
    labels = destination["metadata"].get("labels") or {}
    wanted = [s.get("matchLabels") or {} for s in selectors]
    if not any(wanted):
        return not destination["spec"].get("strictMatchLabels", False)
    return any(all(labels.get(k) == v for k, v in w.items()) for w in wanted if w)


@needs_kratix
def test_every_state_store_and_destination_is_ready(live):
    for kind in ("bucketstatestores", "gitstatestores", "destinations"):
        def all_ready(kind=kind):
            items = live.items(live.platform, f"{kind}.{KRATIX}")
            return all(ready(i) for i in items) and items if kind == "destinations" \
                else all(ready(i) for i in items)
        wait_for(f"every {kind} Ready", all_ready)


def promise_placement(live) -> list[tuple[str, str, bool]]:
    """(promise, destination, expected) for every installed promise and destination."""
    destinations = {d["metadata"]["name"]: d
                    for d in live.items(live.platform, f"destinations.{KRATIX}")}
    rows = []
    for promise in live.items(live.platform, f"promises.{KRATIX}"):
        selectors = promise["spec"].get("destinationSelectors") or []
        for name, destination in destinations.items():
            rows.append((promise["metadata"]["name"], name, matches(destination, selectors)))
    return rows


def dependency_objects(live, promise_name: str) -> list[tuple[str, str]]:
    promise = next(p for p in live.items(live.platform, f"promises.{KRATIX}")
                   if p["metadata"]["name"] == promise_name)
    return [(d["kind"], d["metadata"]["name"]) for d in promise["spec"].get("dependencies") or []]


def placed(live) -> dict[tuple[str, str], tuple[bool, bool]]:
    """(promise, destination) -> (its dependencies in the store, live on the cluster)."""
    destinations = live.destinations()
    found = {}
    for promise, name, _ in promise_placement(live):
        wanted = set(dependency_objects(live, promise))
        folder = destinations[name]["dependenciesPath"]
        in_store = {(d.get("kind"), d["metadata"]["name"]) for d in live.documents(folder)}
        cluster = live.by_name[destinations[name]["cluster"]]
        namespaces = {n["metadata"]["name"] for n in live.items(cluster, "namespaces")}
        on_cluster = {(k, n) for k, n in wanted if k != "Namespace" or n in namespaces}
        found[(promise, name)] = (wanted <= in_store, bool(wanted) and on_cluster == wanted)
    return found


def report(live, rows) -> None:
    print(f"\n{live.workspace.stack}: promise x destination: expected / in store / on cluster")
    for (promise, destination), (expected, in_store, on_cluster) in sorted(rows.items()):
        print(f"  {promise:14} {destination:20} {expected!s:6} {in_store!s:6} {on_cluster}")


@needs_kratix
def test_each_promise_reaches_exactly_the_destinations_its_selectors_match(live):
    expected = {(p, d): e for p, d, e in promise_placement(live)}
    assert expected, "no promise installed"

    def settled():
        found = placed(live)
        rows = {k: (expected[k], *found[k]) for k in expected}
        for cluster in live.clusters.clusters:
            live.sync_now(cluster)
        return rows if all(e == s == c for e, s, c in rows.values()) else None

    try:
        rows = wait_for("dependencies placed as the selectors say", settled, timeout=300,
                        every=5)
    finally:
        report(live, {k: (expected[k], *placed(live)[k]) for k in expected})
    assert any(e for e, _, _ in rows.values())


def test_an_unversioned_bucket_loses_what_the_versioned_store_keeps(live):
    """kratix-state-store-versioned's harm, on the real store: Kratix rewrites a destination's
    documents in place; in the stack's versioned bucket the earlier version stays readable, in
    an unversioned one (what the policy flags) it is gone."""

    from local_controllers import store_client

    client = store_client(live.store)
    stack_bucket = live.store.buckets[0]
    assert client.get_bucket_versioning(stack_bucket).status == "Enabled"
    unversioned = f"{stack_bucket}-unversioned"
    root = local_controllers._client(live.store, root=True)
    if not root.bucket_exists(unversioned):
        root.make_bucket(unversioned)
    assert client.get_bucket_versioning(unversioned).status != "Enabled"
    kept = {}
    for bucket in (stack_bucket, unversioned):
        for replicas in ("1", "3"):
            live.put_to(bucket, "antipattern/versioning/postgres.yaml", [{
                "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "sizing"},
                "data": {"replicas": replicas}}])
        versions = list(client.list_objects(bucket, prefix="antipattern/versioning/",
                                            include_version=True))
        kept[bucket] = len(versions)
    print(f"versions kept after one overwrite: {kept}")
    assert kept == {stack_bucket: 2, unversioned: 1}


def test_a_pipelines_output_placed_where_kratix_writes_it_becomes_live(live, tmp_path):
    """The half of a resource request no container runtime is needed for: the PostgreSQL
    pipeline program's own output for the seed's request, written under the destination's
    resources folder as Kratix's work-writer lays it out, is applied by Flux onto the cluster
    (the operator's CRDs installed there as its HelmRelease would)."""
    from tests.test_promise_pipelines import run_pipeline

    name, destination = next(iter(live.destinations().items()))
    cluster = live.by_name[destination["cluster"]]
    team = stack_file_config(live.workspace.stack)["teams"][0]["name"]
    namespace = f"{team}-{destination['labels']['environment']}"
    live.kubectl(cluster, "create", "namespace", namespace, check=False)
    request = yaml.safe_load((REPO_PROMISES / "postgresql" / "examples" / "my-app-db.yaml")
                             .read_text())
    request["metadata"]["namespace"] = namespace
    run = run_pipeline(tmp_path, "postgresql", request, as_program=True)
    assert run.returncode == 0, run.stderr
    crds = (CNPG_CHART / "templates" / "crds" / "crds.yaml").read_text().splitlines()
    # The chart wraps its CRDs in `{{- if .Values.crds.create }}` ... `{{- end }}`.
    live.kubectl(cluster, "apply", "--server-side", "-f", "-", input="\n".join(crds[1:-1]))
    folder = posixpath.join(destination["resourcesPath"], namespace, "postgresql",
                            request["metadata"]["name"], "configure-postgresql", "a1b2c")
    for file_name, document in run.output.items():
        live.put(posixpath.join(folder, file_name), [document])
    wanted = sorted((d["kind"], d["metadata"]["name"]) for d in run.output.values())

    def applied():
        found = []
        for kind, obj_name in wanted:
            got = live.kubectl(cluster, "get", f"{kind}", obj_name, "-n", namespace,
                               "-o", "name", check=False)
            if got.returncode == 0:
                found.append((kind, obj_name))
        return sorted(found) == wanted

    wait_for(f"{name}: the pipeline's {wanted} live in {namespace}", applied,
             nudge=lambda: live.sync_now(cluster))


def set_destination(live, name: str, **settings) -> None:
    """Change one destination's settings in the workspace's stack file (what a user edits)."""
    data = yaml.safe_load(live.stack_file.read_text())
    for destination in data["config"]["idp:destinations"]:
        if destination["name"] == name:
            destination.update(settings)
            for key in [k for k, v in settings.items() if v is None]:
                del destination[key]
    live.stack_file.write_text(yaml.safe_dump(data, sort_keys=False))


def misplaced(live) -> list[str]:
    """WorkPlacements Kratix marked as no longer matching their destination."""
    return sorted(w["metadata"]["name"] for w in live.items(live.platform,
                                                            f"workplacements.{KRATIX}")
                  if (w["metadata"].get("labels") or {}).get("kratix.io/misplaced") == "true")


@needs_kratix
def test_relabelling_destinations_gives_the_new_match_its_dependencies(live):
    """One `pulumi up` relabels two destinations: the one that now matches receives every
    promise's dependencies. The one that no longer matches keeps them, as Kratix does: its
    WorkPlacements are labelled kratix.io/misplaced and the Work is not Ready (Misplaced,
    DestinationSelectorMismatch); deleting those WorkPlacements (docs/layers/kratix.md) empties
    its folder and Flux prunes the objects."""
    if len(live.destinations()) < 2:
        # One destination: a relabel that leaves a promise without a match is refused before
        # anything is registered (the config check), so there is nothing to move to.
        set_destination(live, "platform", environment="test")
        refused = live.workspace.pulumi("preview", check=False)
        set_destination(live, "platform", environment=None)
        assert refused.returncode != 0 and "matches no destination" in refused.stdout, \
            refused.stdout[-3000:]
        return
    gains, loses = "staging-eu-west-1", "prod-us-east-1"
    before = placed(live)
    assert all(not before[k][1] for k in before if k[1] == gains), before
    set_destination(live, gains, environment="prod")
    set_destination(live, loses, environment="staging")
    live.up()
    expected = {(p, d): e for p, d, e in promise_placement(live)}
    promises = {p for p, _ in expected}
    assert not any(expected[(p, loses)] for p in promises)

    def stage(wanted_on_loser: bool):
        def check():
            for cluster in live.clusters.clusters:
                live.sync_now(cluster)
            found = placed(live)
            gained = all(found[(p, gains)] == (True, True) for p in promises)
            kept = all(found[(p, loses)] == (wanted_on_loser,) * 2 for p in promises)
            return found if gained and kept else None
        return check

    try:
        wait_for("the new match has every promise's dependencies; the old keeps them",
                 stage(True), timeout=300, every=5)
        marked = misplaced(live)
        assert marked and all(f".{loses}-" in m for m in marked), marked
        conditions = {(c["type"], c.get("reason"))
                      for w in live.items(live.platform, f"works.{KRATIX}")
                      for c in (w.get("status") or {}).get("conditions") or []
                      if c.get("status") == "False"}
        print(f"misplaced: {marked}; the Works' False conditions: {sorted(conditions)}")
        assert conditions == {("Ready", "Misplaced"),
                              ("ScheduleSucceeded", "DestinationSelectorMismatch")}, conditions
        live.kubectl(live.platform, "delete", f"workplacements.{KRATIX}", "-A",
                     "-l", "kratix.io/misplaced=true")
        wait_for("the old match's folder emptied and its objects pruned", stage(False),
                 timeout=300, every=5)
        assert misplaced(live) == []
    finally:
        report(live, {k: (expected[k], *placed(live)[k]) for k in expected})


@needs_kratix
def test_a_resource_request_starts_its_pipeline(live):
    """Kratix takes a PostgreSQL request in a team namespace and starts the promise's configure
    pipeline as a Job. kwok marks the Job's pod finished without running its containers, so
    the pipeline writes no output and no Work follows from it: that part is proven by
    test_a_pipelines_output_placed_where_kratix_writes_it_becomes_live instead."""
    team = stack_file_config(live.workspace.stack)["teams"][0]["name"]
    namespace = f"{team}-requests"
    live.kubectl(live.platform, "create", "namespace", namespace, check=False)
    request = yaml.safe_load((REPO_PROMISES / "postgresql" / "examples" / "my-app-db.yaml")
                             .read_text())
    request["metadata"]["namespace"] = namespace
    live.kubectl(live.platform, "apply", "-f", "-", input=yaml.safe_dump(request))

    def pipeline_job():
        jobs = [j for j in live.items(live.platform, "jobs", "-n", namespace)
                if "postgresql" in j["metadata"]["name"]]
        return jobs

    jobs = wait_for("the configure pipeline's Job", pipeline_job)
    images = {c["image"] for j in jobs for c in
              j["spec"]["template"]["spec"].get("initContainers", []) +
              j["spec"]["template"]["spec"]["containers"]}
    promise = next(p for p in live.items(live.platform, f"promises.{KRATIX}")
                   if p["metadata"]["name"] == "postgresql")
    pipeline = promise["spec"]["workflows"]["resource"]["configure"][0]
    assert pipeline["spec"]["containers"][0]["image"] in images, images
    # The promise's own Work (its static dependencies) is there; none comes from the request
    # while its pipeline cannot write output.
    works = sorted(w["metadata"]["name"] for w in live.items(live.platform, f"works.{KRATIX}"))
    print(f"pipeline Job(s) {[j['metadata']['name'] for j in jobs]} in {namespace}; "
          f"Works on the platform: {works}")
    assert any(w.startswith("postgresql-static-deps") for w in works), works


@needs_kratix
def test_two_destinations_sharing_a_path_ship_one_clusters_work_to_the_other(live):
    """The harm the config check and Kratix's webhook refuse (the check does not see an object
    changed by hand, the webhook never runs here): staging's Destination pointed at
    prod-eu-west-1's folder, a promise meant for the staging cluster alone lands on prod."""
    destinations = live.destinations()
    if "staging-eu-west-1" not in destinations:
        pytest.skip("one destination: no second folder to share")
    prod_path = yaml.safe_load(live.kubectl(
        live.platform, "get", f"destinations.{KRATIX}", "prod-eu-west-1", "-o", "yaml")
        .stdout)["spec"]["path"]
    live.kubectl(live.platform, "patch", f"destinations.{KRATIX}", "staging-eu-west-1",
                 "--type", "merge", "-p", json.dumps({"spec": {"path": prod_path}}))
    marker = {"apiVersion": "v1", "kind": "ConfigMap",
              "metadata": {"name": "staging-only", "namespace": "default"},
              "data": {"meant-for": "staging"}}
    live.kubectl(live.platform, "apply", "-f", "-", input=yaml.safe_dump({
        "apiVersion": f"{KRATIX}/v1alpha1", "kind": "Promise",
        "metadata": {"name": "staging-only", "labels": {"kratix.io/promise-version": "v0.1.0"}},
        "spec": {"dependencies": [marker],
                 "destinationSelectors": [{"matchLabels": {"cluster": "staging-eu-west-1"}}]}}))
    prod = live.by_name[destinations["prod-eu-west-1"]["cluster"]]

    def on_prod():
        live.sync_now(prod)
        return live.kubectl(prod, "get", "configmap", "staging-only", "-n", "default",
                            check=False).returncode == 0

    wait_for("staging's promise on the prod cluster", on_prod, timeout=300, every=5)
    print(f"{prod.context} received the staging-only promise's ConfigMap through the shared "
          f"path {prod_path}")


@needs_kratix
def test_a_promise_without_a_version_label_cannot_satisfy_a_versioned_requirement(live):
    """kratix-promise-version-label's harm: a promise that requires another at a version is
    never fulfilled while the required one carries no kratix.io/promise-version label, and is
    as soon as it does."""
    def promise(name: str, labels: dict, spec: dict) -> str:
        return yaml.safe_dump({"apiVersion": f"{KRATIX}/v1alpha1", "kind": "Promise",
                               "metadata": {"name": name, "labels": labels}, "spec": spec})

    live.kubectl(live.platform, "apply", "-f", "-", input=promise("unlabelled-base", {}, {}))
    live.kubectl(live.platform, "apply", "-f", "-", input=promise(
        "needs-base", {"kratix.io/promise-version": "v0.1.0"},
        {"requiredPromises": [{"name": "unlabelled-base", "version": "v1.0.0"}]}))

    def requirements(status: str):
        def check():
            needs = json.loads(live.kubectl(live.platform, "get", f"promises.{KRATIX}",
                                            "needs-base", "-o", "json").stdout)
            found = [c for c in (needs.get("status") or {}).get("conditions") or []
                     if c["type"] == "RequirementsFulfilled"]
            return found if found and found[0]["status"] == status else None
        return check

    unfulfilled = wait_for("needs-base unfulfilled", requirements("False"), timeout=120)
    print(f"without the label: {unfulfilled[0].get('reason')}: {unfulfilled[0].get('message')}")
    live.kubectl(live.platform, "label", f"promises.{KRATIX}", "unlabelled-base",
                 "kratix.io/promise-version=v1.0.0")
    wait_for("needs-base fulfilled once labelled", requirements("True"), timeout=120)
    live.kubectl(live.platform, "delete", f"promises.{KRATIX}", "needs-base", "unlabelled-base",
                 "--wait=false")
