"""CloudResources: the optional Crossplane layer on one cluster. Kratix orchestrates (a promise's
pipeline writes a composite resource to a destination); Crossplane talks to the cloud (it turns
that composite into cloud resources through the Composition installed here).

Per cluster: the pinned Crossplane chart, the chosen provider packages and the
patch-and-transform function (each sized by the profile through a DeploymentRuntimeConfig),
one ClusterProviderConfig per provider (cloud credentials from a Secret built from secret config,
or the provider's ServiceAccount assuming an IAM role), and the composite APIs (XRD and
Composition) the cloud-backed promises emit.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Mapping, Sequence, cast

import pulumi
import pulumi_kubernetes as k8s

from components import charts, naming
from components.charts import ResolvedChart
from components.crossplane.settings import Crossplane
from components.crossplane.sizes import SIZES
from components.naming import CROSSPLANE_NAMESPACE
from components.profiles import SizeProfile

PACKAGE_API = "pkg.crossplane.io/v1"


RUNTIME_CONFIG_API = "pkg.crossplane.io/v1beta1"


# The container Crossplane runs a package in (what a DeploymentRuntimeConfig patches).
PACKAGE_CONTAINER = "package-runtime"


PATCH_FUNCTION = "function-patch-and-transform"


PROVIDER_CONFIG_NAME = "default"


AWS_CREDENTIALS_SECRET = "aws-credentials"


AWS_CREDENTIALS_KEY = "credentials"


IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"


NO_CAPABILITIES = {"capabilities": {"drop": ["ALL"]}}


RESTRICTED_POD = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}


@dataclasses.dataclass(frozen=True)
class ProviderPackage:
    """One provider the layer can install, and the ClusterProviderConfig its resources use."""

    name: str
    """Provider object (and its ServiceAccount) name."""
    config_api: str
    """apiVersion of its ClusterProviderConfig (the namespaced `.m.` API group of v2 providers)."""


PROVIDERS: Mapping[str, ProviderPackage] = {
    "aws": ProviderPackage("provider-aws-s3", "aws.m.upbound.io/v1beta1"),
    "kubernetes": ProviderPackage("provider-kubernetes", "kubernetes.m.crossplane.io/v1alpha1"),
}


def aws_credentials_file(access_key_id: str, secret_access_key: str) -> str:
    """The AWS shared-credentials file the provider reads from its Secret."""
    return (
        f"[default]\naws_access_key_id = {access_key_id}\n"
        f"aws_secret_access_key = {secret_access_key}\n"
    )


@dataclasses.dataclass(frozen=True)
class CloudResourcesArgs:
    provider: k8s.Provider
    """Provider of the cluster Crossplane runs on."""
    chart: ResolvedChart
    """The pinned Crossplane chart."""
    profile: SizeProfile
    """Footprints of Crossplane core, its RBAC manager and each package's pod."""
    settings: Crossplane
    """Providers and how they authenticate."""
    credentials: Mapping[str, Mapping[str, str]] = dataclasses.field(default_factory=dict)
    """Secret config values per cloud provider (credentials source "secret")."""
    composite_apis: Sequence[dict] = ()
    """XRDs and Compositions of the cloud-backed promises."""
    packages: Mapping[str, str] = dataclasses.field(
        default_factory=lambda: charts.CROSSPLANE_PACKAGES
    )
    """Pinned package per provider key and for the function."""


class CloudResources(pulumi.ComponentResource):
    """Crossplane with its providers, provider configs and composite APIs on one cluster."""

    TYPE: ClassVar[str] = "idp:platform:CloudResources"

    namespace: str
    providers: list[str]
    """Provider object names installed."""
    composite_apis: list[str]
    """Names of the XRDs installed."""

    def __init__(
        self, name: str, args: CloudResourcesArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__(self.TYPE, name, {}, opts)
        self._name, self._args = name, args
        self._opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        self._labels = naming.standard_labels("crossplane", name)
        self.namespace = CROSSPLANE_NAMESPACE
        profile = args.profile
        core, rbac = SIZES[profile.name].crossplane, SIZES[profile.name].crossplane_rbac_manager
        self.chart = charts.install_chart(
            naming.child_name(name, "crossplane"),
            args.chart,
            {
                "replicas": core.replicas,
                "leaderElection": True,
                "resourcesCrossplane": core.resources(),
                "rbacManager": {"replicas": rbac.replicas, "leaderElection": True},
                "resourcesRBACManager": rbac.resources(),
                # Merged over the chart's own (user 65532, no escalation, read-only root): no
                # capabilities and the runtime's seccomp profile, as checkov asks.
                "securityContextCrossplane": NO_CAPABILITIES,
                "securityContextRBACManager": NO_CAPABILITIES,
                "podSecurityContextCrossplane": RESTRICTED_POD,
                "podSecurityContextRBACManager": RESTRICTED_POD,
            },
            namespace=CROSSPLANE_NAMESPACE,
            component="crossplane",
            owner=name,
            opts=self._opts,
            namespace_resource_name=naming.child_name(name, "ns"),
        )

        function = self._package("Function", PATCH_FUNCTION, args.packages[PATCH_FUNCTION])
        self.providers = []
        for key in args.settings.providers:
            package = PROVIDERS[key]
            installed = self._package(
                "Provider", package.name, args.packages[key], self._identity_annotations(key)
            )
            self.providers.append(package.name)
            self._provider_config(key, package, installed)

        self.composite_apis = []
        definitions = []
        for document in args.composite_apis:
            if document["kind"] == "CompositeResourceDefinition":
                definitions.append(
                    self._custom(document["metadata"]["name"], document, [self.chart])
                )
                self.composite_apis.append(document["metadata"]["name"])
        for document in args.composite_apis:
            if document["kind"] == "Composition":
                self._custom(document["metadata"]["name"], document, [*definitions, function])
        self.register_outputs(
            {
                "namespace": self.namespace,
                "providers": self.providers,
                "compositeApis": self.composite_apis,
            }
        )

    # -- packages ------------------------------------------------------------------------------

    def _identity_annotations(self, key: str) -> dict[str, str]:
        settings = self._args.settings
        # Validation sets awsRoleArn exactly when credentials is workloadIdentity.
        if key == "aws" and settings.aws_role_arn is not None:
            return {IRSA_ANNOTATION: settings.aws_role_arn}
        return {}

    def _package(
        self,
        kind: str,
        name: str,
        package: str,
        service_account_annotations: Mapping[str, str] | None = None,
    ) -> k8s.apiextensions.CustomResource:
        """A Provider or Function and the runtime config that sizes its pod and names its
        ServiceAccount (so RBAC and workload identity can refer to it)."""
        service_account: dict = {"name": name}
        if service_account_annotations:
            service_account["annotations"] = dict(service_account_annotations)
        footprint = SIZES[self._args.profile.name].crossplane_package
        runtime = self._custom(
            f"{name}-runtime",
            {
                "apiVersion": RUNTIME_CONFIG_API,
                "kind": "DeploymentRuntimeConfig",
                "metadata": {"name": name},
                "spec": {
                    "deploymentTemplate": {
                        "spec": {
                            "replicas": footprint.replicas,
                            "selector": {},
                            "template": {
                                "spec": {
                                    "containers": [
                                        {
                                            "name": PACKAGE_CONTAINER,
                                            "resources": footprint.resources(),
                                        }
                                    ]
                                }
                            },
                        }
                    },
                    "serviceAccountTemplate": {"metadata": service_account},
                },
            },
            [self.chart],
        )
        return self._custom(
            name,
            {
                "apiVersion": PACKAGE_API,
                "kind": kind,
                "metadata": {"name": name},
                "spec": {
                    "package": package,
                    "packagePullPolicy": "IfNotPresent",
                    "runtimeConfigRef": {"name": name},
                },
            },
            [runtime],
        )

    # -- provider configs ----------------------------------------------------------------------

    def _provider_config(
        self, key: str, package: ProviderPackage, installed: pulumi.Resource
    ) -> k8s.apiextensions.CustomResource:
        depends_on: list[pulumi.Resource] = [installed]
        if key == "kubernetes":
            # Compositions manage namespaced objects: the provider gets `admin` in every
            # namespace through its own ServiceAccount, not cluster-admin.
            depends_on.append(
                k8s.rbac.v1.ClusterRoleBinding(
                    naming.child_name(self._name, f"{package.name}-admin"),
                    metadata={"name": f"crossplane-{package.name}", "labels": self._labels},
                    role_ref={
                        "apiGroup": "rbac.authorization.k8s.io",
                        "kind": "ClusterRole",
                        "name": "admin",
                    },
                    subjects=[
                        {
                            "kind": "ServiceAccount",
                            "name": package.name,
                            "namespace": CROSSPLANE_NAMESPACE,
                        }
                    ],
                    opts=self._opts,
                )
            )
            credentials: dict = {"source": "InjectedIdentity"}
        elif self._args.settings.credentials == "workloadIdentity":
            credentials = {"source": "IRSA"}
        else:
            depends_on.append(self._aws_secret())
            credentials = {
                "source": "Secret",
                "secretRef": {
                    "namespace": CROSSPLANE_NAMESPACE,
                    "name": AWS_CREDENTIALS_SECRET,
                    "key": AWS_CREDENTIALS_KEY,
                },
            }
        return self._custom(
            f"{package.name}-config",
            {
                "apiVersion": package.config_api,
                "kind": "ClusterProviderConfig",
                "metadata": {"name": PROVIDER_CONFIG_NAME},
                "spec": {"credentials": credentials},
            },
            depends_on,
        )

    def _aws_secret(self) -> k8s.core.v1.Secret:
        given = self._args.credentials.get("aws", {})
        contents = pulumi.Output.all(given["accessKeyID"], given["secretAccessKey"]).apply(
            lambda keys: aws_credentials_file(*keys)
        )
        return k8s.core.v1.Secret(
            naming.child_name(self._name, AWS_CREDENTIALS_SECRET),
            metadata={
                "name": AWS_CREDENTIALS_SECRET,
                "namespace": CROSSPLANE_NAMESPACE,
                "labels": self._labels,
            },
            string_data={AWS_CREDENTIALS_KEY: pulumi.Output.secret(cast(Any, contents))},
            opts=pulumi.ResourceOptions.merge(
                self._opts, pulumi.ResourceOptions(depends_on=[self.chart])
            ),
        )

    def _custom(
        self, role: str, document: dict, depends_on: Sequence[pulumi.Resource]
    ) -> k8s.apiextensions.CustomResource:
        """A Crossplane object (its CRDs come from Crossplane itself, after the chart)."""
        metadata = {
            **document["metadata"],
            "labels": {**self._labels, **document["metadata"].get("labels", {})},
        }
        return k8s.apiextensions.CustomResource(
            naming.child_name(self._name, role),
            api_version=document["apiVersion"],
            kind=document["kind"],
            metadata=metadata,
            spec=document["spec"],
            opts=pulumi.ResourceOptions.merge(
                self._opts, pulumi.ResourceOptions(depends_on=list(depends_on))
            ),
        )
