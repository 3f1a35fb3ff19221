"""What every promise pipeline puts on the workloads it generates: labels and placement."""

from __future__ import annotations

from promises.definition import PromiseDefinition
from promises.runtime import Request

# Cost-allocation labels a request may carry; copied onto what it creates (the security
# baseline's require-cost-labels policy checks pods for them).
COST_LABELS = ("team", "owner", "department", "product", "env")
# A request labelled `environment: <env>` lands on a destination of that environment.
ENVIRONMENT_LABEL = "environment"


def workload_labels(definition: PromiseDefinition, request: Request) -> dict[str, str]:
    labels = {key: request.labels[key] for key in COST_LABELS if request.labels.get(key)}
    labels["team"] = request.options.get("teamName") or labels.get("team") or request.namespace
    labels.update({"app.kubernetes.io/name": definition.name,
                   "app.kubernetes.io/instance": request.name,
                   "app.kubernetes.io/managed-by": "kratix",
                   "kratix.io/promise-version": definition.version})
    return labels


def placement(request: Request) -> dict[str, str]:
    """Destination labels this request adds to the promise's selectors."""
    environment = request.labels.get(ENVIRONMENT_LABEL)
    return {ENVIRONMENT_LABEL: environment} if environment else {}
