"""The platform's one vocabulary: namespaces, labels, annotations, API groups and names.

Components, the policy packs and the promises (and their pipeline images) all import it, so a
namespace, label or API group is written once. Every object the platform creates carries the
same recommended labels, so `kubectl get -l`, cost allocation and the policy packs read one
vocabulary. It imports nothing from the project: layers depend on it, never on each other for a
constant.
"""

from __future__ import annotations

from typing import Mapping

PROJECT = "idp"
PART_OF = "idp-as-code"
MANAGED_BY = "pulumi"

# Namespaces of the platform's own components, one per layer (the layer owns and creates it).
KRATIX_NAMESPACE = "kratix-platform-system"
CERT_MANAGER_NAMESPACE = "cert-manager"
FLUX_NAMESPACE = "flux-system"
ARGOCD_NAMESPACE = "argocd"
KYVERNO_NAMESPACE = "kyverno"
KUBECOST_NAMESPACE = "kubecost"
PORTAL_NAMESPACE = "backstage"
CROSSPLANE_NAMESPACE = "crossplane-system"
# Where each secret manager runs (the names kubeseal and ESO's docs expect).
SECRET_MANAGER_NAMESPACES = {
    "sealed-secrets": "kube-system",
    "external-secrets": "external-secrets",
}


def embedded_store_namespace(store: str) -> str:
    """The namespace of the embedded MinIO behind state store `store`."""
    return f"statestore-{store}"


# A cluster's own API server as seen from inside it (ArgoCD's and Backstage's in-cluster target).
IN_CLUSTER_SERVER = "https://kubernetes.default.svc"
# ArgoCD's API as the portal's Argo CD plugin reaches it: the argo-cd chart's server Service.
ARGOCD_API_URL = f"https://argocd-server.{ARGOCD_NAMESPACE}.svc"

# API groups (apiVersion) of the custom resources the platform writes.
KRATIX_API = "platform.kratix.io/v1alpha1"
ARGOCD_API = "argoproj.io/v1alpha1"


def kubernetes_type(api_version: str, kind: str) -> str:
    """The Pulumi type token of a Kubernetes kind (what policies see as `resource_type`)."""
    return f"kubernetes:{api_version}:{kind}"


# Labels every Promise carries: its release (kratix-marketplace convention) and its backend
# (kubernetes: in-cluster operators; crossplane: cloud resources through the Crossplane layer).
PROMISE_VERSION_LABEL = "kratix.io/promise-version"
PROMISE_BACKEND_LABEL = "idp-as-code.io/promise-backend"

# Kratix and GitOps label keys that destinations carry and promises select on.
ENVIRONMENT_LABEL = "environment"
REGION_LABEL = "region"
CLUSTER_LABEL = "cluster"
RESERVED_DESTINATION_LABELS = (ENVIRONMENT_LABEL, REGION_LABEL, CLUSTER_LABEL)

# The recommended label whose value (PART_OF) marks the platform's own objects.
PART_OF_LABEL = "app.kubernetes.io/part-of"

# Marks a namespace as an application team's (value: the team name).
TEAM_LABEL = "idp-as-code.io/team"

# Cost-allocation labels on team namespaces (the platform-cost-labels policy's vocabulary).
COST_LABELS = ("team", "owner", "department", "product", "env")

# Pod Security Admission: the level a namespace enforces, audits and warns about.
POD_SECURITY_MODES = ("enforce", "audit", "warn")
POD_SECURITY_LEVELS = ("privileged", "baseline", "restricted")

# "true" on an ArgoCD Application: it syncs only inside its AppProject's sync windows.
SYNC_WINDOW_ANNOTATION = "idp-as-code.io/sync-window"

# RFC 3339 time a service was requested (Backstage scaffolder run or Kratix resource request),
# set on its ArgoCD Application; time-to-first-deploy counts from it (else from the Application's
# creation).
REQUESTED_AT_ANNOTATION = "idp-as-code.io/requested-at"

# Published facts about the platform (teams, environments, destinations, ...) that the policy
# packs and the portal read.
FACTS_CONFIGMAP = "idp-platform-facts"

# Whether the bucket behind a BucketStateStore keeps object versions ("enabled"/"disabled");
# the kratix policy pack reads it. Git stores keep history by themselves.
VERSIONING_ANNOTATION = "idp-as-code.io/versioning"

# Observability seams. The ObservabilityStack owns this namespace on the platform cluster; other
# layers (FinOps, DORA, promises) add their dashboards and alert rules there.
OBSERVABILITY_NAMESPACE = "monitoring"
# ConfigMaps labelled GRAFANA_DASHBOARD_LABEL="1" are loaded by Grafana's dashboard sidecar, into
# the folder named by GRAFANA_FOLDER_ANNOTATION.
GRAFANA_DASHBOARD_LABEL = "grafana_dashboard"
GRAFANA_FOLDER_ANNOTATION = "grafana_folder"
# The OpenTelemetry Instrumentation every Golden Path service opts into with one annotation.
INSTRUMENTATION_NAME = "idp-auto-instrumentation"
INSTRUMENTATION_LANGUAGES = ("java", "go", "python", "nodejs")


def instrumentation_annotation(language: str) -> dict[str, str]:
    """The pod annotation that opts a workload into auto-instrumentation for `language`."""
    assert language in INSTRUMENTATION_LANGUAGES, language
    return {
        f"instrumentation.opentelemetry.io/inject-{language}": f"{OBSERVABILITY_NAMESPACE}/{INSTRUMENTATION_NAME}"
    }


def child_name(parent: str, role: str) -> str:
    """Name of a component's child: the component's own name, then the child's role."""
    return f"{parent}-{role}"


def standard_labels(component: str, instance: str, **extra: str) -> dict[str, str]:
    """The recommended `app.kubernetes.io/*` labels for an object owned by `component`."""
    labels = {
        "app.kubernetes.io/name": component,
        "app.kubernetes.io/instance": instance,
        PART_OF_LABEL: PART_OF,
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }
    labels.update(extra)
    return labels


def pod_security_labels(level: str) -> dict[str, str]:
    """Pod Security Admission labels enforcing, auditing and warning about one level."""
    assert level in POD_SECURITY_LEVELS, level
    return {f"pod-security.kubernetes.io/{mode}": level for mode in POD_SECURITY_MODES}


# The platform's own namespaces run baseline: no privileged or host access, without promising
# every restricted field the charts' pods may not set.
PLATFORM_POD_SECURITY = "baseline"


def platform_namespace_labels(
    component: str, instance: str, pod_security: str = PLATFORM_POD_SECURITY
) -> dict[str, str]:
    """Labels of a namespace a platform component creates: standard and Pod Security."""
    return {**standard_labels(component, instance), **pod_security_labels(pod_security)}


def label_safe(value: str) -> str:
    """A contact such as an email address as a label value ('@' is not allowed)."""
    return value.replace("@", "_at_")[:63].strip("-_.")


def team_namespace(team: str, environment: str) -> str:
    return f"{team}-{environment}"


def destination_labels(
    environment: str, cluster: str, region: str | None, extra: Mapping[str, str]
) -> dict[str, str]:
    """Labels a Kratix Destination carries; promises' destinationSelectors match on them."""
    labels = {ENVIRONMENT_LABEL: environment, CLUSTER_LABEL: cluster}
    if region:
        labels[REGION_LABEL] = region
    labels.update(extra)
    return labels
