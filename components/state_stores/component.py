"""StateStore: where Kratix writes documents for destinations to sync.

A git store or an external bucket becomes a GitStateStore/BucketStateStore plus the credentials
Secret Kratix reads (key names as Kratix expects them). An embedded store also runs a small
in-cluster MinIO with object versioning on and credentials generated here and kept secret.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar, Mapping, Sequence

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components import naming
from components.charts import platform_namespace
from components.naming import KRATIX_API
from components.placement import EmbeddedBucket, ExternalBucket, GitStore
from components.placement import StateStore as StateStoreSpec
from components.profiles import SizeProfile
from components.state_stores.sizes import SIZES
from components.sync import StoreAccess

MINIO_PORT = 9000


# A high UID that cannot collide with a host user (the image runs as any UID; fsGroup makes the
# volume writable).
MINIO_UID = 10001


CREDENTIALS_DIR = "/run/secrets/minio"


@dataclasses.dataclass(frozen=True)
class StateStoreArgs:
    spec: StateStoreSpec
    """The validated state store settings."""
    provider: k8s.Provider
    """Provider of the platform cluster (where Kratix reads the store)."""
    profile: SizeProfile
    """Footprint of the embedded MinIO."""
    credentials: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Secret config values for the store (Kratix key names); wrapped as Pulumi secrets here."""
    images: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Pinned images for the embedded MinIO (`minio`, `minio-client`)."""
    depends_on: Sequence[pulumi.Resource] = ()
    """What must exist first: the Kratix platform, which installs the CRDs."""


class StateStore(pulumi.ComponentResource):
    """One Kratix state store and everything it needs."""

    TYPE: ClassVar[str] = "idp:platform:StateStore"

    kind: str
    """GitStateStore or BucketStateStore."""
    endpoint: str
    """Git URL, or the bucket endpoint and name."""
    resource: k8s.apiextensions.CustomResource
    """The Kratix state store object; destinations depend on it."""
    access: StoreAccess
    """Address and credentials for the agents that sync destinations."""

    def __init__(self, name: str, args: StateStoreArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(self.TYPE, name, {}, opts)
        self._name = name
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        spec = args.spec
        self.kind = spec.crd_kind
        self._kratix_credentials: Mapping[str, pulumi.Input[str]] = {}
        backend = spec.backend
        if isinstance(backend, GitStore):
            self.resource = self._git_store(backend)
            self.endpoint = address = backend.url
        elif isinstance(backend, EmbeddedBucket):
            self.resource, address = self._embedded_bucket_store(backend)
            self.endpoint = f"{address}/{backend.bucket_name}"
        else:
            self.resource = self._external_bucket_store(backend)
            address = backend.endpoint
            self.endpoint = f"{address}/{backend.bucket_name}"
        self.access = StoreAccess(address, self._kratix_credentials)
        self.register_outputs({"kind": self.kind, "endpoint": self.endpoint})

    # -- git ----------------------------------------------------------------------------------

    def _git_store(self, git: GitStore) -> k8s.apiextensions.CustomResource:
        spec = self._args.spec
        secret = self._credentials_secret(self._args.credentials)
        author = {"name": git.author_name}
        if git.author_email:
            author["email"] = git.author_email
        return self._store_object(
            "GitStateStore",
            {
                "url": git.url,
                "branch": git.branch,
                "path": spec.path,
                "authMethod": git.auth_method,
                "secretRef": self._secret_ref(),
                "gitAuthor": author,
            },
            depends_on=[secret],
        )

    # -- external bucket ----------------------------------------------------------------------

    def _external_bucket_store(self, bucket: ExternalBucket) -> k8s.apiextensions.CustomResource:
        spec = self._args.spec
        store_spec: dict = {
            "bucketName": bucket.bucket_name,
            "endpoint": bucket.endpoint,
            "path": spec.path,
            "insecure": bucket.insecure,
            "authMethod": bucket.auth_method,
        }
        depends_on: list[pulumi.Resource] = []
        if bucket.auth_method == "accessKey":
            secret = self._credentials_secret(self._args.credentials)
            store_spec["secretRef"] = self._secret_ref()
            depends_on.append(secret)
        return self._store_object("BucketStateStore", store_spec, depends_on=depends_on)

    # -- embedded MinIO -----------------------------------------------------------------------

    def _embedded_bucket_store(
        self, bucket: EmbeddedBucket
    ) -> tuple[k8s.apiextensions.CustomResource, str]:
        spec, profile = self._args.spec, self._args.profile
        name, child = self._name, self._child
        namespace = naming.embedded_store_namespace(spec.name)
        labels = naming.standard_labels("minio", name)
        ns = platform_namespace(
            naming.child_name(name, "minio-ns"),
            namespace,
            component="minio",
            owner=name,
            opts=child,
        )
        in_ns = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[ns]))

        # Root credentials stay with MinIO; Kratix gets its own user.
        root_user = self._random(naming.child_name(name, "root-user"), 20)
        root_password = self._random(naming.child_name(name, "root-password"), 40)
        kratix_key_id = self._random(naming.child_name(name, "kratix-key-id"), 20)
        kratix_secret_key = self._random(naming.child_name(name, "kratix-secret-key"), 40)
        minio_secret = k8s.core.v1.Secret(
            naming.child_name(name, "minio-credentials"),
            metadata={"name": "minio-credentials", "namespace": namespace, "labels": labels},
            string_data={
                "MINIO_ROOT_USER": root_user.result,
                "MINIO_ROOT_PASSWORD": root_password.result,
                "KRATIX_ACCESS_KEY_ID": kratix_key_id.result,
                "KRATIX_SECRET_ACCESS_KEY": kratix_secret_key.result,
            },
            opts=in_ns,
        )

        k8s.core.v1.PersistentVolumeClaim(
            naming.child_name(name, "minio-data"),
            metadata={"name": "minio-data", "namespace": namespace, "labels": labels},
            spec={
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": SIZES[profile.name].minio_storage}},
            },
            opts=in_ns,
        )
        selector = {"app.kubernetes.io/name": "minio", "app.kubernetes.io/instance": name}
        k8s.apps.v1.Deployment(
            naming.child_name(name, "minio"),
            metadata={"name": "minio", "namespace": namespace, "labels": labels},
            spec={
                "replicas": 1,
                # One pod owns the ReadWriteOnce volume; never run two during a rollout.
                "strategy": {"type": "Recreate"},
                "selector": {"matchLabels": selector},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        # MinIO never calls the Kubernetes API: no ServiceAccount token.
                        "automountServiceAccountToken": False,
                        "securityContext": _pod_security_context(),
                        "containers": [
                            {
                                "name": "minio",
                                "image": self._args.images["minio"],
                                "args": [
                                    "server",
                                    "/data",
                                    "--address",
                                    f":{MINIO_PORT}",
                                    "--certs-dir",
                                    "/tmp/certs",
                                ],
                                # Credentials come from files, never from the environment.
                                "env": [
                                    {
                                        "name": "MINIO_ROOT_USER_FILE",
                                        "value": f"{CREDENTIALS_DIR}/MINIO_ROOT_USER",
                                    },
                                    {
                                        "name": "MINIO_ROOT_PASSWORD_FILE",
                                        "value": f"{CREDENTIALS_DIR}/MINIO_ROOT_PASSWORD",
                                    },
                                    {"name": "HOME", "value": "/tmp"},
                                ],
                                "ports": [{"name": "s3", "containerPort": MINIO_PORT}],
                                "readinessProbe": _http_probe("/minio/health/ready"),
                                "livenessProbe": _http_probe("/minio/health/live"),
                                "resources": SIZES[profile.name].minio.resources(),
                                "securityContext": _container_security_context(),
                                "volumeMounts": [
                                    {"name": "data", "mountPath": "/data"},
                                    {"name": "tmp", "mountPath": "/tmp"},
                                    _credentials_mount(),
                                ],
                            }
                        ],
                        "volumes": [
                            {"name": "data", "persistentVolumeClaim": {"claimName": "minio-data"}},
                            {"name": "tmp", "emptyDir": {}},
                            _credentials_volume(),
                        ],
                    },
                },
            },
            opts=pulumi.ResourceOptions.merge(
                in_ns, pulumi.ResourceOptions(depends_on=[minio_secret])
            ),
        )
        service = k8s.core.v1.Service(
            naming.child_name(name, "minio-svc"),
            metadata={"name": "minio", "namespace": namespace, "labels": labels},
            spec={
                "selector": selector,
                "ports": [{"name": "s3", "port": MINIO_PORT, "targetPort": "s3"}],
            },
            opts=in_ns,
        )
        endpoint = f"minio.{namespace}.svc.cluster.local:{MINIO_PORT}"
        setup = k8s.batch.v1.Job(
            naming.child_name(name, "bucket-setup"),
            metadata={"name": "bucket-setup", "namespace": namespace, "labels": labels},
            spec=self._bucket_setup_job(bucket, endpoint, labels),
            opts=pulumi.ResourceOptions.merge(
                in_ns, pulumi.ResourceOptions(depends_on=[service, minio_secret])
            ),
        )

        kratix_secret = self._credentials_secret(
            {"accessKeyID": kratix_key_id.result, "secretAccessKey": kratix_secret_key.result}
        )
        store = self._store_object(
            "BucketStateStore",
            {
                "bucketName": bucket.bucket_name,
                "endpoint": endpoint,
                "path": spec.path,
                # In-cluster traffic to MinIO is plain HTTP.
                "insecure": True,
                "authMethod": "accessKey",
                "secretRef": self._secret_ref(),
            },
            depends_on=[setup, kratix_secret],
        )
        return store, endpoint

    def _bucket_setup_job(
        self, bucket: EmbeddedBucket, endpoint: str, labels: Mapping[str, str]
    ) -> dict:
        target = f"local/{bucket.bucket_name}"
        script = "\n".join(
            [
                "set -eu",
                f"cd {CREDENTIALS_DIR}",
                f'mc alias set local "http://{endpoint}" "$(cat MINIO_ROOT_USER)" '
                '"$(cat MINIO_ROOT_PASSWORD)"',
                "until mc ready local; do sleep 2; done",
                f"mc mb --ignore-existing {target}",
                # Versioning is what lets an overwritten or deleted document be recovered.
                f"mc version enable {target}",
                'mc admin user add local "$(cat KRATIX_ACCESS_KEY_ID)" '
                '"$(cat KRATIX_SECRET_ACCESS_KEY)"',
                # Attaching twice fails; the policy is then already in place.
                'mc admin policy attach local readwrite --user "$(cat KRATIX_ACCESS_KEY_ID)" || true',
            ]
        )
        env = [{"name": "MC_CONFIG_DIR", "value": "/tmp/.mc"}]
        return {
            "backoffLimit": 6,
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {
                    "restartPolicy": "OnFailure",
                    "automountServiceAccountToken": False,
                    "securityContext": _pod_security_context(),
                    "containers": [
                        {
                            "name": "mc",
                            "image": self._args.images["minio-client"],
                            "command": ["/bin/sh", "-c", script],
                            "env": env,
                            "resources": {
                                "requests": {"cpu": "10m", "memory": "32Mi"},
                                "limits": {"cpu": "100m", "memory": "64Mi"},
                            },
                            "securityContext": _container_security_context(),
                            "volumeMounts": [
                                {"name": "tmp", "mountPath": "/tmp"},
                                _credentials_mount(),
                            ],
                        }
                    ],
                    "volumes": [{"name": "tmp", "emptyDir": {}}, _credentials_volume()],
                },
            },
        }

    # -- shared pieces ------------------------------------------------------------------------

    def _random(self, name: str, length: int) -> random.RandomPassword:
        return random.RandomPassword(
            name, length=length, special=False, opts=pulumi.ResourceOptions(parent=self)
        )

    def _credentials_secret(self, values: Mapping[str, pulumi.Input[str]]) -> k8s.core.v1.Secret:
        spec = self._args.spec
        self._kratix_credentials = {
            key: pulumi.Output.secret(value) for key, value in values.items()
        }
        return k8s.core.v1.Secret(
            naming.child_name(self._name, "credentials"),
            metadata={
                "name": credentials_secret_name(spec),
                "namespace": spec.secret_namespace,
                "labels": naming.standard_labels("kratix-state-store", self._name),
            },
            string_data={key: pulumi.Output.secret(value) for key, value in values.items()},
            opts=self._after_platform(),
        )

    def _secret_ref(self) -> dict:
        spec = self._args.spec
        return {"name": credentials_secret_name(spec), "namespace": spec.secret_namespace}

    def _store_object(
        self, kind: str, spec: dict, depends_on: Sequence[pulumi.Resource]
    ) -> k8s.apiextensions.CustomResource:
        return k8s.apiextensions.CustomResource(
            naming.child_name(self._name, "store"),
            api_version=KRATIX_API,
            kind=kind,
            metadata={
                "name": self._args.spec.name,
                "labels": naming.standard_labels("kratix-state-store", self._name),
                "annotations": self._annotations(kind),
            },
            spec=spec,
            opts=self._after_platform(depends_on),
        )

    def _annotations(self, kind: str) -> dict:
        if kind != "BucketStateStore":
            return {}
        versioning = "enabled" if self._args.spec.versioned else "disabled"
        return {naming.VERSIONING_ANNOTATION: versioning}

    def _after_platform(self, extra: Sequence[pulumi.Resource] = ()) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions.merge(
            self._child, pulumi.ResourceOptions(depends_on=[*self._args.depends_on, *extra])
        )


def credentials_secret_name(spec: StateStoreSpec) -> str:
    """The Secret Kratix reads this store's credentials from."""
    return f"{spec.name}-statestore-credentials"


def _credentials_volume() -> dict:
    return {
        "name": "credentials",
        "secret": {"secretName": "minio-credentials", "defaultMode": 0o400},
    }


def _credentials_mount() -> dict:
    return {"name": "credentials", "mountPath": CREDENTIALS_DIR, "readOnly": True}


def _http_probe(path: str) -> dict:
    return {"httpGet": {"path": path, "port": MINIO_PORT}, "periodSeconds": 10}


def _pod_security_context() -> dict:
    return {
        "runAsNonRoot": True,
        "runAsUser": MINIO_UID,
        "runAsGroup": MINIO_UID,
        "fsGroup": MINIO_UID,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _container_security_context() -> dict:
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
