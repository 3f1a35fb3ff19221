"""Every class of config mistake fails before any resource exists, naming the key and the fix."""

from __future__ import annotations

import copy

import pytest

from components.configschema import ConfigError
from tests.harness import (CHART_MIRROR, edit, expect_config_error, run_program_capturing,
                           stack_file_config, with_changes)

DEV = stack_file_config("dev")
PROD = stack_file_config("prod")
__all__ = ["DEV", "PROD", "edit", "expect_config_error", "with_changes"]


# Each case: (id, stack, config, key path that must be named, words that must appear).
CASES = [
    ("wrong-type-scalar", "dev",
     edit(DEV, lambda c: c["destinations"][0].update(strictMatchLabels="yes")),
     "idp:destinations[0].strictMatchLabels", "must be true or false"),
    ("wrong-type-list", "dev", with_changes(DEV, teams={"name": "payments"}),
     "idp:teams", "must be a list"),
    ("wrong-type-object", "dev", with_changes(DEV, clusters=["platform"]),
     "idp:clusters[0]", "must be an object"),
    ("unknown-top-level-key", "dev", with_changes(DEV, topolgy="single-cluster"),
     "idp:topolgy", "is not a known setting"),
    ("unknown-nested-key", "dev",
     edit(DEV, lambda c: c["clusters"][0]["target"].update(kubecfg="~/.kube/config")),
     "idp:clusters[0].target.kubecfg", "accepted: mode, kubeconfig, context, renderDir"),
    ("bad-enum", "dev", with_changes(DEV, profile="staging"),
     "idp:profile", "use one of: dev, prod"),
    ("bad-nested-enum", "dev",
     edit(DEV, lambda c: c["destinations"][0].update(filepathMode="flat")),
     "idp:destinations[0].filepathMode", "nestedByMetadata, aggregatedYAML, none"),
    ("empty-name", "dev", edit(DEV, lambda c: c["teams"][0].update(name="")),
     "idp:teams[0].name", "(it is empty)"),
    ("non-dns-name", "dev", edit(DEV, lambda c: c["stateStores"][0].update(name="Default_1")),
     "idp:stateStores[0].name", "DNS-1123"),
    ("too-long-name", "dev", edit(DEV, lambda c: c["teams"][1].update(name="t" * 64)),
     "idp:teams[1].name", "longer than 63"),
    ("missing-required", "dev", edit(DEV, lambda c: c["stateStores"][0].pop("kind")),
     "idp:stateStores[0].kind", "is required"),
    ("duplicate-cluster", "prod",
     edit(PROD, lambda c: c["clusters"][2].update(name="prod-eu-west-1")),
     "idp:clusters", "'prod-eu-west-1' is used more than once"),
    ("duplicate-destination", "prod",
     edit(PROD, lambda c: c["destinations"][1].update(name="prod-eu-west-1")),
     "idp:destinations", "'prod-eu-west-1' is used more than once"),
    ("duplicate-team", "dev", edit(DEV, lambda c: c["teams"][1].update(name="payments")),
     "idp:teams", "'payments' is used more than once"),
    ("destination-missing-store", "prod",
     edit(PROD, lambda c: c["destinations"][1].update(stateStore="git-state")),
     "idp:destinations[1].stateStore", "no state store 'git-state'; accepted: s3-state"),
    ("destination-missing-cluster", "prod",
     edit(PROD, lambda c: c["destinations"][2].update(cluster="staging-us")),
     "idp:destinations[2].cluster", "no cluster 'staging-us'"),
    ("shared-path", "prod",
     edit(PROD, lambda c: c["destinations"][1].update(path="prod/eu-west-1/")),
     "idp:destinations[1].path", "already used by idp:destinations[0]"),
    ("prod-unversioned-bucket", "prod",
     edit(PROD, lambda c: c["stateStores"][0]["bucket"].update(versioning=False)),
     "idp:stateStores[0].bucket.versioning", "a prod stack needs versioned state"),
    ("prod-embedded-store", "prod",
     with_changes(PROD, stateStores=[{"name": "s3-state", "kind": "bucket",
                                      "bucket": {"embedded": True}}]),
     "idp:stateStores[0].bucket.embedded", "not allowed in prod"),
    ("single-cluster-with-workers", "prod", with_changes(PROD, topology="single-cluster"),
     "idp:topology", "single-cluster takes exactly one cluster"),
    ("multi-cluster-without-workers", "dev", with_changes(DEV, topology="multi-cluster"),
     "idp:topology", "multi-cluster needs at least one cluster with role: worker"),
    ("two-platform-clusters", "prod",
     edit(PROD, lambda c: c["clusters"][1].update(role="platform")),
     "idp:clusters", "exactly one cluster needs role: platform, found 2"),
    ("render-with-context", "dev",
     edit(DEV, lambda c: c["clusters"][0].update(target={"mode": "render",
                                                          "context": "kind-dev"})),
     "idp:clusters[0].target", "apply only to mode kubeconfig"),
    ("endpoint-with-scheme", "prod",
     edit(PROD, lambda c: c["stateStores"][0]["bucket"].update(
         endpoint="https://s3.eu-west-1.amazonaws.com")),
     "idp:stateStores[0].bucket.endpoint", "(it has a scheme); accepted: host or host:port without scheme"),
    ("kind-without-settings", "prod",
     with_changes(PROD, stateStores=[{"name": "s3-state", "kind": "git"}]),
     "idp:stateStores[0].git", "is required for kind git"),
    ("settings-of-other-kind", "dev",
     edit(DEV, lambda c: c["stateStores"][0].update(git={"url": "https://git.example/x"})),
     "idp:stateStores[0].git", "applies only to kind git"),
    ("reserved-label", "dev",
     edit(DEV, lambda c: c["destinations"][0]["labels"].update(environment="prod")),
     "idp:destinations[0].labels.environment", "set environment on the destination"),
    ("bad-label-value", "dev",
     edit(DEV, lambda c: c["destinations"][0]["labels"].update(tier="-bad-")),
     "idp:destinations[0].labels.tier", "'-bad-' is not a Kubernetes label value"),
    ("missing-environment", "prod",
     edit(PROD, lambda c: c["clusters"][3].pop("environment")),
     "idp:destinations[2].environment", "is required"),
    ("unknown-chart-override", "dev", with_changes(DEV, charts={"kratixx": {"version": "1"}}),
     "idp:charts.kratixx", "accepted: cert-manager, kratix"),
    ("chart-mirror-missing-dir", "dev", with_changes(DEV, chartMirror="/nonexistent/charts"),
     "idp:chartMirror", "does not exist"),
    ("chart-mirror-wrong-version", "dev",
     with_changes(DEV, chartMirror=str(CHART_MIRROR), charts={"kratix": {"version": "v9"}}),
     "idp:chartMirror", "but v9 is pinned"),
    ("missing-credentials", "prod",
     edit(PROD, lambda c: c["stateStores"][0]["bucket"].update(authMethod="accessKey")),
     "idp:stateStoreCredentials.s3-state.accessKeyID", "pulumi config set --secret"),
    ("gitops-without-repository", "dev",
     edit(DEV, lambda c: c["gitops"].pop("repoURL")),
     "idp:gitops.repoURL", "is required when gitops is enabled"),
    ("gitops-tracks-head", "dev",
     edit(DEV, lambda c: c["gitops"].update(targetRevision="HEAD")),
     "idp:gitops.targetRevision", "does not pin the repository"),
    ("gitops-tracks-a-range", "dev",
     edit(DEV, lambda c: c["gitops"].update(targetRevision="v1.*")),
     "idp:gitops.targetRevision", "never HEAD or a range with *"),
    ("gitops-bad-secret-manager", "dev",
     edit(DEV, lambda c: c["gitops"].update(secrets="vault")),
     "idp:gitops.secrets", "use one of: sealed-secrets, external-secrets"),
    ("gitops-worker-without-server", "prod",
     edit(PROD, lambda c: c["clusters"][2].pop("server")),
     "idp:clusters[2].server", "its API server URL"),
    ("gitops-iam-without-role", "prod",
     edit(PROD, lambda c: c["gitops"].pop("awsRoleArn")),
     "idp:gitops.awsRoleArn", "is required for clusterAuth awsIAM"),
    ("gitops-worker-on-embedded-minio", "dev",
     edit(DEV, lambda c: (c.update(topology="multi-cluster"), c["gitops"].update(
         clusterAuth="awsIAM", awsRoleArn="arn:aws:iam::123456789012:role/argocd"),
         c["clusters"].append(
         {"name": "worker-1", "environment": "dev", "server": "https://worker-1.example.com"}),
         c["destinations"].append({"name": "worker-1", "cluster": "worker-1"}),
         c["finops"].update(federatedStorageSecret="kubecost-store"))),
     "idp:destinations[1].stateStore", "worker 'worker-1' cannot sync it"),
    ("gitops-bearer-token-missing", "prod",
     edit(PROD, lambda c: c["gitops"].update(clusterAuth="bearerToken")),
     "idp:gitopsCredentials.prod-eu-west-1.bearerToken", "pulumi config set --secret"),
    ("security-signatures-without-key", "prod",
     edit(PROD, lambda c: c["security"]["imageSignatures"].pop("keylessSubject")),
     "idp:security.imageSignatures", "need a publicKey, or both keylessIssuer"),
    ("security-signatures-key-and-keyless", "prod",
     edit(PROD, lambda c: c["security"]["imageSignatures"].update(publicKey="-----BEGIN")),
     "idp:security.imageSignatures", "not both"),
    ("team-bad-size", "dev", edit(DEV, lambda c: c["teams"][0].update(size="huge")),
     "idp:teams[0].size", "small, medium, large"),
    ("team-bad-department", "dev", edit(DEV, lambda c: c["teams"][1].update(department="R&D")),
     "idp:teams[1].department", "'R&D' is not a Kubernetes label value"),
    ("security-bad-monitoring-namespace", "dev",
     edit(DEV, lambda c: c["security"].update(monitoringNamespace="Monitoring")),
     "idp:security.monitoringNamespace", "DNS-1123"),
    ("crossplane-bad-provider", "prod",
     edit(PROD, lambda c: c["crossplane"].update(providers=["aws", "azure"])),
     "idp:crossplane.providers[1]", "use one of: aws, kubernetes"),
    ("crossplane-without-cloud-provider", "prod",
     edit(PROD, lambda c: c["crossplane"].update(providers=["kubernetes"])),
     "idp:crossplane.providers", "needs a cloud provider (aws)"),
    ("crossplane-without-kubernetes-provider", "prod",
     edit(PROD, lambda c: c["crossplane"].update(providers=["aws"])),
     "idp:crossplane.providers", "needs kubernetes"),
    ("crossplane-bad-where", "prod",
     edit(PROD, lambda c: c["crossplane"].update(where="workers")),
     "idp:crossplane.where", "use one of: destinations, platform"),
    ("crossplane-selectors-match-nothing", "prod",
     edit(PROD, lambda c: c["crossplane"].update(destinationSelectors={"region": "mars-1"})),
     "idp:crossplane.destinationSelectors.region",
     "'mars-1' matches no destination, so no cloud resource could ever be created; region "
     "values that exist: eu-west-1, us-east-1"),
    ("crossplane-platform-but-workers-selected", "prod",
     edit(PROD, lambda c: c["crossplane"].update(where="platform")),
     "idp:crossplane.where", "prod-eu-west-1, staging-eu-west-1"),
    ("crossplane-workload-identity-without-role", "prod",
     edit(PROD, lambda c: c["crossplane"].pop("awsRoleArn")),
     "idp:crossplane.awsRoleArn", "is required for credentials workloadIdentity"),
    ("crossplane-role-with-secret-credentials", "prod",
     edit(PROD, lambda c: c["crossplane"].update(
         credentials="secret")),
     "idp:crossplane.awsRoleArn", "applies only to credentials workloadIdentity"),
    ("crossplane-secret-credentials-missing", "prod",
     edit(PROD, lambda c: (c["crossplane"].update(credentials="secret"),
                           c["crossplane"].pop("awsRoleArn"))),
     "idp:crossplaneCredentials.aws.secretAccessKey",
     "pulumi config set --secret --path 'crossplaneCredentials.aws.secretAccessKey'"),
    # Values checked against their formats (components/formats.py), whether or not the layer
    # is on: the key path, the value shown, what is accepted.
    ("format-oidc-metadata-url", "prod",
     edit(PROD, lambda c: c["portal"]["oidc"].update(metadataUrl="login.example.com")),
     "idp:portal.oidc.metadataUrl", "'login.example.com' is not an OIDC discovery URL"),
    ("format-portal-url", "dev", edit(DEV, lambda c: c["portal"].update(baseURL="portal")),
     "idp:portal.baseURL", "accepted: https://host[:port][/path], or http://localhost"),
    ("format-portal-url-plain-http-in-prod", "prod",
     edit(PROD, lambda c: c["portal"].update(baseURL="http://localhost:7007")),
     "idp:portal.baseURL", "a prod portal needs an https:// URL"),
    ("format-api-server", "prod",
     edit(PROD, lambda c: c["clusters"][1].update(server="prod-eu-west-1.k8s.example.com")),
     "idp:clusters[1].server", "is not a Kubernetes API server URL (it has no scheme)"),
    ("format-git-repository", "dev",
     edit(DEV, lambda c: c["gitops"].update(repoURL="git.example.com/platform/idp-gitops")),
     "idp:gitops.repoURL", "accepted: https://host/path, ssh://[user@]host[:port]/path or "
     "git@host:path"),
    ("format-git-store-url-and-auth", "prod",
     with_changes(PROD, stateStores=[{"name": "s3-state", "kind": "git", "git": {
         "url": "git@github.com:acme/state.git", "authMethod": "basicAuth"}}],
         stateStoreCredentials={"s3-state": {"password": "x"}}),
     "idp:stateStores[0].git.url", "is an ssh URL, but authMethod is basicAuth"),
    ("format-git-branch", "prod",
     with_changes(PROD, stateStores=[{"name": "s3-state", "kind": "git", "git": {
         "url": "https://github.com/acme/state.git", "branch": "my branch"}}]),
     "idp:stateStores[0].git.branch", "'my branch' is not a Git branch, tag or commit"),
    ("format-endpoint-port", "prod",
     edit(PROD, lambda c: c["stateStores"][0]["bucket"].update(endpoint="minio:http")),
     "idp:stateStores[0].bucket.endpoint", "port 'http' is not a number"),
    ("format-gateway-without-port", "prod",
     edit(PROD, lambda c: c["observability"].update(gatewayEndpoint="otlp.example.com")),
     "idp:observability.gatewayEndpoint", "is not a host:port endpoint (it has no port)"),
    ("format-s3-bucket", "prod",
     edit(PROD, lambda c: c["stateStores"][0]["bucket"].update(bucketName="Acme_State")),
     "idp:stateStores[0].bucket.bucketName", "'Acme_State' is not an S3 bucket name"),
    ("format-label-key-prefix", "dev",
     edit(DEV, lambda c: c["destinations"][0]["labels"].update({"Example.com/tier": "x"})),
     "idp:destinations[0].labels.Example.com/tier", "its prefix 'Example.com' is not a DNS"),
    ("format-cluster-region-label", "dev",
     edit(DEV, lambda c: c["clusters"][0].update(region="eu west")),
     "idp:clusters[0].region", "'eu west' is not a Kubernetes label value"),
    ("format-image-registry-with-scheme", "dev",
     edit(DEV, lambda c: c["promises"].update(imageRegistry="https://ghcr.io/acme")),
     "idp:promises.imageRegistry", "is not a registry and path (it has a scheme)"),
    ("format-allowed-registry", "prod",
     edit(PROD, lambda c: c["security"].update(allowedRegistries=["docker.io", ""])),
     "idp:security.allowedRegistries[1]", "(it is empty)"),
    ("format-portal-image", "dev",
     edit(DEV, lambda c: c["portal"].update(image="backstage:latest")),
     "idp:portal.image", "is not a pinned image reference"),
    ("format-kratix-image-not-by-digest", "dev",
     with_changes(DEV, kratix={"image": "docker.io/syntasso/kratix-platform:v0.1.0"}),
     "idp:kratix.image", "(it is not pinned by digest)"),
    ("format-role-arn", "prod",
     edit(PROD, lambda c: c["gitops"].update(awsRoleArn="idp-argocd-spoke-access")),
     "idp:gitops.awsRoleArn", "'idp-argocd-spoke-access' is not an IAM role ARN"),
    ("format-role-arn-annotation", "prod",
     edit(PROD, lambda c: c["portal"]["serviceAccountAnnotations"].update(
         {"eks.amazonaws.com/role-arn": "arn:aws:iam::123:role/x"})),
     "idp:portal.serviceAccountAnnotations.eks.amazonaws.com/role-arn", "is not an IAM role ARN"),
    ("format-percentage", "dev",
     edit(DEV, lambda c: c["observability"].update(traceSamplePercent=0)),
     "idp:observability.traceSamplePercent", "0 is out of range; accepted: an integer from 1 "
     "to 100 (percent)"),
    ("format-port", "prod",
     edit(PROD, lambda c: c["portal"]["postgres"].update(port=70000)),
     "idp:portal.postgres.port", "accepted: an integer from 1 to 65535"),
    ("format-postgres-host", "prod",
     edit(PROD, lambda c: c["portal"]["postgres"].update(host="postgres://db:5432")),
     "idp:portal.postgres.host", "is not a hostname (it has a scheme)"),
    ("format-cron", "dev",
     edit(DEV, lambda c: c["gitops"].update(prodSyncWindow={"schedule": "0 25 * * *"})),
     "idp:gitops.prodSyncWindow.schedule", "hour '25' is not 0-23"),
    ("format-duration", "dev",
     edit(DEV, lambda c: c["gitops"].update(prodSyncWindow={"duration": "3 hours"})),
     "idp:gitops.prodSyncWindow.duration", "'3 hours' is not a duration"),
    ("format-time-zone", "dev",
     edit(DEV, lambda c: c["gitops"].update(prodSyncWindow={"timeZone": "CET+1"})),
     "idp:gitops.prodSyncWindow.timeZone", "not in the IANA time zone database"),
    ("format-chart-version", "dev", with_changes(DEV, charts={"kratix": {"version": "~1.2"}}),
     "idp:charts.kratix.version", "'~1.2' is not a chart version"),
    ("format-chart-repository", "dev",
     with_changes(DEV, charts={"kratix": {"repository": "charts.example.com"}}),
     "idp:charts.kratix.repository", "is not a Helm repository URL"),
    ("format-currency", "dev", edit(DEV, lambda c: c["finops"].update(currency="euro")),
     "idp:finops.currency", "'euro' is not a currency code"),
    ("format-oidc-issuer", "prod",
     edit(PROD, lambda c: c["security"]["imageSignatures"].update(
         keylessIssuer="token.actions.githubusercontent.com")),
     "idp:security.imageSignatures.keylessIssuer", "is not an OIDC issuer URL"),
    ("format-relative-path", "dev", edit(DEV, lambda c: c["gitops"].update(path="/platform")),
     "idp:gitops.path", "'/platform' is not a relative folder (it is absolute)"),
    ("selector-label-nobody-has", "dev",
     edit(DEV, lambda c: c["promises"].update(destinationSelectors={"enviroment": "dev"})),
     "idp:promises.destinationSelectors.enviroment", "no destination has the label enviroment, "
     "so no operator or service would ever be scheduled; labels that exist: cluster, "
     "environment, region, tier"),
    ("selector-combination-matches-nothing", "prod",
     edit(PROD, lambda c: c["crossplane"].update(
         destinationSelectors={"region": "us-east-1", "environment": "staging"})),
     "idp:crossplane.destinationSelectors", "match no destination, so no cloud resource could "
     "ever be created; destinations and their labels: prod-eu-west-1: cluster=prod-eu-west-1"),
]


@pytest.mark.parametrize("stack,config,key,words", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_config_error_names_the_key_and_the_fix(stack, config, key, words):
    message = expect_config_error(config, stack)
    assert f"{key}:" in message, message
    assert words in message, message


def test_plaintext_credentials_are_refused():
    config = edit(PROD, lambda c: c["stateStores"][0]["bucket"].update(authMethod="accessKey"))
    config["stateStoreCredentials"] = {"s3-state": {"accessKeyID": "AKIA", "secretAccessKey": "s"}}
    message = expect_config_error(config, "prod", secret_keys=())
    assert "idp:stateStoreCredentials: holds credentials in plaintext" in message


def test_credentials_for_unknown_store_and_unknown_key_are_refused():
    config = copy.deepcopy(PROD)
    config["stateStoreCredentials"] = {"s4": {"password": "x"}}
    message = expect_config_error(config, "prod", secret_keys=["stateStoreCredentials"])
    assert "idp:stateStoreCredentials.s4: names no state store; accepted: s3-state" in message


def test_plaintext_gitops_credentials_are_refused():
    config = copy.deepcopy(DEV)
    config["gitopsCredentials"] = {"repository": {"username": "bot", "password": "token"}}
    message = expect_config_error(config, "dev", secret_keys=())
    assert "idp:gitopsCredentials: holds credentials in plaintext" in message


def test_gitops_credentials_for_unknown_cluster_or_key_are_refused():
    config = copy.deepcopy(DEV)
    config["gitopsCredentials"] = {"repository": {"token": "x"}, "nowhere": {"bearerToken": "x"}}
    message = expect_config_error(config, "dev", secret_keys=["gitopsCredentials"])
    assert "idp:gitopsCredentials.repository.token: is not a repository credential" in message
    assert "idp:gitopsCredentials.nowhere: names no cluster" in message


def test_plaintext_or_unknown_crossplane_credentials_are_refused():
    config = copy.deepcopy(PROD)
    config["crossplaneCredentials"] = {"aws": {"accessKeyID": "AKIA", "token": "x"},
                                       "gcp": {"key": "x"}}
    message = expect_config_error(config, "prod", secret_keys=())
    assert "idp:crossplaneCredentials: holds credentials in plaintext" in message
    assert "idp:crossplaneCredentials.aws.token: is not a credential of aws; accepted: " \
        "accessKeyID, secretAccessKey" in message
    assert "idp:crossplaneCredentials.gcp: names no cloud provider; accepted: aws" in message


def test_structured_key_given_as_plain_text_is_refused():
    registry, error = run_program_capturing({**DEV, "clusters": "platform"}, "dev")
    # A plain string cannot be decoded as the list the key needs.
    assert isinstance(error, ConfigError) and registry.all == []
    assert "idp:clusters: must be structured YAML" in str(error)


def test_every_problem_is_reported_at_once():
    config = with_changes(DEV, profile="staging", topolgy="x")
    message = expect_config_error(config)
    assert "(2 problems)" in message
    assert "idp:profile:" in message and "idp:topolgy:" in message


def test_every_format_problem_is_reported_at_once_with_the_other_problems():
    config = edit(PROD, lambda c: (
        c["portal"]["oidc"].update(metadataUrl="login.example.com"),
        c["stateStores"][0]["bucket"].update(bucketName="Acme_State"),
        c["gitops"].update(awsRoleArn="argocd"),
        c["clusters"][1].update(server="prod.example.com"),
        c["teams"][0].update(size="huge")))
    message = expect_config_error(config, "prod")
    assert "(5 problems)" in message, message
    for key in ("idp:portal.oidc.metadataUrl:", "idp:stateStores[0].bucket.bucketName:",
                "idp:gitops.awsRoleArn:", "idp:clusters[1].server:", "idp:teams[0].size:"):
        assert message.count(key) == 1, (key, message)


def test_secret_values_in_the_wrong_format_are_refused_without_showing_them():
    config = with_changes(PROD, stateStores=[{"name": "s3-state", "kind": "git", "git": {
        "url": "git@github.com:acme/state.git", "authMethod": "ssh"}}],
        stateStoreCredentials={"s3-state": {"sshPrivateKey": "hunter2-not-a-key",
                                            "knownHosts": "github.com"}})
    message = expect_config_error(config, "prod", secret_keys=["stateStoreCredentials"])
    assert "idp:stateStoreCredentials.s3-state.sshPrivateKey: the secret value is not an SSH " \
        "private key" in message
    assert "idp:stateStoreCredentials.s3-state.knownHosts: the secret value is not a " \
        "known_hosts file" in message
    assert "hunter2" not in message and "github.com'" not in message


def test_a_missing_chart_mirror_is_one_problem():
    message = expect_config_error(with_changes(DEV, chartMirror="/nonexistent/charts"))
    assert message.count("idp:chartMirror:") == 1, message


def test_main_reports_a_config_error_once_and_exits_with_the_shown_message_code():
    from components.config import USER_ERROR_SHOWN_EXIT_CODE
    from components.topology import config_model

    def program():
        config_model().load_or_exit()

    registry, error = run_program_capturing(with_changes(DEV, profile="qa"), "dev",
                                            program=program)
    assert isinstance(error, SystemExit) and error.code == USER_ERROR_SHOWN_EXIT_CODE
    assert registry.all == []


KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: u, user: {}}]
contexts:
- {name: idp-dev-platform, context: {cluster: c, user: u}}
- {name: kind-other, context: {cluster: c, user: u}}
"""


def with_target(target: dict) -> dict:
    return edit(DEV, lambda c: c["clusters"][0].update(target=target))


def test_a_kubeconfig_that_does_not_exist_or_lacks_the_context_is_refused(tmp_path, monkeypatch):
    missing = with_target({"mode": "kubeconfig", "kubeconfig": str(tmp_path / "nope"),
                           "context": "idp-dev-platform"})
    message = expect_config_error(missing)
    assert f"idp:clusters[0].target: kubeconfig file '{tmp_path / 'nope'}' does not exist" \
        in message
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(KUBECONFIG)
    wrong = with_target({"mode": "kubeconfig", "kubeconfig": str(kubeconfig),
                         "context": "idp-dev-platfrom"})
    assert (f"idp:clusters[0].target: context 'idp-dev-platfrom' is not in kubeconfig "
            f"'{kubeconfig}' (its contexts: idp-dev-platform, kind-other); set context to one "
            "of them") in expect_config_error(wrong)
    # The same from KUBECONFIG, and from contents given inline.
    from components import config

    monkeypatch.setattr(config, "ambient_kubeconfigs", lambda: [kubeconfig])
    ambient = with_target({"mode": "kubeconfig", "context": "nowhere"})
    assert "context 'nowhere' is not in kubeconfig" in expect_config_error(ambient)
    inline = with_target({"mode": "kubeconfig", "kubeconfig": KUBECONFIG, "context": "nowhere"})
    assert "context 'nowhere' is not in the kubeconfig contents given" in \
        expect_config_error(inline)


def test_a_kubeconfig_holding_the_context_is_accepted(tmp_path):
    from components.config import ClusterTarget, kubeconfig_problem

    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(KUBECONFIG)
    assert kubeconfig_problem(ClusterTarget("kubeconfig", str(kubeconfig),
                                            "idp-dev-platform")) is None
    assert kubeconfig_problem(ClusterTarget("kubeconfig", KUBECONFIG, "kind-other")) is None
