"""The team ApplicationSets expanded the way ArgoCD's ApplicationSet controller expands them:
the cluster generator over the stack's cluster Secrets (selected by label), the list generator's
elements, their matrix, and every string of the template rendered as a Go template with sprig
(tools/appset-render, ArgoCD's own template library) for each element. The Applications that
come out are asserted: one per team and cluster of the environment, named after both, from the
team's folder of the GitOps repository, into the team namespace the security baseline creates on
that cluster, in the team's project, which allows that destination."""

from __future__ import annotations

import fnmatch
import itertools
import json
import re

import pytest

from components import naming
from components.naming import ARGOCD_NAMESPACE
from components.gitops.component import SECRET_TYPE_LABEL
from tests.validator_binaries import run

STACKS = {"dev": ["dev"], "prod": ["staging", "prod"]}


def _cluster_params(registry) -> list[dict]:
    """What ArgoCD's cluster generator hands a Go template for each cluster Secret."""
    params = []
    for secret in registry.kind("Secret"):
        labels = secret.get("metadata", "labels") or {}
        if labels.get(SECRET_TYPE_LABEL) != "cluster":
            continue
        data = secret.get("stringData")
        params.append({"name": data["name"], "nameNormalized": data["name"],
                       "server": data["server"], "project": data.get("project", ""),
                       "metadata": {"labels": dict(labels),
                                    "annotations": dict(secret.get("metadata", "annotations")
                                                        or {})}})
    return params


def _generate(generator: dict, clusters: list[dict]) -> list[dict]:
    """The parameter sets of one generator (the kinds the program uses; any other fails)."""
    if "list" in generator:
        return [dict(element) for element in generator["list"]["elements"]]
    if "clusters" in generator:
        selector = generator["clusters"].get("selector", {})
        assert set(selector) <= {"matchLabels"}, selector
        wanted = selector.get("matchLabels", {})
        return [c for c in clusters
                if all(c["metadata"]["labels"].get(k) == v for k, v in wanted.items())]
    if "matrix" in generator:
        left, right = generator["matrix"]["generators"]
        return [{**a, **b} for a, b in itertools.product(_generate(left, clusters),
                                                          _generate(right, clusters))]
    raise AssertionError(f"generator kind not expanded here: {sorted(generator)}")


def expand(appset, clusters: list[dict]) -> list[dict]:
    """The Applications ArgoCD would generate from `appset` (a registration)."""
    spec = appset.get("spec")
    assert spec["goTemplate"] is True
    params = [p for generator in spec["generators"] for p in _generate(generator, clusters)]
    request = {"template": spec["template"], "params": params,
               "options": spec.get("goTemplateOptions", [])}
    result = run("appset-render", input_text=json.dumps(request))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _team_namespaces(registry) -> set[tuple[str, str]]:
    """(cluster, namespace) of every team namespace the security baselines create."""
    return {(ns.provider_name, ns.get("metadata", "name")) for ns in registry.kind("Namespace")
            if naming.TEAM_LABEL in (ns.get("metadata", "labels") or {})}


def _applications(registry, environment: str) -> list[dict]:
    appset = {a.get("metadata", "name"): a for a in registry.kind("ApplicationSet")}[
        f"teams-{environment}"]
    return expand(appset, _cluster_params(registry))


@pytest.mark.parametrize("stack, environment",
                         [(s, e) for s, environments in STACKS.items() for e in environments])
def test_team_application_sets_generate_one_application_per_team_and_cluster(
        stack, environment, request):
    registry = request.getfixturevalue(stack)
    apps = _applications(registry, environment)
    clusters = [c["name"] for c in _cluster_params(registry)
                if c["metadata"]["labels"].get(naming.ENVIRONMENT_LABEL) == environment]
    teams = [p.get("metadata", "name") for p in registry.kind("AppProject")
             if p.get("metadata", "name") != "platform"]
    assert clusters and teams
    expected = {f"{team}-{environment}-{cluster}": (team, cluster)
                for team in teams for cluster in clusters}
    names = [app["metadata"]["name"] for app in apps]
    assert sorted(names) == sorted(expected)
    for app in apps:
        team, cluster = expected[app["metadata"]["name"]]
        # A valid, unique Application name that fits a label value (ArgoCD's instance label).
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", app["metadata"]["name"])
        assert app["metadata"]["namespace"] == ARGOCD_NAMESPACE
        assert app["metadata"]["labels"] == {naming.ENVIRONMENT_LABEL: environment,
                                             naming.TEAM_LABEL: team}
        assert app["spec"]["project"] == team
        assert app["spec"]["source"]["path"] == f"teams/{team}/{environment}"
        assert app["spec"]["destination"]["name"] == cluster


@pytest.mark.parametrize("stack, environment",
                         [(s, e) for s, environments in STACKS.items() for e in environments])
def test_every_application_deploys_into_its_team_namespace_on_its_cluster(
        stack, environment, request):
    registry = request.getfixturevalue(stack)
    created = _team_namespaces(registry)
    projects = {p.get("metadata", "name"): p.get("spec") for p in registry.kind("AppProject")}
    for app in _applications(registry, environment):
        destination = app["spec"]["destination"]
        team = app["spec"]["project"]
        target = (destination["name"], destination["namespace"])
        # The namespace with the team's quota, limits, network policies and RBAC; ArgoCD's
        # CreateNamespace would otherwise make a bare one.
        assert destination["namespace"] == naming.team_namespace(team, environment), target
        assert target in created, target
        assert any(d["name"] == target[0] and fnmatch.fnmatchcase(target[1], d["namespace"])
                   for d in projects[team]["destinations"]), (team, target)
        managed = app["spec"]["syncPolicy"]["managedNamespaceMetadata"]["labels"]
        assert managed == {naming.TEAM_LABEL: team}


def test_a_template_error_fails_the_expansion_as_argocd_would(dev):
    """missingkey=error: a parameter the generators do not provide stops the render."""
    appset = dev.kind("ApplicationSet")[0]
    request = {"template": {"metadata": {"name": "{{.nosuchparam}}"}},
               "params": [{"team": "payments"}],
               "options": appset.get("spec", "goTemplateOptions")}
    result = run("appset-render", input_text=json.dumps(request))
    assert result.returncode == 1 and "nosuchparam" in result.stderr
