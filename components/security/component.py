"""SecurityBaseline: Pod Security, Kyverno policies, default-deny networking and team tenancy on
one cluster.

Per cluster: Kyverno (pinned chart) with CEL policies that audit in dev and deny in prod; a
namespace per team and environment the cluster serves (`<team>-<env>`, Pod Security
`restricted`, cost labels), its quota and default limits by team size, a default-deny
NetworkPolicy with narrow allows, and RoleBindings giving the team's identity-provider group a
built-in ClusterRole there and nowhere else. Platform admins are bound cluster-wide.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any, ClassVar, Mapping, Sequence

import pulumi
import pulumi_kubernetes as k8s

from components import naming
from components.charts import ResolvedChart, install_chart
from components.config import StackConfig, Team
from components.naming import KYVERNO_NAMESPACE
from components.profiles import SizeProfile
from components.security.settings import Security
from components.security.sizes import SIZES

KYVERNO_POLICY_API = "policies.kyverno.io/v1alpha1"


# Namespaces no webhook or policy may touch: the control plane's own, whatever it needs to start.
SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease", KYVERNO_NAMESPACE)


# The built-in ClusterRole a team's group gets in its own namespaces, by environment: full
# control where they experiment, deploy rights before prod, read-only in prod (GitOps deploys).
TEAM_ROLE_BY_ENVIRONMENT = {"dev": "admin", "staging": "edit", "prod": "view"}


TEAM_ROLE_DEFAULT = "view"


# Pods carry these labels, like the namespaces the platform-cost-labels policy reads.
REQUIRED_POD_LABELS = naming.COST_LABELS


NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


# OTLP gRPC and HTTP: what instrumented team pods send to the collector agent.
OTLP_PORTS = (4317, 4318)


@dataclasses.dataclass(frozen=True)
class TeamNamespace:
    """One team's namespace for one environment on this cluster."""

    team: Team
    environment: str

    @property
    def name(self) -> str:
        return naming.team_namespace(self.team.name, self.environment)

    @property
    def role(self) -> str:
        return TEAM_ROLE_BY_ENVIRONMENT.get(self.environment, TEAM_ROLE_DEFAULT)


@dataclasses.dataclass(frozen=True)
class SecurityBaselineArgs:
    provider: k8s.Provider
    """Provider of the cluster this baseline protects."""
    chart: ResolvedChart
    """Where the kyverno chart comes from (upstream or the mirror)."""
    profile: SizeProfile
    """Footprint of Kyverno and the team quotas; highly_available also means enforce."""
    settings: Security
    """Registries, signatures, the namespaces allowed in, the platform admins group."""
    team_namespaces: Sequence[TeamNamespace]
    """The team namespaces this cluster serves."""
    platform_namespaces: Sequence[str]
    """The platform's own namespaces: Kyverno's webhooks and policies leave them alone."""


class SecurityBaseline(pulumi.ComponentResource):
    """Kyverno, its policies, and the tenancy of every team namespace on one cluster."""

    TYPE: ClassVar[str] = "idp:platform:SecurityBaseline"

    enforce: bool
    """True when policies deny (prod profile); false when they only audit (dev)."""
    namespaces: list[str]
    """The team namespaces created here."""

    def __init__(
        self, name: str, args: SecurityBaselineArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__(self.TYPE, name, {}, opts)
        self._name = name
        self._child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        self.enforce = args.profile.highly_available
        excluded = sorted(set(SYSTEM_NAMESPACES) | set(args.platform_namespaces))

        kyverno = install_chart(
            naming.child_name(name, "kyverno"),
            args.chart,
            kyverno_values(args.profile, excluded),
            namespace=KYVERNO_NAMESPACE,
            component="kyverno",
            owner=name,
            opts=self._child,
            namespace_resource_name=naming.child_name(name, "kyverno-ns"),
        )
        policy_opts = self._merge(depends_on=[kyverno])
        self.policies = [
            k8s.apiextensions.CustomResource(
                naming.child_name(name, policy["metadata"]["name"]),
                api_version=KYVERNO_POLICY_API,
                kind=policy["kind"],
                metadata=policy["metadata"],
                spec=policy["spec"],
                opts=policy_opts,
            )
            for policy in kyverno_policies(args.settings, excluded, self.enforce)
        ]

        self.namespaces = []
        for team_namespace in args.team_namespaces:
            self._team_namespace(team_namespace, args)
        k8s.rbac.v1.ClusterRoleBinding(
            naming.child_name(name, "platform-admins"),
            metadata={
                "name": "idp-platform-admins",
                "labels": naming.standard_labels("security-baseline", name),
            },
            role_ref={
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "cluster-admin",
            },
            subjects=[group_subject(args.settings.platform_admins_group)],
            opts=self._child,
        )
        self.register_outputs({"enforce": self.enforce, "namespaces": self.namespaces})

    def _merge(self, **options) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions.merge(self._child, pulumi.ResourceOptions(**options))

    def _team_namespace(self, team_namespace: TeamNamespace, args: SecurityBaselineArgs) -> None:
        namespace_name = team_namespace.name
        self.namespaces.append(namespace_name)
        labels = team_labels(team_namespace)
        namespace = k8s.core.v1.Namespace(
            self._team_child(namespace_name, "ns"),
            metadata={
                "name": namespace_name,
                "labels": {**labels, **naming.pod_security_labels("restricted")},
            },
            opts=self._child,
        )
        inside = self._merge(depends_on=[namespace])

        def metadata(object_name: str) -> dict:
            return {"name": object_name, "namespace": namespace_name, "labels": labels}

        quota = args.profile.team_quotas[team_namespace.team.size]
        k8s.core.v1.ResourceQuota(
            self._team_child(namespace_name, "quota"),
            metadata=metadata("team-quota"),
            spec={"hard": quota.hard()},
            opts=inside,
        )
        k8s.core.v1.LimitRange(
            self._team_child(namespace_name, "limits"),
            metadata=metadata("team-defaults"),
            spec={"limits": [quota.container_defaults()]},
            opts=inside,
        )
        for policy_name, spec in network_policies(args.settings).items():
            k8s.networking.v1.NetworkPolicy(
                self._team_child(namespace_name, policy_name),
                metadata=metadata(policy_name),
                spec=spec,
                opts=inside,
            )
        k8s.rbac.v1.RoleBinding(
            self._team_child(namespace_name, "team-access"),
            metadata=metadata(f"team-{team_namespace.role}"),
            role_ref={
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": team_namespace.role,
            },
            subjects=[group_subject(team_namespace.team.idp_group)],
            opts=inside,
        )

    def _team_child(self, namespace_name: str, role: str) -> str:
        """Children of a team namespace are named by the namespace, unique per cluster."""
        return naming.child_name(self._name, f"{namespace_name}-{role}")


def group_subject(group: str) -> dict:
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": group}


def team_labels(team_namespace: TeamNamespace) -> dict[str, str]:
    """The team label and the cost-allocation labels of a team namespace."""
    return {
        naming.TEAM_LABEL: team_namespace.team.name,
        **team_namespace.team.cost_labels,
        "env": team_namespace.environment,
        naming.ENVIRONMENT_LABEL: team_namespace.environment,
    }


def network_policies(settings: Security) -> dict[str, dict]:
    """Default deny in both directions, then only DNS, the namespace itself, and the monitoring
    and ingress namespaces."""
    every_pod: dict = {}

    def from_namespace(name: str) -> dict:
        return {"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: name}}}

    return {
        "default-deny": {"podSelector": every_pod, "policyTypes": ["Ingress", "Egress"]},
        "allow-dns": {
            "podSelector": every_pod,
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [
                        {
                            **from_namespace("kube-system"),
                            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                        }
                    ],
                    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                }
            ],
        },
        "allow-same-namespace": {
            "podSelector": every_pod,
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [{"podSelector": every_pod}]}],
            "egress": [{"to": [{"podSelector": every_pod}]}],
        },
        # Scrapes from monitoring and traffic from ingress in; OTLP out to the node's
        # collector agent (auto-instrumented services).
        "allow-monitoring-and-ingress": {
            "podSelector": every_pod,
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                {
                    "from": [
                        from_namespace(settings.monitoring_namespace),
                        from_namespace(settings.ingress_namespace),
                    ]
                }
            ],
            "egress": [
                {
                    "to": [from_namespace(settings.monitoring_namespace)],
                    "ports": [{"protocol": "TCP", "port": port} for port in OTLP_PORTS],
                }
            ],
        },
    }


def kyverno_values(profile: SizeProfile, excluded_namespaces: Sequence[str]) -> dict:
    """Webhooks skip the excluded namespaces; dev can never be locked out (failures ignored) and
    keeps no admission reports; prod fails closed with three admission controllers and a PDB."""
    ha = profile.highly_available
    footprint = SIZES[profile.name].kyverno_controller.resources()
    return {
        # The policies.kyverno.io CRDs (kyverno-api subchart) render `labels: {}` and
        # `annotations: {}` by default, which the first apply does not record: every later
        # preview then proposed to update those CRDs. Non-empty maps keep the render stable.
        "kyverno-api": {
            "labels": {naming.PART_OF_LABEL: naming.PART_OF},
            "annotations": {"idp-as-code.io/installed-by": "security-baseline"},
        },
        "config": {
            "webhooks": {
                "namespaceSelector": {
                    "matchExpressions": [
                        {
                            "key": NAMESPACE_NAME_LABEL,
                            "operator": "NotIn",
                            "values": list(excluded_namespaces),
                        }
                    ]
                }
            },
            "excludeKyvernoNamespace": True,
        },
        "features": {
            "forceFailurePolicyIgnore": {"enabled": not ha},
            # Nodes and CSRs never wait on Kyverno: a cluster restart cannot deadlock.
            "excludeBootstrapResources": {"enabled": True},
            "admissionReports": {"enabled": ha},
        },
        "webhooksCleanup": {"enabled": True},
        "admissionController": {
            "replicas": SIZES[profile.name].kyverno_admission_replicas,
            "podDisruptionBudget": {"enabled": ha},
            "container": {"resources": footprint},
        },
        "backgroundController": {"replicas": 1, "resources": footprint},
        "cleanupController": {"replicas": 1, "resources": footprint},
        "reportsController": {"replicas": 1, "resources": footprint},
    }


def kyverno_policies(
    settings: Security, excluded_namespaces: Sequence[str], enforce: bool
) -> list[dict]:
    """The CEL policies, each on Pods outside the excluded namespaces (autogen carries them to
    the controllers that template pods)."""
    actions = ["Deny"] if enforce else ["Audit"]
    match = {
        "resourceRules": [
            {
                "apiGroups": [""],
                "apiVersions": ["v1"],
                "operations": ["CREATE", "UPDATE"],
                "resources": ["pods"],
            }
        ],
        "namespaceSelector": {
            "matchExpressions": [
                {
                    "key": NAMESPACE_NAME_LABEL,
                    "operator": "NotIn",
                    "values": list(excluded_namespaces),
                }
            ]
        },
    }
    containers = {
        "name": "containers",
        "expression": "object.spec.containers + (has(object.spec.initContainers) ? "
        "object.spec.initContainers : [])",
    }

    def validating(name: str, expression: str, message: str) -> dict:
        return {
            "kind": "ValidatingPolicy",
            "metadata": {"name": name, "labels": naming.standard_labels("security-baseline", name)},
            "spec": {
                "validationActions": actions,
                "matchConstraints": match,
                "variables": [containers],
                "validations": [{"expression": expression, "message": message}],
            },
        }

    labels = json.dumps(list(REQUIRED_POD_LABELS))
    registries = json.dumps([r.rstrip("/") + "/" for r in settings.allowed_registries])
    policies = [
        validating(
            "require-cost-labels",
            f"{labels}.all(k, has(object.metadata.labels) && k in object.metadata.labels"
            " && object.metadata.labels[k] != '')",
            "pods carry the labels " + ", ".join(REQUIRED_POD_LABELS),
        ),
        validating(
            "require-requests-limits",
            "variables.containers.all(c, has(c.resources) && has(c.resources.requests) "
            "&& has(c.resources.limits) && ['cpu', 'memory'].all(r, "
            "r in c.resources.requests && r in c.resources.limits))",
            "every container sets CPU and memory requests and limits",
        ),
        validating(
            "disallow-latest-tag",
            "variables.containers.all(c, c.image.contains('@sha256:') || "
            "(c.image.split('/')[size(c.image.split('/')) - 1].contains(':') && "
            "!c.image.endsWith(':latest')))",
            "images carry a tag other than latest, or a digest",
        ),
        validating(
            "allowed-registries",
            f"variables.containers.all(c, {registries}.exists(r, c.image.startsWith(r)))",
            "images come from " + ", ".join(settings.allowed_registries),
        ),
        validating(
            "disallow-privileged-and-host-namespaces",
            "!(has(object.spec.hostNetwork) && object.spec.hostNetwork) && "
            "!(has(object.spec.hostPID) && object.spec.hostPID) && "
            "!(has(object.spec.hostIPC) && object.spec.hostIPC) && "
            "variables.containers.all(c, !(has(c.securityContext) && "
            "has(c.securityContext.privileged) && c.securityContext.privileged))",
            "no privileged containers, no host network, PID or IPC namespace",
        ),
    ]
    signatures = settings.image_signatures
    if signatures.registries:
        cosign: dict[str, Any]
        if signatures.public_key:
            cosign = {"key": {"data": signatures.public_key}}
        else:
            cosign = {
                "keyless": {
                    "identities": [
                        keyless_identity(signatures.keyless_issuer, signatures.keyless_subject)
                    ]
                }
            }
        policies.append(
            {
                "kind": "ImageValidatingPolicy",
                "metadata": {
                    "name": "verify-image-signatures",
                    "labels": naming.standard_labels(
                        "security-baseline", "verify-image-signatures"
                    ),
                },
                "spec": {
                    "validationActions": actions,
                    "matchConstraints": match,
                    "matchImageReferences": [
                        {"glob": r.rstrip("/") + "/*"} for r in signatures.registries
                    ],
                    "attestors": [{"name": "cosign", "cosign": cosign}],
                    "validations": [
                        {
                            "expression": "images.containers.map(image, verifyImageSignatures(image, "
                            "[attestors.cosign])).all(e, e > 0)",
                            "message": "images from "
                            + ", ".join(signatures.registries)
                            + " carry a cosign signature",
                        }
                    ],
                },
            }
        )
    return policies


def keyless_identity(issuer: str | None, subject: str | None) -> dict:
    """A cosign keyless identity. Kyverno (cosign) compares `subject` exactly, so a subject with
    `*` (https://github.com/acme/* for every workflow of an organisation) becomes an anchored
    `subjectRegExp` in which `*` matches any characters; without it no signature would match."""
    if subject and "*" in subject:
        pattern = ".*".join(
            re.sub(r"([.+?()\[\]{}|^$\\])", r"\\\1", part) for part in subject.split("*")
        )
        return {"issuer": issuer, "subjectRegExp": f"^{pattern}$"}
    return {"issuer": issuer, "subject": subject}


def team_namespaces_by_cluster(
    teams: Sequence[Team], environments_by_cluster: Mapping[str, Sequence[str]]
) -> dict[str, list[TeamNamespace]]:
    """Every team gets a namespace per environment on each cluster serving that environment."""
    return {
        cluster: [
            TeamNamespace(team, environment) for environment in environments for team in teams
        ]
        for cluster, environments in environments_by_cluster.items()
    }


def environments_by_cluster(config: StackConfig) -> dict[str, list[str]]:
    """The environments each cluster serves: those of the destinations it syncs."""
    served: dict[str, list[str]] = {}
    for destination in config.destinations:
        environments = served.setdefault(destination.cluster, [])
        if destination.environment not in environments:
            environments.append(destination.environment)
    return served
