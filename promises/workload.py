"""What every promise pipeline puts on the workloads it generates: labels and placement."""

from __future__ import annotations

import json
import os

from promises.definition import TEAM_LABELS_ENV, VERSION_LABEL, PromiseDefinition
from promises.runtime import Request

# Cost-allocation labels a request may carry; copied onto what it creates (the security
# baseline's require-cost-labels policy checks pods for them). Restated from
# components.naming.COST_LABELS because pipeline images carry only promises/; a test keeps
# them equal.
COST_LABELS = ("team", "owner", "department", "product", "env")
# A request labelled `environment: <env>` lands on a destination of that environment.
ENVIRONMENT_LABEL = "environment"


def workload_labels(definition: PromiseDefinition, request: Request) -> dict[str, str]:
    """The request's own cost labels, completed from what the platform knows of its team (the
    Promise passes every team's labels in TEAM_LABELS_ENV) and its environment, so pods pass
    the security baseline's require-cost-labels policy."""
    labels = {key: request.labels[key] for key in COST_LABELS if request.labels.get(key)}
    team = request.options.get("teamName") or labels.get("team") or request.namespace
    labels["team"] = team
    known = json.loads(os.environ.get(TEAM_LABELS_ENV) or "{}").get(team, {})
    for key in ("owner", "department", "product"):
        if key not in labels and known.get(key):
            labels[key] = known[key]
    environment = request.labels.get(ENVIRONMENT_LABEL) or team_namespace_environment(
        team, request.namespace)
    if "env" not in labels and environment:
        labels["env"] = environment
    labels.update({"app.kubernetes.io/name": definition.name,
                   "app.kubernetes.io/instance": request.name,
                   "app.kubernetes.io/managed-by": "kratix",
                   VERSION_LABEL: definition.version})
    return labels


def team_namespace_environment(team: str, namespace: str) -> str | None:
    """The environment of a team namespace `<team>-<env>` (the security baseline's naming)."""
    prefix = f"{team}-"
    if not namespace.startswith(prefix):
        return None
    return namespace[len(prefix):] or None


def placement(request: Request) -> dict[str, str]:
    """Destination labels this request adds to the promise's selectors."""
    environment = request.labels.get(ENVIRONMENT_LABEL)
    return {ENVIRONMENT_LABEL: environment} if environment else {}
